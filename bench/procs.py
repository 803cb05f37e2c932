"""Fork, handshake and reap helpers shared by the baseline variants.

Every variant forks its own peers and must leave nothing behind even when it fails:
:class:`Children` kills and reaps whatever is still running when its block exits.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import traceback
from collections.abc import Callable, Iterator
from typing import Any


def fork(fn: Callable[[], None]) -> int:
    """Run ``fn`` in a forked child that never returns into the caller's code.

    Like ``multiprocessing/popen_fork.py``: flush stdio first, leave with ``os._exit``.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            fn()
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    return pid


class Children:
    """Pids this variant started; whatever is not reaped at the end is killed and reaped."""

    def __init__(self) -> None:
        self.pids: set[int] = set()

    def add(self, pid: int) -> int:
        self.pids.add(pid)
        return pid

    def fork(self, fn: Callable[[], None]) -> int:
        return self.add(fork(fn))

    def reap(self, pid: int) -> int:
        """Wait for ``pid`` and return its exit code (negative: killed by that signal)."""
        _, status = os.waitpid(pid, 0)
        self.pids.discard(pid)
        return os.waitstatus_to_exitcode(status)

    def forget(self, pid: int) -> None:
        """``pid`` was reaped by someone else (e.g. ``Process.wait()``)."""
        self.pids.discard(pid)

    def cleanup(self) -> None:
        for pid in list(self.pids):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
            self.pids.discard(pid)


@contextlib.contextmanager
def children() -> Iterator[Children]:
    """A :class:`Children` set cleaned up on exit, whatever happened."""
    group = Children()
    try:
        yield group
    finally:
        group.cleanup()


@contextlib.contextmanager
def running(kids: Children, proc: Any) -> Iterator[int]:
    """Start an ipccore ``Process`` as one of ``kids`` and hand over its pid; afterwards
    close the master's end of its pipe (``close()``, where this ipccore has one: the
    benchmarks also measure versions written before it)."""
    pid = kids.add(proc.start())
    try:
        yield pid
    finally:
        close = getattr(proc, "close", None)
        if close is not None:
            close()


def expect_ok(code: int, what: str) -> None:
    """A peer that failed invalidates the timing: say so instead of reporting a number."""
    if code != 0:
        raise RuntimeError(f"{what} exited with {code}")


class Flag:
    """A one-way os.pipe for 'ready' and 'done' handshakes outside the measured channel."""

    def __init__(self) -> None:
        self.r, self.w = os.pipe()

    def set(self) -> None:
        os.write(self.w, b"k")

    def wait(self, count: int = 1) -> None:
        got = 0
        while got < count:
            chunk = os.read(self.r, count - got)
            if not chunk:
                raise EOFError("peer closed the handshake pipe before signalling")
            got += len(chunk)

    def reader_only(self) -> None:
        """In the waiting process: drop the write end so a dead peer means EOF, not a hang."""
        with contextlib.suppress(OSError):
            os.close(self.w)

    def writer_only(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.r)

    def close(self) -> None:
        for fd in (self.r, self.w):
            with contextlib.suppress(OSError):
                os.close(fd)
