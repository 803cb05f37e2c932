"""SysV queue cases: one-way (64 B, 8 KiB) and contention (1 producer, 2 consumers).

The baseline is raw ``sysv_ipc.MessageQueue.send``/``receive`` on a queue of its own
(kernel-chosen key, 0600, removed at the end); ``multiprocessing.Queue`` shows the
standard library's pickling, thread-fed queue. 'Ready' and 'done' travel on a plain
``os.pipe`` so the measured channel carries only the messages.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import time
from collections.abc import Callable
from typing import Any

import sysv_ipc

from bench.cases import missing
from bench.harness import Case, Runner, Variant
from bench.procs import Flag, children, expect_ok

STOP = b"!"
MAX = 8192


def free_key() -> int:
    """A key no queue uses right now, chosen by the kernel-side random pick of sysv_ipc."""
    probe = sysv_ipc.MessageQueue(None, sysv_ipc.IPC_CREX, mode=0o600)
    key = int(probe.key)
    probe.remove()
    return key


def _drive(
    n: int, consumers: int, put: Callable[[bytes], Any], consume: Callable[[], None],
    kids_fork: Callable[[Callable[[], None]], int], reap: Callable[[int], int],
    msg: bytes,
) -> float:
    """Start the consumers, wait until all are ready, time n puts until all acked."""
    ready, done = Flag(), Flag()

    def child() -> None:
        ready.writer_only()
        done.writer_only()
        ready.set()
        consume()
        done.set()

    try:
        pids = [kids_fork(child) for _ in range(consumers)]
        ready.reader_only()
        done.reader_only()
        ready.wait(consumers)
        # The timed loop is written out in each variant (not shared) so both measure the
        # same inline code, with no extra call per message; the duplicate finder pairs them.
        start = time.perf_counter()
        for _ in range(n):
            put(msg)
        if consumers > 1:
            for _ in range(consumers):
                put(STOP)
        done.wait(consumers)
        elapsed = time.perf_counter() - start
        for pid in pids:
            expect_ok(reap(pid), "consumer")
        return elapsed
    finally:
        ready.close()
        done.close()


def _consumer(n: int, consumers: int, get: Callable[[], bytes]) -> Callable[[], None]:
    """Pop n messages (one consumer) or until a STOP arrives (several)."""

    def consume() -> None:
        if consumers == 1:
            for _ in range(n):
                get()
            return
        while get() != STOP:
            pass

    return consume


def raw(size: int, consumers: int = 1) -> Runner:
    msg = b"x" * size

    def run(n: int) -> float:
        q = sysv_ipc.MessageQueue(None, sysv_ipc.IPC_CREX, mode=0o600, max_message_size=MAX)
        try:
            with children() as kids:

                def get() -> bytes:
                    data, _ = q.receive()
                    return bytes(data)

                return _drive(n, consumers, q.send, _consumer(n, consumers, get),
                              kids.fork, kids.reap, msg)
        finally:
            q.remove()

    return run


def mp_queue(size: int) -> Runner:
    msg = b"x" * size

    def run(n: int) -> float:
        q: Any = multiprocessing.get_context("fork").Queue()
        try:
            with children() as kids:
                return _drive(n, 1, q.put, _consumer(n, 1, q.get), kids.fork, kids.reap, msg)
        finally:
            q.close()
            q.join_thread()

    return run


def ipccore_queue(size: int, consumers: int = 1) -> Runner:
    """ipccore ``push`` in the master, ``pop`` in ``Process`` children, mode 2."""
    msg = b"x" * size

    def run(n: int) -> float:
        from ipccore import MODE_BALANCE, Process

        key = free_key()
        procs: list[Any] = []
        ready, done = Flag(), Flag()
        with children() as kids:
            try:

                def callback(worker: Any) -> None:
                    ready.writer_only()
                    done.writer_only()
                    ready.set()
                    if consumers == 1:
                        for _ in range(n):
                            worker.pop()
                    else:
                        while worker.pop() != STOP:
                            pass
                    done.set()

                for _ in range(consumers):
                    proc = Process(callback, pipe_type=0)
                    proc.use_queue(key, MODE_BALANCE)
                    procs.append(proc)
                pids = [kids.add(p.start()) for p in procs]
                ready.reader_only()
                done.reader_only()
                ready.wait(consumers)
                push = procs[0].push
                start = time.perf_counter()
                for _ in range(n):
                    push(msg)
                if consumers > 1:
                    for _ in range(consumers):
                        push(STOP)
                done.wait(consumers)
                elapsed = time.perf_counter() - start
                for pid in pids:
                    expect_ok(kids.reap(pid), "ipccore consumer")
                return elapsed
            finally:
                ready.close()
                done.close()
                if procs:
                    with contextlib.suppress(Exception):
                        procs[0].free_queue()
                with contextlib.suppress(sysv_ipc.ExistentialError):
                    sysv_ipc.MessageQueue(key).remove()

    return run


def cases() -> list[Case]:
    core = missing("ipccore", "Process", "MODE_BALANCE")
    out = []
    for size, label in ((64, "64b"), (8192, "8k")):
        out.append(Case(
            f"queue-oneway-{label}",
            f"queue one-way, {size} B, 1 consumer",
            "msg",
            (
                Variant("ipccore", ipccore_queue(size), core),
                Variant("raw sysv_ipc", raw(size)),
                Variant("mp.Queue", mp_queue(size)),
            ),
            base="raw sysv_ipc",
            n0=2000,
        ))
    out.append(Case(
        "queue-contention",
        "queue contention, 64 B, 1 producer / 2 consumers, mode 2",
        "msg",
        (
            Variant("ipccore", ipccore_queue(64, consumers=2), core),
            Variant("raw sysv_ipc", raw(64, consumers=2)),
        ),
        base="raw sysv_ipc",
        n0=2000,
    ))
    return out
