"""What a pipe and its exported socket share: the socketpair, its send buffer, the
largest datagram, size checks and the typed errors of a failed send or receive.

Its own module so that :mod:`ipccore.pipe` and :mod:`ipccore.asocket` both import it
and neither imports the other's private names.
"""

from __future__ import annotations

import errno
import mmap
import socket

from ipccore._trace import fail
from ipccore.constants import PIPE_TYPE_DGRAM, PIPE_TYPE_STREAM
from ipccore.errors import IPCError, MessageTooLarge, MessageTruncated, ProcessGone

BUFFER_BYTES = 4 << 20
"""SO_SNDBUF asked for when a datagram needs it (the kernel doubles it); root may
exceed wmem_max with SO_SNDBUFFORCE, others are capped by it."""
_SO_SNDBUFFORCE = getattr(socket, "SO_SNDBUFFORCE", 32)
PEEK_TRUNC = socket.MSG_PEEK | socket.MSG_TRUNC
"""``recv`` flags that report a datagram's real size and leave it queued."""
_GONE = frozenset({errno.EPIPE, errno.ECONNREFUSED, errno.ECONNRESET, errno.ENOTCONN})
_TOO_LARGE = frozenset({errno.EMSGSIZE, errno.ENOBUFS})
_max_datagram: int | None = None
_sndbuf_cap: int | None = None


def grow_sndbuf(sock: socket.socket) -> bool:
    """Raise SO_SNDBUF to the largest we may set; True if it grew.

    Pipes start with the kernel's default buffer: a connected Unix socketpair is
    limited by the sender's SO_SNDBUF alone, and megabytes of queued small messages
    fall out of the CPU caches (one-way throughput dropped by a quarter with 8 MiB).
    A datagram bigger than the buffer (EMSGSIZE) grows it once, then is retried.
    """
    before = sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)
    try:
        sock.setsockopt(socket.SOL_SOCKET, _SO_SNDBUFFORCE, BUFFER_BYTES)
    except PermissionError:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, BUFFER_BYTES)
    return sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) > before


def sndbuf_cap() -> int:
    """The largest SO_SNDBUF this process can give a pipe (what the kernel reports)."""
    global _sndbuf_cap
    if _sndbuf_cap is None:
        with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as sock:
            grow_sndbuf(sock)
            _sndbuf_cap = sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)
    return _sndbuf_cap


def make_pair(pipe_type: int) -> tuple[socket.socket, socket.socket]:
    """(master end, worker end) for PIPE_TYPE_STREAM or PIPE_TYPE_DGRAM (as SEQPACKET)."""
    kind = socket.SOCK_STREAM if pipe_type == PIPE_TYPE_STREAM else socket.SOCK_SEQPACKET
    return socket.socketpair(socket.AF_UNIX, kind)


def max_datagram() -> int:
    """The largest message a DGRAM pipe really carries, found once by trying (cached).

    The kernel's own limit is below SO_SNDBUF: a datagram must fit one kmalloc'ed linear
    part plus the page fragments of one skb (about 4.07 MiB on x86-64), beyond which
    ``send`` fails with ENOBUFS, the case where Swoole retries forever.
    """
    global _max_datagram
    if _max_datagram is None:
        a, b = make_pair(PIPE_TYPE_DGRAM)
        with a, b:
            grow_sndbuf(a)
            hi = a.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)
            buf = mmap.mmap(-1, hi)
            view = memoryview(buf)
            lo = 1
            while lo < hi:
                mid = (lo + hi + 1) // 2
                try:
                    a.send(view[:mid], socket.MSG_DONTWAIT)
                except OSError:
                    hi = mid - 1
                else:
                    b.recv_into(buf)
                    lo = mid
            view.release()
            buf.close()
        _max_datagram = lo
    return _max_datagram


def check_size(size: object) -> int:
    """An explicit receive size: a positive int, else TypeError/ValueError."""
    if type(size) is not int:
        raise TypeError(f"size must be an int, not {type(size).__name__}")
    if size <= 0:
        raise ValueError(f"size must be positive, got {size}")
    return size


def truncated(op: str, real: int, size: int) -> IPCError:
    """``MessageTruncated`` (reported as an error event) for ``op(size)`` facing a
    ``real``-byte message, which stays where it is."""
    return fail(op, MessageTruncated(
        f"the next message is {real} bytes, more than {op}({size}) asked for; it is "
        f"still queued: call {op}() with no size", size=real))


def map_write_error(exc: OSError, nbytes: int, peer: int | None) -> IPCError | OSError:
    """The typed error for a failed send, or ``exc`` itself if it is not ours to name."""
    if exc.errno in _GONE:
        who = f"process {peer}" if peer else "the other end"
        return fail("write", ProcessGone(
            f"{who} has exited and closed its end of the pipe; "
            "nothing more can be written to it (reap it with Process.wait())"))
    if exc.errno in _TOO_LARGE:
        return fail("write", MessageTooLarge(
            f"a {nbytes}-byte message does not fit in one datagram "
            f"(this pipe carries at most {max_datagram()} bytes); "
            "split it or use pipe_type=1 (STREAM)"))
    return exc


def private_buffer(size: int) -> mmap.mmap:
    """A lazily mapped receive buffer, private to each process after fork.

    MAP_PRIVATE (not mmap's default MAP_SHARED): a child reading into the inherited
    buffer gets its own copy of each page it touches, so it can keep the parent's map
    instead of mapping a new one in every child.
    """
    return mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE)
