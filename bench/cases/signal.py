"""Signal round trip: SIGUSR1 to the child, whose handler sends SIGUSR2 back.

The master's SIGUSR2 handler writes one byte to a self-pipe and the master waits for it;
the child waits on a control pipe whose EOF ends it. Neither waits in a plain blocking
read: CPython runs a Python-level handler only between bytecodes, and a PEP 475 retry
loop (``os.read`` after EINTR) goes back to sleep without running a handler whose signal
arrived while the previous handler was still running, or just before the system call.
Unpinned, that stalled about one round trip in a few thousand for good (the run hung);
with a 2 ms poll instead, ~10 % of ipccore's round trips stalled for the full 2 ms,
because its handler wrapper is longer and widens the window. So both sides wait the
race-free way: ``signal.set_wakeup_fd`` makes the C-level handler write a byte, which
wakes ``select`` even when the Python handler is still pending. The waiting code is the
same for both variants, so only the signal layer differs.
"""

from __future__ import annotations

import os
import select
import signal
import time
from collections.abc import Callable
from typing import Any

from bench.cases import missing
from bench.harness import Case, Runner, Variant
from bench.procs import Flag, children, expect_ok

POLL_S = 0.05
"""Only a safety net: the wakeup fd already makes every signal wake ``select``."""

Install = Callable[[int, Callable[[int], object] | None], object]
Kill = Callable[[int, int], object]


def _raw_install(signum: int, handler: Callable[[int], object] | None) -> None:
    if handler is None:
        signal.signal(signum, signal.SIG_DFL)
        return
    signal.signal(signum, lambda s, _frame: handler(s))


def _wakeup_pipe() -> tuple[int, int]:
    r, w = os.pipe()
    os.set_blocking(r, False)
    os.set_blocking(w, False)
    return r, w


def _wait(fd: int, wake: int) -> bool:
    """Block until ``fd`` is readable; True then. Pending handlers run between the polls."""
    while True:
        ready = select.select([fd, wake], [], [], POLL_S)[0]
        if wake in ready:
            os.read(wake, 512)
        if fd in ready:
            return True


def _round_trips(install: Install, kill: Kill, adapt: Callable[[Any], Any] | None) -> Runner:
    def run(n: int) -> float:
        back = Flag()
        ready = Flag()
        control = Flag()
        master = os.getpid()

        def answer(_signum: int) -> None:
            kill(master, signal.SIGUSR2)

        def child_body() -> None:
            back.close()
            ready.writer_only()
            control.reader_only()
            wake, wake_w = _wakeup_pipe()
            signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)
            install(signal.SIGUSR1, answer)
            ready.set()
            while _wait(control.r, wake) and os.read(control.r, 1):
                pass

        def on_usr2(_signum: int) -> None:
            os.write(back.w, b"s")

        wake, wake_w = _wakeup_pipe()
        old_wakeup = signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)
        install(signal.SIGUSR2, on_usr2)
        try:
            with children() as kids:
                pid = kids.fork(child_body) if adapt is None else kids.add(adapt(child_body))
                ready.reader_only()
                control.writer_only()
                ready.wait()
                start = time.perf_counter()
                for _ in range(n):
                    kill(pid, signal.SIGUSR1)
                    _wait(back.r, wake)
                    os.read(back.r, 1)
                elapsed = time.perf_counter() - start
                os.close(control.w)
                expect_ok(kids.reap(pid), "signal child")
                return elapsed
        finally:
            install(signal.SIGUSR2, None)
            signal.set_wakeup_fd(old_wakeup)
            os.close(wake)
            os.close(wake_w)
            for flag in (back, ready, control):
                flag.close()

    return run


def raw() -> Runner:
    def kill(pid: int, signum: int) -> bool:
        os.kill(pid, signum)
        return True

    return _round_trips(_raw_install, kill, None)


def ipccore_signals() -> Runner:
    """``Process.signal`` to install, ``Process.kill`` to send, in an ipccore child."""

    def run(n: int) -> float:
        from ipccore import Process

        def start(body: Callable[[], None]) -> int:
            proc = Process(lambda _worker: body(), pipe_type=0)
            return int(proc.start())

        return _round_trips(Process.signal, Process.kill, start)(n)

    return run


# The case table: parallel data, the same shape in every case module.
def cases() -> list[Case]:
    core = missing("ipccore", "Process")
    return [
        Case(
            "signal-roundtrip",
            "signal round trip (SIGUSR1 there, SIGUSR2 back)",
            "round trip",
            (
                Variant("ipccore", ipccore_signals(), core),
                Variant("raw signal + os.kill", raw()),
            ),
            base="raw signal + os.kill",
            n0=1000,
        )
    ]
