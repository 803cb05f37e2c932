"""Signals and children: ``signal``, ``kill``, ``wait``, ``alarm`` and :class:`WaitResult`.

Handlers are ordinary Python handlers, so they run promptly, also while the process is
blocked in ``read()``, ``pop()`` or ``sleep()`` (PEP 475 retries the call afterwards);
Swoole runs them only from its event loop. One CPython limit: a second signal that lands
while a handler is still running is handled only when the blocked call next returns
(docs/core.md, "Signals").
"""

from __future__ import annotations

import importlib
import os
import signal as _signal
from collections.abc import Callable
from dataclasses import dataclass

from ipccore import _trace
from ipccore.constants import ALARM_TYPES
from ipcevents.events import signal_name

Handler = Callable[[int], object]
_ITIMERS = {0: _signal.ITIMER_REAL, 1: _signal.ITIMER_VIRTUAL, 2: _signal.ITIMER_PROF}
_installed: set[int] = set()
_VALID_SIGNALS = frozenset(int(s) for s in _signal.valid_signals())
"""Computed once: ``valid_signals()`` costs ~80 µs a call on these VMs."""
csignal = importlib.import_module("_signal")
"""The C module under ``signal``: plain ints in and out. The ``signal`` wrappers turn
every number into an ``Enum`` member, 62 lookups for a full mask, which also made a
forked child write to (and page-fault on) the whole enum machinery."""


@dataclass(frozen=True, slots=True)
class WaitResult:
    """A reaped child: ``code`` is its exit status, ``signal`` what killed it (else 0)."""

    pid: int
    code: int
    signal: int


def _check_signum(signum: object, *, allow_zero: bool = False) -> int:
    if type(signum) is not int and not isinstance(signum, _signal.Signals):
        raise TypeError(f"a signal number must be an int, not {type(signum).__name__}")
    num = int(signum)
    if num == 0 and allow_zero:
        return 0
    if num not in _VALID_SIGNALS:
        raise ValueError(f"{num} is not a valid signal number on this system")
    return num


def install(signum: int, handler: Handler | None) -> bool:
    """Run ``handler(signum)`` when ``signum`` arrives; ``None`` restores the default."""
    num = _check_signum(signum)
    if num in (_signal.SIGKILL, _signal.SIGSTOP):
        raise ValueError(f"{signal_name(num)} cannot be caught")
    if handler is not None and not callable(handler):
        raise TypeError("handler must be callable or None")
    name = signal_name(num)
    if handler is None:
        _signal.signal(num, _signal.SIG_DFL)
        _installed.discard(num)
    else:
        user = handler

        def _run(sig: int, _frame: object) -> None:
            em = _trace.emitter
            if em is not None:
                em.emit("signal.handle", {"signal": sig, "name": name})
            user(sig)

        _signal.signal(num, _run)
        _installed.add(num)
    em = _trace.emitter
    if em is not None:
        em.emit("signal.install", {"signal": num, "name": name, "handler": handler is not None})
    return True


def python_handled() -> tuple[int, ...]:
    """The signals that have a Python-level handler now (Python's own table: no syscall).

    ``spawn`` asks in the parent, before fork, so the child only undoes what is there.
    """
    get = csignal.getsignal
    return tuple(num for num in _VALID_SIGNALS if callable(get(num)))


def reset_in_child(handled: tuple[int, ...] | None = None) -> None:
    """A new child starts with default dispositions, as Swoole's children do.

    Every Python-level handler inherited through fork (``handled``, from
    :func:`python_handled`) is dropped: ours, the test runner's SIGALRM, even SIGINT's
    KeyboardInterrupt (Ctrl+C kills a child by signal, like Swoole). Ignored signals
    stay ignored, so SIGPIPE still cannot kill us. Every page a child writes costs a
    copy-on-write fault, hence no loop over all signals and no enum conversions here.
    """
    if handled is None:
        handled = python_handled()
    for num in handled:
        try:  # noqa: SIM105 -- suppress() allocates, in every child
            csignal.signal(num, 0)  # SIG_DFL
        except (OSError, ValueError):
            pass
    _installed.clear()


def kill(pid: int, signum: int = _signal.SIGTERM) -> bool:
    """Send ``signum`` to ``pid``; signal 0 only tests that the pid exists (zombies too).

    Returns False when there is no such process (or it is not ours to signal). Refuses
    pid 1 for any real signal and pid <= 0 always: a group kill must be explicit
    (``os.killpg``), never a typo away.
    """
    if type(pid) is not int:
        raise TypeError(f"pid must be an int, not {type(pid).__name__}")
    num = _check_signum(signum, allow_zero=True)
    if pid <= 0 or (pid == 1 and num != 0):
        raise ValueError(
            f"refusing to signal pid {pid}: it would reach init or a whole process group; "
            "use os.killpg() if that is really what you mean")
    try:
        os.kill(pid, num)
        ok = True
    except (ProcessLookupError, PermissionError):
        ok = False
    em = _trace.emitter
    if em is not None:
        em.emit("signal.send", {"to": pid, "signal": num, "name": signal_name(num), "ok": ok})
    return ok


def wait(blocking: bool = True) -> WaitResult | None:
    """Reap one exited child; None if there is no child, or (non-blocking) none exited."""
    if not isinstance(blocking, int):  # bool, or Swoole-style 0/1
        raise TypeError(f"blocking must be a bool, not {type(blocking).__name__}")
    try:
        # wait4, not waitpid: the same system call, and it also says what the child
        # used (cpu time, peak rss), the final figures of a process that may have lived
        # too short for any sample.
        pid, status, usage = os.wait4(-1, 0 if blocking else os.WNOHANG)
    except ChildProcessError:
        return None
    if pid == 0:
        return None
    if os.WIFSIGNALED(status):
        result = WaitResult(pid, 0, os.WTERMSIG(status))
    else:
        result = WaitResult(pid, os.waitstatus_to_exitcode(status), 0)
    em = _trace.emitter
    if em is not None:
        em.emit("proc.reap", {
            "child": pid, "code": result.code, "signal": result.signal,
            "cpu_time": round(usage.ru_utime + usage.ru_stime, 6),
            "maxrss": usage.ru_maxrss * 1024,  # Linux counts ru_maxrss in KiB
        })
    return result


def alarm(usec: int, type: int = 0) -> bool:
    """An interval timer every ``usec`` microseconds (0 real, 1 virtual, 2 profiling).

    ``usec <= 0`` stops it. Unlike Swoole it coexists with ``Timer``.
    """
    if not isinstance(usec, int | float) or isinstance(usec, bool):
        raise TypeError(f"usec must be a number, not {usec.__class__.__name__}")
    if type not in ALARM_TYPES or isinstance(type, bool):
        raise ValueError(f"alarm type must be 0 (real), 1 (virtual) or 2 (profiling), not {type}")
    seconds = max(float(usec), 0.0) / 1e6
    _signal.setitimer(_ITIMERS[type], seconds, seconds)
    em = _trace.emitter
    if em is not None:
        em.emit("alarm.set", {"usec": max(int(usec), 0), "type": type})
    return True
