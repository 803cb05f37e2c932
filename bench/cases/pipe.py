"""Pipe cases: ping-pong and one-way over a socketpair, ipccore against raw Python.

The raw baseline is the same system calls with nothing on top (``send`` and
``recv(8192)`` on a ``socket.socketpair`` shared by ``os.fork``); ``multiprocessing.Pipe``
shows what the standard library's framed connection costs (bytes and pickle). ipccore's
DGRAM pipe is a SOCK_SEQPACKET pair (so a reader sees its peer exit), so DGRAM cases
also run a raw SEQPACKET pair: the ratio against it is the cost of the layer alone.
"""

from __future__ import annotations

import multiprocessing
import socket
import time
from collections.abc import Callable
from typing import Any

from bench.cases import missing
from bench.harness import Case, Runner, Variant
from bench.procs import children, expect_ok, running

STOP = b"!"
ACK = b"k"
TYPES = {
    "DGRAM": socket.SOCK_DGRAM,
    "SEQPACKET": socket.SOCK_SEQPACKET,
    "STREAM": socket.SOCK_STREAM,
}
PIPE_TYPE = {"DGRAM": 2, "STREAM": 1}


def _one_way_done(kind: str, size: int, n: int) -> Callable[[bytes], bool]:
    """A counter saying when the reader has everything: n messages, or n*size bytes."""
    stream = kind == "STREAM"
    left = [n * size if stream else n]

    def seen(data: bytes) -> bool:
        if not data:
            raise EOFError("writer closed the pipe early")
        left[0] -= len(data) if stream else 1
        return left[0] <= 0

    return seen


def raw(kind: str, size: int, one_way: bool) -> Runner:
    msg = b"x" * size

    def run(n: int) -> float:
        a, b = socket.socketpair(socket.AF_UNIX, TYPES[kind])
        with children() as kids, a, b:

            def child() -> None:
                a.close()
                b.send(ACK)
                if one_way:
                    done = _one_way_done(kind, size, n)
                    while not done(b.recv(8192)):
                        pass
                    b.send(ACK)
                    return
                while (data := b.recv(8192)) not in (STOP, b""):
                    b.send(data)

            pid = kids.fork(child)
            b.close()
            a.recv(8192)
            start = time.perf_counter()
            if one_way:
                for _ in range(n):
                    a.send(msg)
                a.recv(8192)
            else:
                for _ in range(n):
                    a.send(msg)
                    a.recv(8192)
            elapsed = time.perf_counter() - start
            if not one_way:
                a.send(STOP)
            expect_ok(kids.reap(pid), "raw child")
            return elapsed

    return run


def mp_pipe(size: int, one_way: bool, pickled: bool) -> Runner:
    msg = b"x" * size

    def run(n: int) -> float:
        here, there = multiprocessing.Pipe()
        send: Callable[[Any], None] = here.send if pickled else here.send_bytes
        recv: Callable[[], Any] = here.recv if pickled else here.recv_bytes
        with children() as kids:
            try:

                def child() -> None:
                    here.close()
                    tsend = there.send if pickled else there.send_bytes
                    trecv = there.recv if pickled else there.recv_bytes
                    tsend(ACK)
                    if one_way:
                        for _ in range(n):
                            trecv()
                        tsend(ACK)
                        return
                    while (data := trecv()) != STOP:
                        tsend(data)

                pid = kids.fork(child)
                there.close()
                recv()
                start = time.perf_counter()
                if one_way:
                    for _ in range(n):
                        send(msg)
                    recv()
                else:
                    for _ in range(n):
                        send(msg)
                        recv()
                elapsed = time.perf_counter() - start
                if not one_way:
                    send(STOP)
                expect_ok(kids.reap(pid), "multiprocessing child")
                return elapsed
            finally:
                here.close()
                there.close()

    return run


def ipccore_pipe(kind: str, size: int, one_way: bool) -> Runner:
    """``Process.write``/``read`` on both sides; the child is an ipccore ``Process``."""
    msg = b"x" * size

    def run(n: int) -> float:
        from ipccore import Process

        def callback(worker: Any) -> None:
            worker.write(ACK)
            if one_way:
                done = _one_way_done(kind, size, n)
                while not done(worker.read()):
                    pass
                worker.write(ACK)
                return
            while (data := worker.read()) not in (STOP, b""):
                worker.write(data)

        proc = Process(callback, pipe_type=PIPE_TYPE[kind])
        with children() as kids, running(kids, proc) as pid:
            proc.read()
            # The timed loop is written out in each variant (not shared) so each measures
            # its own calls inline; the duplicate finder pairs them by shape.
            start = time.perf_counter()
            if one_way:
                for _ in range(n):
                    proc.write(msg)
                proc.read()
            else:
                for _ in range(n):
                    proc.write(msg)
                    proc.read()
            elapsed = time.perf_counter() - start
            if not one_way:
                proc.write(STOP)
            expect_ok(kids.reap(pid), "ipccore child")
        return elapsed

    return run


def case(kind: str, size: int, one_way: bool, key: str, title: str) -> Case:
    core = missing("ipccore", "Process")
    unit = "msg" if one_way else "round trip"
    variants = [
        Variant("ipccore", ipccore_pipe(kind, size, one_way), core),
        Variant("raw socketpair", raw(kind, size, one_way)),
        *(
            [Variant("raw SEQPACKET", raw("SEQPACKET", size, one_way))]
            if kind == "DGRAM" else []
        ),
        Variant("mp.Pipe bytes", mp_pipe(size, one_way, pickled=False)),
        Variant("mp.Pipe pickle", mp_pipe(size, one_way, pickled=True)),
    ]
    return Case(key, title, unit, tuple(variants), base="raw socketpair", n0=2000, budget=0.6)


def cases() -> list[Case]:
    out = [
        case(kind, 64, False, f"pipe-pingpong-{kind.lower()}", f"pipe ping-pong, {kind}, 64 B")
        for kind in ("DGRAM", "STREAM")
    ]
    for kind in ("DGRAM", "STREAM"):
        for size, label in ((64, "64b"), (4096, "4k")):
            out.append(
                case(
                    kind,
                    size,
                    True,
                    f"pipe-oneway-{label}-{kind.lower()}",
                    f"pipe one-way, {kind}, {size} B",
                )
            )
    return out
