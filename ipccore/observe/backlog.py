"""How many bytes wait in a pipe another process holds, without touching its data.

``/proc`` does not say how full a pipe is. We duplicate the process's descriptor into
ours with ``pidfd_getfd`` (allowed for our own uid), ask ``FIONREAD`` and close the
duplicate at once: nothing is read, written or left open in the other process, and a
duplicate shares the open file, so it changes no reader or writer count. It is how a
``multiprocessing.Queue`` backlog shows while its consumer is stopped.
"""

from __future__ import annotations

import array
import fcntl
import os
import termios

from ipccore._libc import pidfd_getfd


def pipe_backlog(pid: int, fd: int) -> int | None:
    """Bytes buffered in the pipe behind ``pid``'s ``fd``; None when it cannot be asked."""
    try:
        dup = pidfd_getfd(pid, fd)
    except OSError:
        return None
    try:
        buf = array.array("i", [0])
        fcntl.ioctl(dup, termios.FIONREAD, buf, True)
        return int(buf[0])
    except OSError:
        return None
    finally:
        os.close(dup)
