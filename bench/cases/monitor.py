"""Monitor attached: the ipccore pipe cases with and without a collector listening.

Both variants fork the same driver process, which runs the ipccore pipe benchmark and
reports its time; only the attached driver first calls ``ipccore.monitor.attach`` to a
collector running in its own process (``python -m bench.collect_sink``). The ratio is
the whole cost of publishing every write and read as an event: the attached time runs
until the collector has taken in the last event (events left in a ring when the loop
ends are work the monitor still has to do), not just until the loop ends. A third
variant sends
the events to a reader that only drains the socket, which separates what the emitter
costs in the monitored process from what a slow collector adds (stalls and drops).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from bench.cases import missing
from bench.cases.pipe import ipccore_pipe
from bench.harness import Case, Runner, Variant
from bench.procs import children, expect_ok

_last: dict[str, dict[str, float]] = {}


def _driver(n: int, one_way: bool, path: str | None) -> tuple[float, float]:
    """Run the ipccore DGRAM 64 B pipe case in a forked driver.

    Returns its time and the wall-clock time (``time.time()``) when its loop ended.
    """
    r, w = os.pipe()
    with children() as kids:

        def body() -> None:
            os.close(r)
            if path is not None:
                from ipccore.monitor import attach, detach

                attach(path)
            elapsed = ipccore_pipe("DGRAM", 64, one_way)(n)
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


def attached(one_way: bool, key: str) -> Runner:
    def run(n: int) -> float:
        sink = subprocess.Popen(
            [sys.executable, "-m", "bench.collect_sink", str(2 * n)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        assert sink.stdin is not None
        assert sink.stdout is not None
        try:
            path = sink.stdout.readline().strip()
            if not path:
                raise RuntimeError("the collector did not start")
            elapsed, ended = _driver(n, one_way, path)
            sink.stdin.close()
            counts = json.loads(sink.stdout.read().strip().splitlines()[-1])
            sink.wait(timeout=30)
        finally:
            if sink.poll() is None:
                sink.kill()
                sink.wait()
            with contextlib.suppress(OSError):
                sink.stdout.close()
        expected = 2 * n
        if counts["events"] + counts["dropped"] < expected or not counts["done_at"]:
            raise RuntimeError(f"collector got {counts} events, expected ≥ {expected}")
        _last[key] = counts
        # The collector's lag after the loop: its share of the work not done yet.
        return elapsed + max(0.0, float(counts["done_at"]) - ended)

    return run


def _discard(listener: socket.socket, control: int) -> None:
    """Accept every emitter and read its bytes into the void until ``control`` closes."""
    conns: dict[int, socket.socket] = {}
    while True:
        ready = select.select([listener.fileno(), control, *conns], [], [])[0]
        if control in ready:
            return
        for fd in ready:
            if fd == listener.fileno():
                sock = listener.accept()[0]
                conns[sock.fileno()] = sock
            elif not conns[fd].recv(1 << 20):
                conns.pop(fd).close()


def null_sink(one_way: bool) -> Runner:
    """Events go to a reader that only drains the socket: the emitter's own cost."""

    def run(n: int) -> float:
        tmp = tempfile.mkdtemp(prefix="ipcscope-bench-")
        path = os.path.join(tmp, "sink.sock")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        control_r, control_w = os.pipe()
        try:
            listener.bind(path)
            listener.listen(16)
            with children() as kids:

                def sink() -> None:
                    os.close(control_w)
                    _discard(listener, control_r)

                pid = kids.fork(sink)
                os.close(control_r)
                control_r = -1
                try:
                    return _driver(n, one_way, path)[0]
                finally:
                    os.close(control_w)
                    control_w = -1
                    expect_ok(kids.reap(pid), "null sink")
        finally:
            listener.close()
            for fd in (control_r, control_w):
                if fd >= 0:
                    os.close(fd)
            shutil.rmtree(tmp, ignore_errors=True)

    return run


def plain(one_way: bool) -> Runner:
    def run(n: int) -> float:
        return _driver(n, one_way, None)[0]

    return run


def _extra(key: str) -> dict[str, str]:
    counts = _last.get(key)
    if not counts:
        return {}
    return {"events received / reported dropped (last run)":
            f"{counts['events']:,} / {counts['dropped']:,}"}


def cases() -> list[Case]:
    core = missing("ipccore", "Process")
    mon = missing("ipccore.monitor", "attach", "detach") or missing(
        "ipccore.monitor.collector", "Collector")
    out = []
    for one_way, key, title in (
        (False, "monitor-pingpong", "monitor attached: pipe ping-pong, DGRAM, 64 B"),
        (True, "monitor-oneway", "monitor attached: pipe one-way, DGRAM, 64 B"),
    ):
        out.append(Case(
            key, title, "msg" if one_way else "round trip",
            (
                Variant("ipccore + collector", attached(one_way, key), core or mon),
                Variant("ipccore + null sink", null_sink(one_way), core or mon),
                Variant("ipccore", plain(one_way), core),
            ),
            base="ipccore",
            n0=2000,
            budget=0.25,
            extra=functools.partial(_extra, key),
        ))
    return out
