"""The C library through ctypes, loaded once, and the one syscall wrapper that needs it
in two places (the monitor's pipe writes and the observers' backlog reads).
"""

from __future__ import annotations

import ctypes
import os
from functools import cache

_SYS_PIDFD_GETFD = 438


@cache
def libc() -> ctypes.CDLL:
    """This process's C library (``errno`` kept for ``ctypes.get_errno``)."""
    return ctypes.CDLL(None, use_errno=True)


def pidfd_getfd(pid: int, fd: int) -> int:
    """A duplicate, in this process, of file descriptor ``fd`` of process ``pid`` (the
    caller closes it); ``OSError`` when the kernel refuses (gone, not ours, too old)."""
    pidfd = os.pidfd_open(pid)
    try:
        dup = int(libc().syscall(_SYS_PIDFD_GETFD, pidfd, fd, 0))
        if dup < 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err))
        return dup
    finally:
        os.close(pidfd)
