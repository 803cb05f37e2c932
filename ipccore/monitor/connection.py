"""The emitter's connection to the collector, and the socket-only way of sending events.

The Unix stream connection says who we are (the collector reads our pid from
SO_PEERCRED) and, by its end of file, that we are gone; in ring mode it also carries the
``monitor.ring`` announcement, and the ring (``emitter.py``) carries everything else.
Without a ring the events themselves go over it, one NDJSON line each (:func:`encode`).

Why a stream and not datagrams: ``net.unix.max_dgram_qlen`` is 10 here, so datagram
sockets drop under any burst. Sends are non-blocking; when the socket is full the unsent
tail of *one* line is kept (lines are never split or interleaved) and whole later events
are dropped and counted (``monitor.dropped``). A vanished collector disables the emitter.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import struct
import time
from json.encoder import encode_basestring_ascii as _esc
from typing import Any

from ipccore._trace import EmitterBase
from ipcevents.events import PREVIEW_MAX, json_value

CLOSE_FLUSH_S = 0.5
"""How long ``close()`` may block to hand the last bytes to the kernel."""

STALL_S = 0.0
"""Longest wait for room in the socket per congestion episode (then drop and count).

0: never wait. Measured: even 5 ms per episode throttled a pipe flood to the
collector's pace (about 20 us per event in Python) and made it 1.5x slower than
dropping; the 2 MiB send buffer already absorbs bursts of about 2000 events."""
SNDBUF = 1 << 20
"""Asked-for send buffer (the kernel doubles it, capped by ``net.core.wmem_max``): a
small event costs about 1 KiB of it, so the default 208 KiB held only ~200 events."""

_KEYS: dict[str, str] = {}


def encode(pid: int, kind: str, fields: dict[str, Any], data: bytes | None) -> bytes:
    """One NDJSON line (with the newline), hand-built: about 2x cheaper than json.dumps.

    ``seq`` is 0 (the collector assigns it); ``preview`` comes from ``data`` when given.
    """
    parts = [f'{{"v":1,"seq":0,"ts":{time.time()!r},"pid":{pid},"kind":{_esc(kind)}']
    for key, value in fields.items():
        ekey = _KEYS.get(key)
        if ekey is None:
            ekey = _KEYS.setdefault(key, str(_esc(key)))
        parts.append(f",{ekey}:{json_value(value)}")
    if data is not None:
        parts.append(',"preview":')
        parts.append(_esc(data[:PREVIEW_MAX].decode("utf-8", "backslashreplace")))
    parts.append("}\n")
    return "".join(parts).encode("ascii")


class StreamEmitter(EmitterBase):
    """Implements ``ipccore._trace.Emitter`` over a non-blocking Unix stream socket."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.dropped = 0
        """Events dropped since the last ``monitor.dropped`` report."""
        self.dropped_total = 0
        self._pending = b""
        self._congested = False
        self._sock: socket.socket | None = None
        self._pid = os.getpid()
        self.foreign_uid: int | None = None
        """Set when the listener belongs to another user: we refused to talk to it."""
        self.enabled = self._connect()

    def _connect(self) -> bool:
        try:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SNDBUF)
            sock.connect(self.path)
            sock.setblocking(False)
            cred = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        except OSError:
            return False
        _pid, uid, _gid = struct.unpack("3i", cred)
        if uid != os.getuid():
            # Message previews must never go to a socket someone else listens on.
            self.foreign_uid = uid
            sock.close()
            return False
        self._sock = sock
        return True

    def reconnect_after_fork(self) -> None:
        """In a fresh child: drop the parent's connection and state, open our own."""
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
            self._sock = None
        self._pending = b""
        self._congested = False
        self.dropped = 0
        self.dropped_total = 0
        self._pid = os.getpid()
        self.enabled = self._connect()

    def _disable(self) -> None:
        self.enabled = False
        self._pending = b""
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
            self._sock = None

    def _try(self, data: bytes) -> int | None:
        """Bytes the kernel took, or None when full (or the collector is gone).

        A full socket gets one short bounded wait per congestion episode, so a burst
        that merely outruns the collector is not dropped, while a collector that stopped
        reading costs at most :data:`STALL_S` before events are dropped without waiting.
        """
        sock = self._sock
        if sock is None:
            return None
        try:
            try:
                return sock.send(data)
            except BlockingIOError:
                if self._congested or STALL_S <= 0:
                    return None
                select.select([], [sock], [], STALL_S)
                return sock.send(data)
        except BlockingIOError:
            self._congested = True
            return None
        except OSError:
            self._disable()
            return None

    def _catch_up(self) -> bool:
        """Flush the unsent tail, then the drop count; True when the way is clear."""
        if self._pending:
            sent = self._try(self._pending)
            if sent is None:
                return False
            self._pending = self._pending[sent:]
            if self._pending:
                return False
        if self.dropped:
            line = encode(self._pid, "monitor.dropped", {"count": self.dropped}, None)
            sent = self._try(line)
            if sent is None:
                return False
            self.dropped = 0
            self._pending = line[sent:]
            if self._pending:
                return False
        self._congested = False
        return True

    def emit(self, kind: str, fields: dict[str, Any], data: bytes | None = None) -> None:
        if not self.enabled:
            return
        self._emit_line(kind, fields, data)

    def _emit_line(self, kind: str, fields: dict[str, Any], data: bytes | None) -> None:
        """One event as a line over the socket (or dropped and counted)."""
        if (self._pending or self.dropped) and not self._catch_up():
            if self.enabled:
                self.dropped += 1
                self.dropped_total += 1
            return
        try:
            line = encode(self._pid, kind, fields, data)
        except Exception:  # a monitor must never break the program
            self.dropped += 1
            self.dropped_total += 1
            return
        sent = self._try(line)
        if sent is None:
            if self.enabled:
                self.dropped += 1
                self.dropped_total += 1
        elif sent < len(line):
            self._pending = line[sent:]

    def _check_alive(self) -> None:
        """Ask the socket whether the collector is still there (end of file or reset:
        disable, as a failed send would); for a sender that otherwise sends nothing."""
        sock = self._sock
        if sock is None:
            return
        try:
            if sock.recv(1, socket.MSG_DONTWAIT | socket.MSG_PEEK) == b"":
                self._disable()
        except BlockingIOError:
            pass
        except OSError:
            self._disable()

    def close(self) -> None:
        """Flush within :data:`CLOSE_FLUSH_S`, then close; never raises."""
        if not self.enabled or self._sock is None:
            return
        self._before_close()
        deadline = time.monotonic() + CLOSE_FLUSH_S
        with contextlib.suppress(OSError):
            while (self._pending or self.dropped) and self.enabled:
                self._congested = True
                if self._catch_up():
                    break
                left = deadline - time.monotonic()
                if left <= 0 or self._sock is None:
                    break
                select.select([], [self._sock], [], left)
        self._disable()

    def _before_close(self) -> None:
        """What a subclass still has to hand over before the last flush."""
