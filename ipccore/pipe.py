"""Socketpair pipes: creation, ``write``/``read`` with typed errors, and fd bookkeeping.

A DGRAM pipe is a ``SOCK_SEQPACKET`` socketpair, not ``SOCK_DGRAM``: both keep message
boundaries and take the same kernel path, but only a connection-oriented socket tells a
reader that its peer is gone (``recv`` returns ``b""``) and a writer gets ``EPIPE``. A
plain DGRAM socketpair blocks a reader forever once the other side died, which is one of
the Swoole behaviours ipccore exists to fix.

``write``/``read`` sit on the hot path of every ping-pong, so they bind what they need
and test the monitor hook with one ``is None``. With a monitor counting a flood, they
count into the emitter's grant themselves (``_trace.Grant``: no call per operation).
"""

from __future__ import annotations

import errno
import mmap
import socket
import weakref
from collections.abc import Callable
from typing import NoReturn

from ipccore import _trace
from ipccore._sockets import (
    PEEK_TRUNC,
    check_size,
    grow_sndbuf,
    make_pair,
    map_write_error,
    private_buffer,
    sndbuf_cap,
    truncated,
)
from ipccore._trace import NO_GRANT, Grant, fail
from ipccore.asocket import ExportedSocket
from ipccore.constants import PIPE_TYPE_DGRAM, PIPE_TYPE_NONE, PIPE_TYPE_STREAM
from ipccore.errors import NoPipe

_unstarted: set[weakref.ref[PipeMixin]] = set()
"""Not-yet-started pipes, as plain weak references: set operations in C, because a new
child walks this and every Python-level object it touches is a copy-on-write fault."""


def close_foreign_worker_ends(own: PipeMixin) -> None:
    """In a new child: drop the worker ends of other not-yet-started Process objects.

    Otherwise this child would keep them open and their future children would never see
    end-of-file from a master that exited.
    """
    for ref in list(_unstarted):
        proc = ref()
        if proc is not None and proc is not own and proc._other is not None:
            proc._other.close()
            proc._other = None
            proc._orphaned = True
    _unstarted.clear()


def _coerce(data: object) -> bytes:
    if isinstance(data, str):
        out = data.encode()
    elif isinstance(data, bytes | bytearray | memoryview):
        out = bytes(data)
    else:
        raise TypeError(f"write() takes bytes or str, not {type(data).__name__}")
    if not out:
        raise ValueError("write() of empty data: there is nothing to send")
    return out


STREAM_READ_MAX = 65536
"""Most bytes one ``read()`` returns on a STREAM pipe (Swoole: 8192)."""


class PipeMixin:
    """The pipe half of :class:`ipccore.Process`: ``write``, ``read``, ``export_socket``."""

    pipe: int | None
    pid: int | None
    pipe_type: int
    _sock: socket.socket | None
    _other: socket.socket | None
    _peer: int | None
    _rbuf: mmap.mmap
    _exported: ExportedSocket | None
    _orphaned: bool
    _ref: weakref.ref[PipeMixin]
    _send: Callable[[bytes], int | None]
    _stream: bool
    _recv_into: Callable[[mmap.mmap], int]
    _recv_bytes: Callable[[int], bytes]
    _wg: Grant
    """The monitor's grant for this pipe end's writes (``_trace.Grant``)."""
    _rg: Grant
    """... and for its reads."""

    def _init_pipe(self, pipe_type: int) -> None:
        self.pipe_type = pipe_type
        self._peer = None
        self._exported = None
        self._orphaned = False
        if pipe_type == PIPE_TYPE_NONE:
            self._sock = self._other = None
            self.pipe = None
        else:
            self._sock, self._other = make_pair(pipe_type)
            self.pipe = self._sock.fileno()
        self._ref = weakref.ref(self, _unstarted.discard)
        if pipe_type != PIPE_TYPE_NONE:
            _unstarted.add(self._ref)
        # Any message that got through is smaller than the sender's largest SO_SNDBUF; the
        # map is lazy, so only the pages a message really uses are ever touched.
        self._rbuf = private_buffer(mmap.PAGESIZE if pipe_type == PIPE_TYPE_NONE else sndbuf_cap())
        self._bind()

    def _bind(self) -> None:
        """Bind the hot-path callables once, so write()/read() test nothing per call."""
        self._wg = self._rg = NO_GRANT  # a grant is for one fd and peer
        sock = self._sock
        if sock is None:
            self._send = self._recv_into = self._recv_bytes = self._no_pipe
            self._stream = False
            return
        # sendall() returns None, hence the ``or len(data)`` in write().
        self._send = sock.send if self.pipe_type == PIPE_TYPE_DGRAM else sock.sendall
        # DGRAM: the whole message, however big, through the big buffer. STREAM has no
        # message to cut: a plain recv() of at most 64 KiB, one copy, and no walk over
        # fresh pages of the big buffer.
        self._stream = self.pipe_type == PIPE_TYPE_STREAM
        self._recv_into = sock.recv_into
        self._recv_bytes = sock.recv

    def _no_pipe(self, *_args: object) -> NoReturn:
        if self.pipe_type == PIPE_TYPE_NONE:
            raise fail("pipe", NoPipe(
                "this Process was created with pipe_type=0 and has no pipe; "
                "create it with pipe_type=1 or 2, or use a queue"))
        raise fail("pipe", NoPipe("the pipe was closed"))

    def _pipe_started(self, child_pid: int) -> None:
        """In the master after fork: keep only the master end."""
        _unstarted.discard(self._ref)
        self._peer = child_pid
        self._wg = self._rg = NO_GRANT
        if self._other is not None:
            self._other.close()
            self._other = None

    def _pipe_in_child(self, parent_pid: int) -> None:
        """In the child after fork: keep only the worker end."""
        if len(_unstarted) > 1:
            close_foreign_worker_ends(self)
        else:
            _unstarted.clear()
        self._peer = parent_pid
        if self._sock is not None and self._other is not None:
            self._sock.close()
            self._sock, self._other = self._other, None
            self.pipe = self._sock.fileno()
            self._bind()

    def _need_sock(self) -> socket.socket:
        sock = self._sock
        if sock is None:
            self._no_pipe()
        assert sock is not None
        return sock

    def write(self, data: bytes | str) -> int:
        """Send one message (DGRAM) or bytes (STREAM); returns the number of bytes written.

        Raises ``ProcessGone`` once the other side has exited and ``MessageTooLarge`` for a
        datagram the kernel cannot carry (at once: never a hang).
        """
        if type(data) is not bytes or not data:
            data = _coerce(data)
        try:
            n: int = self._send(data) or len(data)
        except OSError as exc:
            if exc.errno != errno.EMSGSIZE or not grow_sndbuf(self._need_sock()):
                raise map_write_error(exc, len(data), self._peer) from None
            return self.write(data)
        em = _trace.emitter
        if em is not None:
            g = self._wg
            if g.left > 0:  # counted on the monitor's grant: no call
                g.left -= 1
                g.nbytes += n
            else:
                self._wg = em.pipe_io("pipe.write", self.pipe, self._peer, n, "pipe",
                                      data) or NO_GRANT
        return n

    def read(self, size: int | None = None) -> bytes:
        """The next whole message (DGRAM) or what is available (STREAM); ``b""`` at EOF.

        With no ``size`` nothing is ever cut (Swoole reads 8192 bytes and drops the rest).
        A DGRAM message longer than an explicit ``size`` raises ``MessageTruncated`` and
        stays in the pipe.
        """
        try:
            if size is not None:
                data = self._rbuf[: self._read_sized(size)]
            elif self._stream:
                data = self._recv_bytes(STREAM_READ_MAX)
            else:
                buf = self._rbuf
                data = buf[: self._recv_into(buf)]
        except ConnectionResetError:
            data = b""
        em = _trace.emitter
        if em is not None:
            g = self._rg
            if g.left > 0:  # counted on the monitor's grant: no call
                g.left -= 1
                g.nbytes += len(data)
            else:
                self._rg = em.pipe_io("pipe.read", self.pipe, self._peer, len(data), "pipe",
                                      data) or NO_GRANT
        return data

    def _read_sized(self, size: int) -> int:
        check_size(size)
        sock = self._need_sock()
        buf = self._rbuf
        size = min(size, len(buf))
        if self.pipe_type == PIPE_TYPE_DGRAM:
            real = sock.recv_into(buf, size, PEEK_TRUNC)
            if real > size:
                raise truncated("read", real, size)
        return sock.recv_into(buf, size)

    def export_socket(self) -> ExportedSocket:
        """An asyncio socket on a dup() of the pipe; the same object on every call."""
        if self._exported is None:
            sock = self._need_sock()
            self._exported = ExportedSocket(sock, self.pipe_type, _peer_of(self._ref))
        return self._exported


def _peer_of(ref: weakref.ref[PipeMixin]) -> Callable[[], int | None]:
    """The socket's way to name its peer, through a weak reference.

    A bound method would make Process and its socket a reference cycle, so a dropped
    Process would keep its pipe open (and the child would not see end of file) until the
    cyclic GC ran.
    """

    def peer() -> int | None:
        proc = ref()
        return None if proc is None else proc._peer

    return peer
