"""Forking a child the way CPython's ``multiprocessing/popen_fork.py`` does, and ending it.

Stdio is flushed before ``fork`` so buffered output is not printed twice; the child runs
inside ``try/finally: os._exit(code)`` so it can never return into the parent's code;
and it asks the kernel for SIGKILL when its parent dies (``PR_SET_PDEATHSIG``), so
children never outlive a killed master (they do in Swoole).
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import sys
import traceback
from collections.abc import Callable

from ipccore import _trace
from ipccore import signals as _signals
from ipccore import timer as _timer
from ipccore._prctl import die_with_parent

_BLOCKABLE = frozenset(int(s) for s in signal.valid_signals()) - {
    signal.SIGKILL.value, signal.SIGSTOP.value}
_SIGKILL = signal.SIGKILL.value
_sigmask = _signals.csignal.pthread_sigmask
"""Plain ints in and out: ``signal.pthread_sigmask`` made an enum of each of the 62
blocked signals on every unblock, in the parent and again in the child."""
def flush_stdio() -> None:
    """Flush Python's stdout/stderr, ignoring streams that are closed or broken.

    Plain ``try`` rather than ``contextlib.suppress``: this runs in every child, where
    each object touched is a copy-on-write page fault.
    """
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            try:  # noqa: SIM105 -- suppress() allocates, in every child
                stream.flush()
            except Exception:
                pass


def spawn(child: Callable[[int], object]) -> int:
    """Fork; in the parent return the child pid. In the child, once the parent's signal
    handlers and timers are reset, call ``child(parent_pid)``, run the timers it left,
    and ``_exit`` with the code it ended with (0 on return, ``n`` on ``sys.exit(n)``, 255
    on an uncaught exception)."""
    parent = os.getpid()
    flush_stdio()
    handled = _signals.python_handled()
    # Signals stay blocked across fork until the child has reset the parent's Python
    # handlers: a SIGTERM sent right after start() would otherwise be caught by the
    # inherited C-level handler and then dropped once the Python handler is reset.
    mask = _sigmask(signal.SIG_BLOCK, _BLOCKABLE)
    try:
        pid = os.fork()
    finally:
        if os.getpid() == parent:
            _sigmask(signal.SIG_SETMASK, mask)
    if pid != 0:
        return pid
    code = 255
    try:
        die_with_parent(parent, _SIGKILL)
        code = _run_child(child, parent, mask, handled)
    finally:
        flush_stdio()
        em = _trace.emitter
        if em is not None:
            with contextlib.suppress(BaseException):
                em.close()
        os._exit(code)


def redirect_stdio(fd: int) -> None:
    """Point stdin and stdout at ``fd`` (the child's pipe end), line-buffered."""
    os.dup2(fd, 0)
    os.dup2(fd, 1)
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
    sys.stdout = io.TextIOWrapper(
        io.FileIO(1, "w", closefd=False), encoding="utf-8", line_buffering=True
    )


def _exit_code(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code & 0xFF
    print(exc.code, file=sys.stderr)
    return 1


def _run_child(child: Callable[[int], object], parent: int, mask: set[int],
               handled: tuple[int, ...]) -> int:
    """The whole life of the child: reset, run ``child``, drain timers, exit code."""
    _signals.reset_in_child(handled)
    _timer.reset_in_child()
    _sigmask(signal.SIG_SETMASK, mask)  # now pending ones act by default
    try:
        child(parent)
        if _timer.Timer.pending():
            _timer.event_wait()
        code = 0
    except SystemExit as exc:
        code = _exit_code(exc)
    except BaseException:
        traceback.print_exc()
        code = 255
    em = _trace.emitter
    if em is not None:
        em.emit("proc.exit", {"code": code})
    return code


def daemon(nochdir: bool = True, noclose: bool = True) -> bool:
    """Detach like ``daemon(3)``: fork (the parent exits 0), new session, optional chdir/close.

    Only the child returns. ``noclose=False`` points stdin/stdout/stderr at /dev/null.
    Arguments are checked before the fork: a wrong one must not end the caller.
    """
    for name, value in (("nochdir", nochdir), ("noclose", noclose)):
        if not isinstance(value, int):  # bool, or 0/1 as PHP would coerce
            raise TypeError(f"daemon() {name} must be a bool, not {type(value).__name__}")
    flush_stdio()
    if os.fork() != 0:
        os._exit(0)
    os.setsid()
    if not nochdir:
        os.chdir("/")
    if not noclose:
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        if null > 2:
            os.close(null)
    return True

