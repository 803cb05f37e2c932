"""How many bytes wait in a pipe another process holds, without touching its data.

``/proc`` does not say how full a pipe is. We duplicate the process's descriptor into
ours with ``pidfd_getfd`` (allowed for our own uid), ask ``FIONREAD`` and close the
duplicate at once: nothing is read, written or left open in the other process, and a
duplicate shares the open file, so it changes no reader or writer count. It is how a
``multiprocessing.Queue`` backlog shows while its consumer is stopped.
"""

from __future__ import annotations

import array
import contextlib
import ctypes
import fcntl
import os
import termios

_SYS_PIDFD_GETFD = 438
_libc: ctypes.CDLL | None = None


def _syscall() -> ctypes.CDLL:
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    return _libc


def pipe_backlog(pid: int, fd: int) -> int | None:
    """Bytes buffered in the pipe behind ``pid``'s ``fd``; None when it cannot be asked."""
    try:
        pidfd = os.pidfd_open(pid)
    except OSError:
        return None
    try:
        dup = int(_syscall().syscall(_SYS_PIDFD_GETFD, pidfd, fd, 0))
        if dup < 0:
            return None
        try:
            buf = array.array("i", [0])
            fcntl.ioctl(dup, termios.FIONREAD, buf, True)
            return int(buf[0])
        except OSError:
            return None
        finally:
            os.close(dup)
    finally:
        with contextlib.suppress(OSError):
            os.close(pidfd)
