"""Monitor attached: ipccore pipe and queue work with and without a collector listening.

Every variant forks the same driver process, which runs the ipccore work and reports its
time; the attached drivers first call ``ipccore.monitor.attach`` to a collector running
in its own process (``python -m bench.collect_sink``), in the default mode (aggregates
above the per-process budget, decoded live as a live view does) or in full mode as
``python -m ipccore record --full`` runs it (``IPCCORE_MONITOR_FULL=1``: one event per
operation, the writer waits for the collector; the collector spools its rings and writes
the recording when the run ends). The attached time runs until the collector has taken
in the last operation (the driver's and its child's last aggregates are published when
they detach and exit: that is work the monitor still has to do; in full mode, until the
last ring was copied to its spool). Full mode also reports when the recording was
complete, after the run (the extra lines). Each attached run checks the totals exactly:
the sum of ``count`` per kind must be the number of operations the work did, with
nothing reported dropped (full mode: read back from the finished recording).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sysv_ipc

from bench.cases import missing
from bench.cases.pipe import ipccore_pipe
from bench.cases.queue import free_key, ipccore_queue
from bench.harness import Case, Runner, Variant
from bench.procs import Flag, children, expect_ok

_last: dict[str, dict[str, Any]] = {}
MSG = b"x" * 64


def ipccore_queue_pingpong(n: int) -> float:
    """Round trips over two SysV queues: the master pushes on one, its ``Process``
    child pops it and pushes it back on the other (mode 2, 64 B)."""
    from ipccore import MODE_BALANCE, Process

    there, back = free_key(), free_key()
    ready = Flag()
    with children() as kids:
        reply = Process(lambda w: None, pipe_type=0)
        reply.use_queue(back, MODE_BALANCE)

        def callback(worker: Any) -> None:
            ready.writer_only()
            ready.set()
            for _ in range(n):
                reply.push(worker.pop())

        proc = Process(callback, pipe_type=0)
        proc.use_queue(there, MODE_BALANCE)
        try:
            pid = kids.add(proc.start())
            ready.reader_only()
            ready.wait()
            push, pop = proc.push, reply.pop
            start = time.perf_counter()
            for _ in range(n):
                push(MSG)
                pop()
            elapsed = time.perf_counter() - start
            expect_ok(kids.reap(pid), "ipccore queue echo")
            return elapsed
        finally:
            ready.close()
            for q in (proc, reply):
                with contextlib.suppress(Exception):
                    q.free_queue()
            for key in (there, back):
                with contextlib.suppress(sysv_ipc.ExistentialError):
                    sysv_ipc.MessageQueue(key).remove()


WORK: dict[str, tuple[str, Callable[[int], Runner | Callable[[int], float]],
                      Callable[[int], dict[str, int]]]] = {
    # key: (title, work(n) -> runner, operations per kind for n)
    "pipe-pingpong": ("pipe ping-pong, DGRAM, 64 B",
                      lambda n: ipccore_pipe("DGRAM", 64, False),
                      lambda n: {"pipe.write": 2 * n + 2, "pipe.read": 2 * n + 2}),
    "pipe-oneway": ("pipe one-way flood, DGRAM, 64 B",
                    lambda n: ipccore_pipe("DGRAM", 64, True),
                    lambda n: {"pipe.write": n + 2, "pipe.read": n + 2}),
    "queue-pingpong": ("queue ping-pong, 64 B",
                       lambda n: ipccore_queue_pingpong,
                       lambda n: {"queue.push": 2 * n, "queue.pop": 2 * n}),
    "queue-oneway": ("queue one-way flood, 64 B",
                     lambda n: ipccore_queue(64),
                     lambda n: {"queue.push": n, "queue.pop": n}),
}


def _driver(work: str, n: int, path: str | None, full: bool) -> tuple[float, float]:
    """Run ``work`` in a forked driver; its time and when its loop ended (wall clock)."""
    r, w = os.pipe()
    with children() as kids:

        def body() -> None:
            os.close(r)
            if path is not None:
                from ipccore.monitor import attach, detach

                if full:
                    os.environ["IPCCORE_MONITOR_FULL"] = "1"
                attach(path)
            elapsed = WORK[work][1](n)(n)
            ended = time.time()
            if path is not None:
                detach()
            os.write(w, f"{elapsed!r} {ended!r}".encode())

        pid = kids.fork(body)
        os.close(w)
        try:
            chunks = []
            while chunk := os.read(r, 64):
                chunks.append(chunk)
        finally:
            os.close(r)
        expect_ok(kids.reap(pid), "monitor driver")
    elapsed, ended = b"".join(chunks).decode("ascii").split()
    return float(elapsed), float(ended)


def attached(work: str, full: bool, key: str) -> Runner:
    def run(n: int) -> float:
        expected = WORK[work][2](n)
        where = Path(tempfile.mkdtemp(prefix="bench-rec-")) if full else None
        argv = [sys.executable, "-m", "bench.collect_sink", json.dumps(expected)]
        if where is not None:
            argv.append(str(where / "run.ndjson"))
        sink = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert sink.stdin is not None
        assert sink.stdout is not None
        try:
            path = sink.stdout.readline().strip()
            if not path:
                raise RuntimeError("the collector did not start")
            elapsed, ended = _driver(work, n, path, full)
            sink.stdin.close()
            counts = json.loads(sink.stdout.read().strip().splitlines()[-1])
            sink.wait(timeout=30)
        finally:
            if sink.poll() is None:
                sink.kill()
                sink.wait()
            with contextlib.suppress(OSError):
                sink.stdout.close()
            if where is not None:
                shutil.rmtree(where, ignore_errors=True)
        if counts["ops"] != expected or counts["dropped"] or not counts["done_at"]:
            raise RuntimeError(f"the recording's totals {counts['ops']} (dropped "
                               f"{counts['dropped']}) are not the work's {expected}")
        lag = max(0.0, float(counts["done_at"]) - ended)
        if full:
            counts["lag"] = lag
            counts["recorded_after"] = max(0.0, float(counts["recorded_at"]) - ended)
        _last[key] = counts
        # The collector's lag after the loop: its share of the work not done yet.
        return elapsed + lag

    return run


def plain(work: str) -> Runner:
    def run(n: int) -> float:
        return _driver(work, n, None, False)[0]

    return run


def _extra(key: str) -> dict[str, str]:
    out = {}
    for label, suffix in (("default", ""), ("full", "/full")):
        counts = _last.get(key + suffix)
        if counts:
            ops = sum(counts["ops"].values())
            what = "received" if label == "default" else "recorded"
            out[f"{label} mode, last run: operations / events {what} (exact totals)"] = (
                f"{ops:,} / {counts['events']:,}")
            if label == "full":
                after = counts["recorded_after"]
                out["full mode, last run: every operation taken in (spooled) / recording "
                    "complete, after the loop"] = (
                    f"{counts['lag'] * 1e3:,.0f} ms / {after:,.2f} s "
                    f"({after / max(1, counts['events']) * 1e6:.1f} µs per event)")
    return out


def cases() -> list[Case]:
    core = missing("ipccore", "Process")
    mon = missing("ipccore.monitor", "attach", "detach") or missing(
        "ipccore.monitor.collector", "Collector")
    out = []
    for work, (title, _runner, _ops) in WORK.items():
        key = f"monitor-{work}"
        out.append(Case(
            key, f"monitor attached: {title}",
            "round trip" if "pingpong" in work else "msg",
            (
                Variant("ipccore + collector", attached(work, False, key), core or mon),
                Variant("ipccore + collector, full", attached(work, True, key + "/full"),
                        core or mon),
                Variant("ipccore", plain(work), core),
            ),
            base="ipccore",
            n0=2000,
            # 0.6 s per repetition of the bare work: the collector's fixed latency after
            # the loop (its 10 ms drain period, 5 ms reorder window) weighs ~2 %.
            budget=4.0,
            extra=functools.partial(_extra, key),
        ))
    return out
