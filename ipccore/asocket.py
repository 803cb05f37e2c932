"""``export_socket()``: the pipe as an asyncio socket (Swoole's ``exportSocket()``).

It wraps a ``dup()`` of the pipe fd in non-blocking mode and uses the loop's
``sock_sendall``/``sock_recv_into`` directly: no transport/protocol/stream layers, which
is what makes it faster than asyncio streams. It is not tied to a loop, so the same
object works under successive ``ipccore.run()`` calls.
"""

from __future__ import annotations

import asyncio
import errno
import mmap
import socket
from collections.abc import Callable

from ipccore import _trace
from ipccore.errors import MessageTruncated, NoPipe
from ipccore.pipe import _PEEK_TRUNC, _fail, grow_sndbuf, map_write_error, sndbuf_cap


class ExportedSocket:
    """``await send(data)``, ``await recv(size)``, ``close()`` on a dup of the pipe."""

    def __init__(
        self, sock: socket.socket, pipe_type: int, peer: Callable[[], int | None]
    ) -> None:
        self._sock: socket.socket | None = sock.dup()
        self._sock.setblocking(False)
        self.fd = self._sock.fileno()
        """The dup()ed descriptor (not ``Process.pipe``)."""
        self._dgram = pipe_type == 2
        self._peer = peer
        self._buf = mmap.mmap(-1, sndbuf_cap())
        self._reader_loop: asyncio.AbstractEventLoop | None = None
        self._waiter: asyncio.Future[None] | None = None

    def _need(self, op: str) -> socket.socket:
        if self._sock is None:
            raise _fail(op, NoPipe("this exported socket was closed"))
        return self._sock

    async def send(self, data: bytes | str) -> int:
        """Send one message (DGRAM) or all bytes (STREAM); ``send(b"")`` returns 0.

        Raises ``ProcessGone``/``MessageTooLarge`` like ``Process.write``.
        """
        if isinstance(data, str):
            data = data.encode()
        elif not isinstance(data, bytes | bytearray | memoryview):
            raise TypeError(f"send() takes bytes or str, not {type(data).__name__}")
        if not data:
            return 0
        sock = self._need("send")
        try:
            try:
                sent = sock.send(data)
            except BlockingIOError:
                sent = 0
            except OSError as exc:
                if exc.errno != errno.EMSGSIZE or not grow_sndbuf(sock):
                    raise
                sent = 0
            if sent < len(data):
                await asyncio.get_running_loop().sock_sendall(sock, memoryview(data)[sent:])
        except OSError as exc:
            raise map_write_error(exc, len(data), self._peer()) from None
        em = _trace.emitter
        if em is not None:
            em.emit("pipe.write", {"fd": self.fd, "to": self._peer(), "nbytes": len(data),
                                   "via": "socket"}, bytes(data))
        return len(data)

    async def recv(self, size: int | None = None) -> bytes:
        """The next whole message (DGRAM) or what is available (STREAM); ``b""`` at EOF.

        Swoole's default is 65536 and it drops the rest of a longer datagram; here no size
        means "the whole message", and a DGRAM message longer than an explicit ``size``
        raises ``MessageTruncated`` and stays queued.
        """
        if size is not None:
            if type(size) is not int:
                raise TypeError(f"size must be an int, not {type(size).__name__}")
            if size <= 0:
                raise ValueError(f"size must be positive, got {size}")
        sock = self._need("recv")
        loop = asyncio.get_running_loop()
        buf = self._buf
        target = buf if size is None else memoryview(buf)[: min(size, len(buf))]
        watching = self._reader_loop is loop
        while True:
            if watching:
                await self._readable(loop)
            try:
                if size is not None and self._dgram:
                    self._check_size(sock, size)
                n = sock.recv_into(target)
                break
            except BlockingIOError:
                watching = True
            except ConnectionResetError:
                n = 0
                break
        data = buf[:n]
        em = _trace.emitter
        if em is not None:
            em.emit("pipe.read", {"fd": self.fd, "from": self._peer(), "nbytes": n,
                                  "via": "socket"}, data)
        return data

    def _check_size(self, sock: socket.socket, size: int) -> None:
        real = sock.recv_into(self._buf, size, _PEEK_TRUNC)
        if real > size:
            raise _fail("recv", MessageTruncated(
                f"the next message is {real} bytes, more than recv({size}) asked "
                "for; it is still queued: call recv() with no size", size=real))

    async def _readable(self, loop: asyncio.AbstractEventLoop) -> None:
        """Wait until the fd is readable, leaving it registered for the next recv().

        Staying registered between calls saves two epoll_ctl calls per message (what
        ``loop.sock_recv`` pays); ``_on_readable`` unregisters when nobody is waiting.
        """
        if self._reader_loop is not loop:
            loop.add_reader(self.fd, self._on_readable)
            self._reader_loop = loop
        fut: asyncio.Future[None] = loop.create_future()
        self._waiter = fut
        try:
            await fut
        finally:
            self._waiter = None

    def _on_readable(self) -> None:
        waiter = self._waiter
        if waiter is None:
            self._unwatch()
        elif not waiter.done():
            waiter.set_result(None)

    def _unwatch(self) -> None:
        loop, self._reader_loop = self._reader_loop, None
        if loop is not None and not loop.is_closed():
            loop.remove_reader(self.fd)

    def close(self) -> bool:
        """Close the dup()ed fd (the Process pipe stays open); True if it was open."""
        if self._sock is None:
            return False
        self._unwatch()
        self._sock.close()
        self._sock = None
        return True

    def __repr__(self) -> str:
        return f"<ExportedSocket fd={self.fd} {'open' if self._sock else 'closed'}>"
