"""The rest of Swoole\\Process: ``exec``, pipe timeouts and blocking mode, half-close,
scheduling priority and affinity, ``set()``.

Each function takes the :class:`ipccore.Process` it acts on; ``Process`` keeps one thin
method per Swoole method. Every argument is checked before the first system call, so a
wrong one raises ``TypeError``/``ValueError`` and changes nothing.
"""

from __future__ import annotations

import math
import os
import shlex
import signal
import socket
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ipccore import _trace
from ipccore.constants import (
    PIPE_MASTER,
    PIPE_READ,
    PIPE_TYPE_STREAM,
    PIPE_WORKER,
    PIPE_WRITE,
    PRIO_PGRP,
    PRIO_PROCESS,
    PRIO_USER,
)
from ipccore.errors import NotStarted
from ipccore.lifecycle import flush_stdio

if TYPE_CHECKING:
    from ipccore.process import Process

_SET_OPTIONS = frozenset({"enable_coroutine"})
"""What Swoole's ``Process::set()`` takes that means something here (its only option)."""


def _check_bool(name: str, value: object) -> bool:
    if not isinstance(value, int):  # bool, or 0/1 as PHP would coerce
        raise TypeError(f"{name} must be a bool, not {type(value).__name__}")
    return bool(value)


def check_exec_args(path: object, args: object) -> list[str]:
    """The argv for ``execv(path, argv)``, or a ``TypeError``/``ValueError`` naming the fault.

    A ``str`` for ``args`` is refused: iterating it would pass one argument per character.
    """
    if not isinstance(path, str):
        raise TypeError(f"exec() path must be a str, not {type(path).__name__}")
    if not path or "\0" in path:
        raise ValueError("exec() path must be a non-empty string without NUL")
    if isinstance(args, str | bytes) or not isinstance(args, Sequence):
        raise TypeError(
            f"exec() args must be a list of str (like Swoole's array), not {type(args).__name__}")
    argv = [path]
    for arg in args:
        if not isinstance(arg, str):
            raise TypeError(f"exec() args must all be str, got {type(arg).__name__}")
        if "\0" in arg:
            raise ValueError("exec() args cannot contain NUL")
        argv.append(arg)
    return argv


def exec_program(path: str, args: Sequence[str]) -> None:
    """Replace the calling process with ``path`` (``execv``: no ``PATH`` search), argv
    ``[path, *args]``. Returns only by raising.

    A missing or non-executable file raises ``FileNotFoundError``/``PermissionError``
    before anything is flushed or closed, so the caller carries on intact. Stdio is
    flushed first (buffered output would be lost), and SIGPIPE/SIGXFSZ, which Python
    ignores and an ignored signal stays ignored across exec, go back to their default
    like ``subprocess`` does. Fds stay open only if inheritable: under
    ``redirect_stdin_stdout`` the pipe is fd 0 and 1, so the new program reads and writes
    the pipe; otherwise the pipe closes on exec. The kernel keeps the pid, and with it
    PR_SET_PDEATHSIG: the new program still dies with its master.
    """
    argv = check_exec_args(path, args)
    if not os.path.isfile(path):
        raise FileNotFoundError(2, "exec(): no such file", path)
    if not os.access(path, os.X_OK):
        raise PermissionError(13, "exec(): the file is not executable", path)
    flush_stdio()
    em = _trace.emitter
    if em is not None:
        em.emit("proc.exec", {"path": path, "args": shlex.join(argv[1:])[:1024]})
        em.close()
    for num in (signal.SIGPIPE, signal.SIGXFSZ):
        signal.signal(num, signal.SIG_DFL)
    try:
        os.execv(path, argv)
    finally:  # only reached when execv failed
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def set_timeout(proc: Process, seconds: float | None) -> bool:
    """Bound every later ``read()``/``write()`` of the pipe by ``seconds``; ``None`` = none.

    Past the bound the call raises the built-in ``TimeoutError``. On a STREAM pipe a
    ``write()`` that times out may have sent part of its data (``sendall``).
    """
    if seconds is not None:
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            raise TypeError(f"seconds must be a number or None, not {type(seconds).__name__}")
        if not (seconds > 0 and math.isfinite(seconds)):
            raise ValueError(
                f"seconds must be a finite number > 0 (None: no timeout), got {seconds}")
    sock = proc._need_sock()
    sock.settimeout(None if seconds is None else float(seconds))
    proc._bind()
    return True


def set_blocking(proc: Process, blocking: bool) -> bool:
    """Blocking (the default) or non-blocking pipe.

    Non-blocking: ``read()`` with nothing to read and ``write()`` into a full pipe raise
    ``BlockingIOError`` instead of waiting. A non-blocking STREAM ``write()`` is a single
    ``send`` and returns the number of bytes the kernel took, which may be fewer than
    given (write(2)'s rule); a DGRAM message goes whole or not at all.
    """
    flag = _check_bool("blocking", blocking)
    sock = proc._need_sock()
    sock.setblocking(flag)
    proc._bind()
    if not flag and proc.pipe_type == PIPE_TYPE_STREAM:
        proc._send = sock.send
    return True


def close_pipe(proc: Process, which: int) -> bool:
    """Close the pipe, or half of it; False when it was already closed.

    ``which`` follows Swoole's code (``PIPE_*``): 0 closes this side's end; ``PIPE_READ``
    (3) / ``PIPE_WRITE`` (4) shut down reading / writing only (``shutdown(2)``: the peer
    reads end of file after ``PIPE_WRITE``). ``PIPE_MASTER`` (1) / ``PIPE_WORKER`` (2)
    close that side's end: since each side holds only its own end after ``start()``,
    naming the other side's end is a no-op that returns True (in Swoole the master had to
    close ``PIPE_WORKER`` to ever see end of file; here it already does).
    """
    if type(which) is not int:
        raise TypeError(f"which must be an int, not {type(which).__name__}")
    if which not in (0, PIPE_MASTER, PIPE_WORKER, PIPE_READ, PIPE_WRITE):
        raise ValueError(
            "which must be 0 (close), PIPE_MASTER (1), PIPE_WORKER (2), PIPE_READ (3) or "
            f"PIPE_WRITE (4), not {which}")
    started = proc.pid is not None
    if which in (PIPE_MASTER, PIPE_WORKER) and not started:
        raise NotStarted(
            "close(PIPE_MASTER/PIPE_WORKER) names one side of a started process; "
            "before start() call close() (both ends)")
    sock = proc._sock
    if sock is None:
        return False
    if which in (PIPE_READ, PIPE_WRITE):
        sock.shutdown(socket.SHUT_RD if which == PIPE_READ else socket.SHUT_WR)
        return True
    in_child = proc.pid == os.getpid()
    if which == (PIPE_MASTER if in_child else PIPE_WORKER):
        return True  # the other side's end is not in this process
    fd = proc.pipe
    sock.close()
    if proc._other is not None:
        proc._other.close()
        proc._other = None
    proc._sock = None
    proc.pipe = None
    proc._bind()
    em = _trace.emitter
    if em is not None:
        em.emit("pipe.close", {"fd": fd})
    return True


def _who(proc: Process, which: int) -> int:
    pid = proc.pid or 0
    if which == PRIO_PROCESS:
        return pid
    if which == PRIO_PGRP:
        return os.getpgid(pid) if pid else 0
    return 0 if not pid else os.stat(f"/proc/{pid}").st_uid


def _check_which(which: object) -> int:
    if type(which) is not int:
        raise TypeError(f"which must be an int, not {type(which).__name__}")
    if which not in (PRIO_PROCESS, PRIO_PGRP, PRIO_USER):
        raise ValueError(
            f"which must be PRIO_PROCESS (0), PRIO_PGRP (1) or PRIO_USER (2), not {which}")
    return which


def set_priority(proc: Process, which: int, value: int) -> bool:
    """``setpriority(which, who, value)``: ``who`` is this Process's pid, its process group
    or its user for PRIO_PROCESS / PRIO_PGRP / PRIO_USER (the calling process before
    ``start()``). Swoole passes the pid as ``who`` whatever ``which`` is, which for
    PRIO_PGRP and PRIO_USER names an unrelated group or user.

    ``value`` is a nice value, -20 (most favoured) .. 19; lowering it needs
    CAP_SYS_NICE (``PermissionError`` otherwise).
    """
    which = _check_which(which)
    if type(value) is not int:
        raise TypeError(f"priority must be an int, not {type(value).__name__}")
    if not -20 <= value <= 19:
        raise ValueError(f"priority must be a nice value in -20..19, got {value}")
    os.setpriority(which, _who(proc, which), value)
    return True


def get_priority(proc: Process, which: int) -> int:
    """The nice value of this Process (or its group / user), as ``set_priority`` names it."""
    which = _check_which(which)
    return os.getpriority(which, _who(proc, which))


def get_affinity() -> list[int]:
    """The CPUs the calling process may run on, ascending (``sched_getaffinity``)."""
    return sorted(os.sched_getaffinity(0))


def set_options(proc: Process, options: dict[str, Any]) -> bool:
    """Swoole's ``set(array)``: only ``enable_coroutine`` means something here."""
    unknown = sorted(set(options) - _SET_OPTIONS)
    if unknown:
        raise ValueError(
            f"set() does not know {', '.join(unknown)}: the only option of Swoole's "
            "Process::set() is enable_coroutine (its hook flags and C stack size are "
            "PHP-runtime settings with no meaning here)")
    if "enable_coroutine" in options:
        proc.enable_coroutine = _check_bool("enable_coroutine", options["enable_coroutine"])
    return True
