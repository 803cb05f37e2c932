"""Packets over a byte stream: Swoole's ``open_length_check`` and ``open_eof_check``.

A STREAM pipe delivers bytes, not messages: one ``recv()`` may return half a packet or
three and a half. :class:`PacketReader` is the pure part of ``set_protocol()`` +
``recv_packet()`` on an exported socket: bytes go in with :meth:`PacketReader.feed` in
whatever pieces the kernel made, whole packets come out of :meth:`PacketReader.next`,
exactly as they were written. No I/O here, so the splitting rules are tested alone
(``tests/core/test_packet.py`` cuts streams at random boundaries with hypothesis).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from ipccore.errors import PacketError

LENGTH_TYPES: dict[str, str] = {
    "c": "b", "C": "B", "s": "=h", "S": "=H", "n": ">H", "N": ">I", "v": "<H", "V": "<I",
    "l": "=i", "L": "=I", "q": "=q", "Q": "=Q", "J": ">Q", "P": "<Q",
}
"""PHP ``pack()`` codes Swoole's ``package_length_type`` takes, as ``struct`` formats."""
MAX_LENGTH_DEFAULT = 2 * 1024 * 1024
"""Swoole's ``package_max_length`` default (2 MiB)."""
_EOF_MAX = 8
"""Swoole's longest ``package_eof``."""


@dataclass(frozen=True, slots=True)
class Protocol:
    """The checked options of ``set_protocol()``; see :func:`make_protocol`."""

    open_length_check: bool = False
    package_length_type: str = "N"
    package_length_offset: int = 0
    package_body_offset: int = 4
    package_max_length: int = MAX_LENGTH_DEFAULT
    open_eof_check: bool = False
    package_eof: bytes = b"\r\n"


_OPTIONS = frozenset(Protocol.__dataclass_fields__)


def _int_option(name: str, value: object, low: int) -> int:
    if type(value) is not int:
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    return value


def make_protocol(**options: object) -> Protocol:
    """A :class:`Protocol` from Swoole's option names, every value checked.

    Exactly one of ``open_length_check`` / ``open_eof_check`` must be true. The length
    field (``package_length_type`` at ``package_length_offset``) counts the bytes after
    ``package_body_offset``, so a packet is ``package_body_offset + length`` bytes, as in
    Swoole; ``recv_packet()`` returns it whole, header included.
    """
    unknown = sorted(set(options) - _OPTIONS)
    if unknown:
        raise ValueError(f"unknown protocol option(s): {', '.join(unknown)}; "
                         f"known: {', '.join(sorted(_OPTIONS))}")
    proto = Protocol(**options)  # type: ignore[arg-type]
    for name in ("open_length_check", "open_eof_check"):
        if not isinstance(getattr(proto, name), bool):
            raise TypeError(f"{name} must be a bool")
    if proto.open_length_check == proto.open_eof_check:
        raise ValueError("set exactly one of open_length_check=True or open_eof_check=True")
    _int_option("package_max_length", proto.package_max_length, 1)
    if proto.open_length_check:
        if proto.package_length_type not in LENGTH_TYPES:
            raise ValueError(f"package_length_type must be one of "
                             f"{''.join(LENGTH_TYPES)}, not {proto.package_length_type!r}")
        offset = _int_option("package_length_offset", proto.package_length_offset, 0)
        body = _int_option("package_body_offset", proto.package_body_offset, 0)
        end = offset + struct.calcsize(LENGTH_TYPES[proto.package_length_type])
        if body < end:
            raise ValueError(f"package_body_offset ({body}) must not be inside the length "
                             f"field (which ends at byte {end})")
    else:
        eof = proto.package_eof
        if not isinstance(eof, bytes | str):
            raise TypeError("package_eof must be bytes or str")
        eof = eof.encode() if isinstance(eof, str) else eof
        if not 1 <= len(eof) <= _EOF_MAX:
            raise ValueError(f"package_eof must be 1..{_EOF_MAX} bytes, got {len(eof)}")
        proto = Protocol(open_eof_check=True, package_eof=eof,
                         package_max_length=proto.package_max_length)
    return proto


class PacketReader:
    """Cuts a byte stream into packets by a :class:`Protocol`.

    ``feed()`` appends; ``next()`` returns the next whole packet or None. Once a packet
    is found to be bad (a negative or too-large length, no EOF within the maximum) the
    stream has no trustworthy boundary left, so every later ``next()`` raises the same
    :class:`PacketError`: close the pipe.
    """

    def __init__(self, proto: Protocol) -> None:
        self.proto = proto
        self._buf = bytearray()
        self._start = 0
        self._scan = 0
        self._broken: PacketError | None = None
        if proto.open_length_check:
            self._len = struct.Struct(LENGTH_TYPES[proto.package_length_type])
            self._head = proto.package_length_offset + self._len.size

    @property
    def buffered(self) -> int:
        """Bytes received but not yet returned as a packet."""
        return len(self._buf) - self._start

    def feed(self, data: bytes) -> None:
        """Append bytes as they came from the stream."""
        self._buf += data

    def next(self) -> bytes | None:
        """The next whole packet, or None until more bytes are fed."""
        if self._broken is not None:
            raise self._broken
        end = self._length_end() if self.proto.open_length_check else self._eof_end()
        if end is None:
            return None
        packet = bytes(self._buf[self._start:end])
        self._start = self._scan = end
        if self._start > 65536 and self._start * 2 > len(self._buf):
            del self._buf[:self._start]
            self._scan -= self._start
            self._start = 0
        return packet

    def _fail(self, message: str) -> None:
        self._broken = PacketError(message)
        raise self._broken

    def _length_end(self) -> int | None:
        proto, start = self.proto, self._start
        if len(self._buf) - start < self._head:
            return None
        (length,) = self._len.unpack_from(self._buf, start + proto.package_length_offset)
        if length < 0:
            self._fail(f"negative packet length {length}: the stream is corrupt")
        total = proto.package_body_offset + length
        if total > proto.package_max_length:
            self._fail(f"a {total}-byte packet is longer than package_max_length "
                       f"({proto.package_max_length}); the stream cannot be resynchronised")
        end = start + total
        return end if len(self._buf) >= end else None

    def _eof_end(self) -> int | None:
        eof, limit = self.proto.package_eof, self.proto.package_max_length
        at = self._buf.find(eof, max(self._start, self._scan - len(eof) + 1))
        if at < 0:
            self._scan = len(self._buf)
            if self._scan - self._start >= limit:
                self._fail(f"no package_eof within package_max_length ({limit}) bytes")
            return None
        end = at + len(eof)
        if end - self._start > limit:
            self._fail(f"a {end - self._start}-byte packet is longer than "
                       f"package_max_length ({limit})")
        return end
