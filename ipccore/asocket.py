"""``export_socket()``: the pipe as an asyncio socket (Swoole's ``exportSocket()``).

It wraps a ``dup()`` of the pipe fd in non-blocking mode: ``send`` tries the socket
first and falls back to ``loop.sock_sendall``; ``recv`` keeps the fd registered with the
loop and receives from the readiness callback, like a transport, but straight into one
reusable buffer and without the stream layers. It is not tied to a loop, so the same
object works under successive ``ipccore.run()`` calls.
"""

from __future__ import annotations

import asyncio
import errno
import mmap
import socket
from collections.abc import Callable

from ipccore import _trace
from ipccore._sockets import (
    PEEK_TRUNC,
    check_size,
    grow_sndbuf,
    map_write_error,
    sndbuf_cap,
    truncated,
)
from ipccore._trace import fail
from ipccore.constants import PIPE_TYPE_DGRAM
from ipccore.errors import IPCError, NoPipe, PacketError
from ipccore.packet import PacketReader, make_protocol


class ExportedSocket:
    """``await send(data)``, ``await recv(size)``, ``close()`` on a dup of the pipe."""

    def __init__(
        self, sock: socket.socket, pipe_type: int, peer: Callable[[], int | None]
    ) -> None:
        self._sock: socket.socket | None = sock.dup()
        self._sock.setblocking(False)
        self.fd = self._sock.fileno()
        """The dup()ed descriptor (not ``Process.pipe``)."""
        self._dgram = pipe_type == PIPE_TYPE_DGRAM
        self._peer = peer
        self._buf = mmap.mmap(-1, sndbuf_cap())
        self._reader_loop: asyncio.AbstractEventLoop | None = None
        self._pending: tuple[asyncio.Future[int], mmap.mmap | memoryview, int | None] | None
        self._pending = None
        self._kept: bytes | None = None
        self._packets: PacketReader | None = None

    def _need(self, op: str) -> socket.socket:
        if self._sock is None:
            raise fail(op, NoPipe("this exported socket was closed"))
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
            em.pipe_io("pipe.write", self.fd, self._peer(), len(data), "socket", bytes(data))
        return len(data)

    async def recv(self, size: int | None = None) -> bytes:
        """The next whole message (DGRAM) or what is available (STREAM); ``b""`` at EOF.

        Swoole's default is 65536 and it drops the rest of a longer datagram; here no size
        means "the whole message", and a DGRAM message longer than an explicit ``size``
        raises ``MessageTruncated`` and stays queued.
        """
        if size is not None:
            check_size(size)
        sock = self._need("recv")
        loop = asyncio.get_running_loop()
        buf = self._buf
        if self._kept is not None:
            data = self._take_kept(size)
            n = len(data)
        else:
            target = buf if size is None else memoryview(buf)[: min(size, len(buf))]
            if self._reader_loop is loop:
                n = await self._wait_recv(loop, target, size)
            else:
                try:
                    n = self._recv_now(sock, target, size)
                except BlockingIOError:
                    n = await self._wait_recv(loop, target, size)
            data = buf[:n]
        em = _trace.emitter
        if em is not None:
            em.pipe_io("pipe.read", self.fd, self._peer(), n, "socket", data)
        return data

    def _take_kept(self, size: int | None) -> bytes:
        data = self._kept
        assert data is not None
        if size is not None and len(data) > size:
            if self._dgram:
                raise truncated("recv", len(data), size)
            data, self._kept = data[:size], data[size:]
            return data
        self._kept = None
        return data

    def _recv_now(self, sock: socket.socket, target: mmap.mmap | memoryview,
                  size: int | None) -> int:
        """One non-blocking receive into ``target``; raises BlockingIOError if empty."""
        if size is not None and self._dgram:
            real = sock.recv_into(self._buf, size, PEEK_TRUNC)
            if real > size:
                raise truncated("recv", real, size)
        try:
            return sock.recv_into(target)
        except ConnectionResetError:
            return 0

    async def _wait_recv(self, loop: asyncio.AbstractEventLoop,
                         target: mmap.mmap | memoryview, size: int | None) -> int:
        """Receive from the loop's readiness callback, like a transport does.

        The fd stays registered between calls (``loop.sock_recv_into`` pays two
        epoll_ctl per message) and the callback itself receives, so a stale readiness
        event costs nothing instead of waking this task for an EAGAIN. Bytes received
        for a task that was cancelled meanwhile are kept for the next ``recv()``.
        """
        if self._pending is not None:
            raise RuntimeError("recv() called while another task is already waiting in recv()")
        if self._reader_loop is not loop:
            self._unwatch()
            loop.add_reader(self.fd, self._on_readable)
            self._reader_loop = loop
        fut: asyncio.Future[int] = loop.create_future()
        self._pending = (fut, target, size)
        try:
            return await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled() and fut.exception() is None:
                self._kept = self._buf[: fut.result()]
            raise
        finally:
            self._pending = None

    def _on_readable(self) -> None:
        pending, sock = self._pending, self._sock
        if pending is None or sock is None:
            self._unwatch()
            return
        fut, target, size = pending
        if fut.done():
            return
        try:
            n = self._recv_now(sock, target, size)
        except BlockingIOError:
            return
        except Exception as exc:  # handed to the task awaiting recv()
            fut.set_exception(exc)
            return
        fut.set_result(n)

    def _unwatch(self) -> None:
        loop, self._reader_loop = self._reader_loop, None
        if loop is not None and not loop.is_closed():
            loop.remove_reader(self.fd)

    async def send_all(self, data: bytes | str) -> int:
        """Send every byte (Swoole's ``sendAll``); ``send()`` already never sends part."""
        return await self.send(data)

    async def recv_all(self, size: int) -> bytes:
        """Exactly ``size`` bytes from a STREAM pipe (fewer only at end of file).

        On a DGRAM pipe a message cannot be split or joined, so this is ``recv(size)``.
        """
        check_size(size)
        if self._dgram:
            return await self.recv(size)
        parts: list[bytes] = []
        got = 0
        while got < size:
            chunk = await self.recv(size - got)
            if not chunk:
                break
            parts.append(chunk)
            got += len(chunk)
        return b"".join(parts)

    def peek(self, size: int = 65536) -> bytes:
        """Up to ``size`` bytes that a ``recv()`` would return, left in place; ``b""``
        when nothing is waiting. Never waits (like Swoole's ``peek``). Bytes a packet
        reader has already taken in are not seen."""
        check_size(size)
        if self._kept is not None:
            return self._kept[:size]
        sock = self._need("peek")
        try:
            return sock.recv(size, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except (BlockingIOError, ConnectionResetError):
            return b""

    def set_protocol(self, **options: object) -> bool:
        """Swoole's packet options: ``open_length_check=True`` with
        ``package_length_type`` ("N"...), ``package_length_offset``,
        ``package_body_offset`` and ``package_max_length``; or ``open_eof_check=True``
        with ``package_eof``. See :func:`ipccore.packet.make_protocol`."""
        self._packets = PacketReader(make_protocol(**options))
        return True

    async def recv_packet(self) -> bytes:
        """The next whole packet, header included; ``b""`` at end of file between
        packets. On a DGRAM pipe without a protocol every message is a packet.

        Raises :class:`PacketError` for a packet that breaks the protocol or is cut by
        end of file.
        """
        reader = self._packets
        if reader is None:
            if self._dgram:
                return await self.recv()
            raise IPCError("recv_packet() on a STREAM pipe needs set_protocol() first: "
                           "a byte stream has no packet boundaries of its own")
        while True:
            packet = reader.next()
            if packet is not None:
                return packet
            data = await self.recv()
            if not data:
                if reader.buffered:
                    raise PacketError(f"end of file inside a packet ({reader.buffered} "
                                      "bytes of it received)")
                return b""
            reader.feed(data)

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
