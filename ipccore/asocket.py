"""``export_socket()``: the pipe as an asyncio socket (Swoole's ``exportSocket()``).

It wraps a ``dup()`` of the pipe fd in non-blocking mode and uses the loop's
``sock_sendall``/``sock_recv_into`` directly: no transport/protocol/stream layers, which
is what makes it faster than asyncio streams. It is not tied to a loop, so the same
object works under successive ``ipccore.run()`` calls.
"""

from __future__ import annotations

import asyncio
import mmap
import socket
from collections.abc import Callable

from ipccore import _trace
from ipccore.errors import MessageTruncated, NoPipe
from ipccore.pipe import _PEEK_TRUNC, _fail, map_write_error


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
        self._buf = mmap.mmap(-1, sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF))

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
        loop = asyncio.get_running_loop()
        try:
            await loop.sock_sendall(sock, data)
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
        limit = len(buf) if size is None else min(size, len(buf))
        try:
            if size is not None and self._dgram:
                await self._wait_readable(loop, sock)
                real = sock.recv_into(buf, limit, _PEEK_TRUNC)
                if real > limit:
                    raise _fail("recv", MessageTruncated(
                        f"the next message is {real} bytes, more than recv({size}) asked "
                        "for; it is still queued: call recv() with no size", size=real))
            target = buf if size is None else memoryview(buf)[:limit]
            n = await loop.sock_recv_into(sock, target)
        except ConnectionResetError:
            n = 0
        data = buf[:n]
        em = _trace.emitter
        if em is not None:
            em.emit("pipe.read", {"fd": self.fd, "from": self._peer(), "nbytes": n,
                                  "via": "socket"}, data)
        return data

    @staticmethod
    async def _wait_readable(loop: asyncio.AbstractEventLoop, sock: socket.socket) -> None:
        fut: asyncio.Future[None] = loop.create_future()
        fd = sock.fileno()

        def ready() -> None:
            if not fut.done():
                fut.set_result(None)

        loop.add_reader(fd, ready)
        try:
            await fut
        finally:
            loop.remove_reader(fd)

    def close(self) -> bool:
        """Close the dup()ed fd (the Process pipe stays open); True if it was open."""
        if self._sock is None:
            return False
        self._sock.close()
        self._sock = None
        return True

    def __repr__(self) -> str:
        return f"<ExportedSocket fd={self.fd} {'open' if self._sock else 'closed'}>"
