"""Small helpers shared by the core tests (real processes, bounded waits, no sleeps)."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import psutil

if TYPE_CHECKING:
    from ipccore import Process


def reap(pid: int, timeout: float = 10.0) -> tuple[int, int]:
    """waitpid ``pid`` with a deadline; returns (code, signal). SIGKILLs it on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            if os.WIFSIGNALED(status):
                return 0, os.WTERMSIG(status)
            return os.waitstatus_to_exitcode(status), 0
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise AssertionError(f"child {pid} did not end within {timeout} s")
        time.sleep(0.005)


@contextlib.contextmanager
def exits_cleanly(p: Process) -> Iterator[int]:
    """Start ``p`` and hand over its pid; after the block the child must end by itself
    with exit code 0 (reaped with a deadline: a hang fails the test, it never leaks)."""
    pid = p.start()
    try:
        yield pid
    finally:
        assert reap(pid) == (0, 0)


def start_ready(p: Process) -> int:
    """Start ``p`` and wait for its child's ``ready`` (written once its handlers are
    installed, so a signal sent now is handled, not fatal); its pid."""
    pid = p.start()
    assert p.read() == b"ready"
    return pid


def kill_and_reap(pid: int) -> tuple[int, int]:
    """SIGKILL one of our children and reap it."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    return reap(pid)


def gone(pid: int) -> bool:
    """True when ``pid`` no longer runs (absent, or a zombie nobody has reaped yet)."""
    try:
        return bool(psutil.Process(pid).status() == psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return True


def wait_until(pred: object, timeout: float = 5.0) -> bool:
    """Poll ``pred()`` until true or ``timeout``; returns the last value."""
    assert callable(pred)
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            return bool(pred())
        time.sleep(0.01)
    return True
