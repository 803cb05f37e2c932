"""A shared-memory event ring per process: events without a system call.

Each monitored process maps a file in the collector's private directory and appends
fixed little-endian binary records to it; the collector maps the same file and drains
it in batches. Writing is a ``struct.pack_into`` and a slice assignment, so the cost
per event is about a microsecond instead of a JSON encode plus a ``send()`` that wakes
the reader; and because the memory is shared, a record is safe the moment it is written,
also when the writer is SIGKILLed right after (the file outlives the process).

One writer (the process), one reader (the collector). The writer publishes its write
position after the record; the reader publishes its read position after consuming.
The positions are read and written as whole 8-byte words through a ``memoryview``
cast to ``Q`` (one aligned load or store, which x86-64 and arm64 keep whole), never
with ``struct.pack_into``: that clears its bytes before it writes them, so a reader
on another CPU could see a position of 0 (it did, under load: the collector took it
for a broken ring and read the ring again from the start). Native byte order: both
ends run on the same machine. The record's bytes are stored before the position that
publishes them (program order; the reader checks every record's bounds anyway, so a
torn or hostile ring is counted, not trusted).

Layout: a 64-byte header (magic, version, capacity, write position at 16, read
position at 24, the last JSON record's position + 1 at 32, 0 for none), then
``capacity`` bytes of records. A record is 48 bytes of header
(length, type, via, payload length, ts, a, b, c, nbytes) then its payload, padded to 8;
a record never wraps: a length of ``0xFFFFFFFF`` tells the reader to go back to 0.
Hot kinds get binary records (the payload is the first 64 body bytes, escaped by the
collector); every other event is its NDJSON line as the payload of a type-0 record. An
aggregate (``budget.py``) is its kind's record type plus :data:`AGG`, its payload the
count and ``ts0`` (16 bytes) then the preview.

JSON records are chained: each one's ``a`` is the previous one's position + 1, and the
header names the last (written before the write position that publishes the record).
A collector that spools a ring's bytes to disk instead of decoding them (``spool.py``)
follows the chain to read just those records at once, the lifecycle events it must
learn from while the program runs (a reap, a queue's creation), not the flood of
pipe and queue messages around them.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import re
import stat
import struct
import time
from pathlib import Path
from typing import Any

from ipccore.monitor.order import Draft
from ipcevents.events import PREVIEW_MAX

MAGIC = b"IPCR"
VERSION = 3
"""2: aggregate records; 3: chained JSON records (a collector of another version refuses
the ring: both ship together)."""
HEADER = 64
CAPACITY = 2 << 20
"""2 MiB of records: ~20,000 small events between two drains of the collector."""

_FILE_HDR = struct.Struct("<4sIQ")
_POS = struct.Struct("<Q")
_WRITE_AT, _READ_AT, _JSON_AT = 16, 24, 32
_W, _R, _J = _WRITE_AT // 8, _READ_AT // 8, _JSON_AT // 8
"""The positions' indexes in the file as 8-byte words (see the module's docstring)."""
_REC = struct.Struct("<IBBHdqqqq")
_REC_SIZE = _REC.size
_WRAP = 0xFFFFFFFF
NONE = -(1 << 63)
"""``to``/``from``/``mtype`` unknown (null)."""

JSON, PIPE_WRITE, PIPE_READ, QUEUE_PUSH, QUEUE_POP = 0, 1, 2, 3, 4
HOT: dict[str, int] = {
    "pipe.write": PIPE_WRITE, "pipe.read": PIPE_READ,
    "queue.push": QUEUE_PUSH, "queue.pop": QUEUE_POP,
}
_KIND = {code: kind for kind, code in HOT.items()}
AGG = 4
"""An aggregate's record type is its kind's plus this."""
_AGG_KIND = {code + AGG: kind for kind, code in HOT.items()}
_AGG_HEAD = struct.Struct("<qd")
"""An aggregate's payload starts with its count and ``ts0``."""
_VIA = ("pipe", "socket", "monitor")
VIA_CODE = {name: code for code, name in enumerate(_VIA)}
NAME = re.compile(r"^ring-\d+-[0-9a-f]{8}$")
LINEAR = 1 << 63
""":func:`decode`'s modulus for bytes laid out in position order (a spool)."""


class RingWriter:
    """The process's end: create the file, append records, never block."""

    def __init__(self, directory: Path) -> None:
        self.name = f"ring-{os.getpid()}-{os.urandom(4).hex()}"
        path = directory / self.name
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            os.ftruncate(fd, HEADER + CAPACITY)
            self._mm = mmap.mmap(fd, HEADER + CAPACITY)
        finally:
            os.close(fd)
        _FILE_HDR.pack_into(self._mm, 0, MAGIC, VERSION, CAPACITY)
        self._words = memoryview(self._mm).cast("Q")
        self._w = 0
        self._last_json = 0
        """The last JSON record's position + 1 (0: none yet): the next one's ``a``."""
        self._limit = CAPACITY
        """Write position up to which there is room: the last read position seen plus
        the capacity. The read position only grows, so the shared word is read again
        only when a record does not fit below this (not once per record)."""
        self._busy = False
        """A record is being written (a signal handler's record must wait)."""
        self._deferred: list[tuple[Any, ...] | bytes] = []
        """Records made while another was being written, to write after it."""

    def put(  # noqa: PLR0917 - the hot path: positional arguments, no tuple to build
        self, rtype: int, via: int, ts: float, a: int, b: int, c: int, nbytes: int,
        payload: bytes,
    ) -> bool:
        """Append one record; False (nothing written) when the ring is full.

        A Python signal handler runs between two bytecodes, so one that reports an
        event (``signal.handle``) can interrupt a record half written: its record is
        kept aside (:meth:`_defer`) and written right after the interrupted one. (Two
        writers at one position made broken records, and the reader skipped the rest
        of its batch: a flood signalled from outside lost half its events.)
        """
        if self._busy:
            return self._defer((rtype, via, ts, a, b, c, nbytes, bytes(payload)))
        self._busy = True
        try:
            plen = len(payload)
            size = (_REC_SIZE + 7 + plen) & ~7
            w = self._w
            off = w % CAPACITY
            if off + size > CAPACITY or w + size > self._limit:
                if not self._room(size):
                    return False
                w = self._w
                off = w % CAPACITY
            mm = self._mm
            at = HEADER + off
            _REC.pack_into(mm, at, size, rtype, via, plen, ts, a, b, c, nbytes)
            at += _REC_SIZE
            mm[at:at + plen] = payload
            w += size
            self._w = w
            self._words[_W] = w
        finally:
            self._busy = False
        if self._deferred:
            self._flush()
        return True

    def _defer(self, record: tuple[Any, ...] | bytes) -> bool:
        """A record made while another was being written (a signal handler's): kept
        for :meth:`_flush`, in order. True: it is as good as written (only a ring that
        stays full until the process ends loses it)."""
        self._deferred.append(record)
        return True

    def _flush(self) -> None:
        """Write the records kept aside, oldest first; what does not fit stays."""
        deferred, self._deferred = self._deferred, []
        for i, record in enumerate(deferred):
            ok = self.put_line(record) if isinstance(record, bytes) else self.put(*record)
            if not ok:
                self._deferred[:0] = deferred[i:]
                return

    def _room(self, size: int) -> bool:
        """Whether a record of ``size`` fits (the limit refreshed from the reader's
        position when needed); places the wrap marker when it must go at 0."""
        w = self._w
        off = w % CAPACITY
        tail = CAPACITY - off
        need = size if size <= tail else tail + size
        if w + need > self._limit:
            self._limit = self._words[_R] + CAPACITY
            if w + need > self._limit:
                return False
        if size > tail:
            _POS.pack_into(self._mm, HEADER + off, _WRAP)
            self._w = w + tail  # published together with the record that follows
        return True

    def put_agg(  # noqa: PLR0917 - the record's fields, positional like put
        self, code: int, via: int, ts: float, a: int, b: int, c: int, nbytes: int,
        count: int, ts0: float, preview: bytes,
    ) -> bool:
        """One aggregate of ``count`` operations of kind ``code`` (``HOT[kind]``)."""
        return self.put(code + AGG, via, ts, a, b, c, nbytes,
                        _AGG_HEAD.pack(count, ts0) + preview[:PREVIEW_MAX])

    def put_line(self, line: bytes) -> bool:
        """Any event as its NDJSON line (without the newline), chained to the previous
        one; the header names it before the write position publishes it, so a reader
        that sees the record also finds it by the chain. Kept aside like :meth:`put`'s
        when it interrupts another record."""
        if self._busy:
            return self._defer(bytes(line))
        self._busy = True
        try:
            plen = len(line)
            size = (_REC_SIZE + 7 + plen) & ~7
            if not self._room(size):
                return False
            mm, w = self._mm, self._w
            at = HEADER + w % CAPACITY
            _REC.pack_into(mm, at, size, JSON, 0, plen, 0.0, self._last_json, 0, 0, 0)
            mm[at + _REC_SIZE:at + _REC_SIZE + plen] = line
            self._last_json = w + 1
            words = self._words
            words[_J] = w + 1
            self._w = w + size
            words[_W] = w + size
        finally:
            self._busy = False
        if self._deferred:
            self._flush()
        return True

    def put_hot(self, code: int, fields: dict[str, Any], data: bytes | None) -> bool:
        """A hot kind (``HOT[kind]``) as a binary record."""
        peer = fields.get("to" if code == PIPE_WRITE else "from")
        if code >= QUEUE_PUSH:
            a, b, c = fields["key"], fields["msqid"], fields.get("mtype")
        else:
            a, b, c = fields["fd"], peer, None
        body = data[:PREVIEW_MAX] if data is not None else b""
        return self.put(code, VIA_CODE.get(fields.get("via", "pipe"), 0), time.time(),
                        a, NONE if b is None else b, NONE if c is None else c,
                        fields["nbytes"], body)

    def backlog(self) -> int:
        """Bytes written and not yet consumed by the collector."""
        return int(self._w - self._words[_R])

    def close(self) -> None:
        """Unmap (the records stay in the file for the collector). Nothing is written
        here: a forked child closes its copy of its parent's ring."""
        self._words.release()
        self._mm.close()


class RingError(ValueError):
    """A ring file that is not ours or not a ring."""


class RingReader:
    """The collector's end: map a peer's ring after checking it, drain records."""

    def __init__(self, directory: Path, name: str, uid: int) -> None:
        if not NAME.match(name):
            raise RingError(f"bad ring name {name[:40]!r}")
        self.path = directory / name
        fd = os.open(self.path, os.O_RDWR | os.O_NOFOLLOW)
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_uid != uid:
                raise RingError("a ring must be a regular file of our uid")
            if st.st_size != HEADER + CAPACITY:
                raise RingError("a ring has the wrong size")
            self._mm = mmap.mmap(fd, HEADER + CAPACITY)
        finally:
            os.close(fd)
        magic, version, capacity = _FILE_HDR.unpack_from(self._mm, 0)
        if (magic, version, capacity) != (MAGIC, VERSION, CAPACITY):
            self._mm.close()
            raise RingError("not an ipccore ring")
        self._words = memoryview(self._mm).cast("Q")
        self._r = self._words[_R]
        self.corrupt = 0
        """Records (or runs of them) skipped because they broke the format."""

    def drain(self, pid: int) -> list[Draft | bytes]:
        """Everything written since the last drain: drafts, or raw JSON lines (bytes)."""
        words = self._words
        w = words[_W]
        r = self._r
        if w < r or w - r > CAPACITY:
            self.corrupt += 1
            r = w
        out, r, corrupt = decode(self._mm, r, w, CAPACITY, HEADER, pid)
        self.corrupt += corrupt
        self._r = r
        words[_R] = r
        return out

    def spool(self, out: int, offset: int) -> tuple[int, int, list[bytes]]:
        """Copy everything written since the last drain to the file ``out`` at
        ``offset``, as it lies in the ring, and free its room: ``(start, end)`` ring
        positions (``end - start`` bytes written; :func:`decode` reads them) and the JSON
        records among them, found by their chain (bounds checked; a broken chain ends
        the list, the records stay in the copy)."""
        mm, words = self._mm, self._words
        w = words[_W]
        r = self._r
        if w < r or w - r > CAPACITY:
            self.corrupt += 1
            self._r = words[_R] = w
            return w, w, []
        lines = self._chained(r, w)
        off = r % CAPACITY
        with memoryview(mm) as view:
            if off + (w - r) <= CAPACITY:
                _write_all(out, view[HEADER + off:HEADER + off + (w - r)], offset)
            else:
                _write_all(out, view[HEADER + off:HEADER + CAPACITY], offset)
                _write_all(out, view[HEADER:HEADER + (w - r) - (CAPACITY - off)],
                           offset + CAPACITY - off)
        self._r = words[_R] = w
        return r, w, lines

    def _chained(self, r: int, w: int) -> list[bytes]:
        """The JSON records at positions ``r`` to ``w``, oldest first, by their chain
        from the header (records past ``w`` are complete: the header names a record
        only once it is written)."""
        mm = self._mm
        lines: list[bytes] = []
        link = self._words[_J]
        limit = r + CAPACITY  # the writer cannot be further ahead
        while r < link <= limit:
            at = link - 1
            off = at % CAPACITY
            if CAPACITY - off < _REC_SIZE:
                break
            size, rtype, _via, plen, _ts, prev, _b, _c, _n = _REC.unpack_from(mm, HEADER + off)
            if rtype != JSON or size > CAPACITY - off or size & 7 or _REC_SIZE + plen > size \
                    or not 0 <= prev < link:
                break
            if at < w:
                start = HEADER + off + _REC_SIZE
                lines.append(mm[start:start + plen])
            link = prev
        lines.reverse()
        return lines

    def close(self, unlink: bool = True) -> None:
        """Unmap, and remove the file (it is ours to clean once the writer is done)."""
        self._words.release()
        self._mm.close()
        if unlink:
            with contextlib.suppress(OSError):
                self.path.unlink()


def decode(  # noqa: PLR0917 - the collector's hot loop: positional
    buf: mmap.mmap, r: int, w: int, modulus: int, shift: int, pid: int,
) -> tuple[list[Draft | bytes], int, int]:
    """The records at ring positions ``r`` to ``w``, read from ``buf`` at index
    ``position % modulus + shift``: drafts, or raw JSON lines (bytes). Returns them, the
    position reached and how many records broke the format.

    For the ring itself that is ``CAPACITY`` and ``HEADER``; for a spool (the same bytes
    copied out in order, wrap markers and all) :data:`LINEAR` and the file's offset of
    ``r`` minus ``r``. Each record's header is unpacked once, and its bounds are checked
    before anything is built from it.
    """
    out: list[Draft | bytes] = []
    corrupt = 0
    unpack = _REC.unpack_from
    while r < w:
        off = r % CAPACITY
        tail = CAPACITY - off
        at = r % modulus + shift
        if tail >= _REC_SIZE:
            rec = unpack(buf, at)
            size = rec[0]
        else:  # only a wrap marker fits here
            rec = ()
            size = _POS.unpack_from(buf, at)[0] & 0xFFFFFFFF if tail >= 8 else 0
        if size == _WRAP and r + tail <= w:
            r += tail
            continue
        if size < _REC_SIZE or size > tail or size & 7 or r + size > w:
            corrupt += 1
            r = w
            break
        _size, rtype, via, plen, ts, a, b, c, nbytes = rec
        at += _REC_SIZE
        if _REC_SIZE + plen > size:
            corrupt += 1
        elif rtype == JSON:
            out.append(buf[at:at + plen])
        elif rtype in _KIND and ts - ts == 0.0:  # NaN and inf fail this: corrupt
            out.append(_event(rtype, via, ts, a, b, c, nbytes,
                              buf[at:at + min(plen, PREVIEW_MAX)], pid))
        elif rtype in _AGG_KIND and ts - ts == 0.0 and plen >= _AGG_HEAD.size:
            agg = _aggregate(rtype - AGG, via, ts, a, b, c, nbytes,
                             buf[at:at + min(plen, _AGG_HEAD.size + PREVIEW_MAX)], pid)
            if agg is None:
                corrupt += 1
            else:
                out.append(agg)
        else:
            corrupt += 1
        r += size
    return out, r, corrupt


def _write_all(fd: int, data: memoryview, offset: int) -> None:
    """``os.pwrite`` until all of ``data`` is in the file at ``offset`` (a short write
    is rare, not impossible; a full disk raises ``OSError``)."""
    while data:
        done = os.pwrite(fd, data, offset)
        data, offset = data[done:], offset + done


def _event(  # noqa: PLR0917 - the hot path: the record's fields, positional
    rtype: int, via: int, ts: float, a: int, b: int, c: int, nbytes: int, payload: bytes,
    pid: int,
) -> Draft:
    preview = payload.decode("utf-8", "backslashreplace")
    fields: dict[str, Any]
    if rtype >= QUEUE_PUSH:
        fields = {"key": a, "msqid": None if b == NONE else b,
                  "mtype": None if c == NONE else c,
                  "nbytes": nbytes, "preview": preview}
    else:
        fields = {"fd": a, "to" if rtype == PIPE_WRITE else "from": None if b == NONE else b,
                  "nbytes": nbytes, "preview": preview,
                  "via": _VIA[via] if via < len(_VIA) else "pipe"}
    return (ts, pid, _KIND[rtype], fields)


def _aggregate(  # noqa: PLR0917 - the record's fields, positional
    rtype: int, via: int, ts: float, a: int, b: int, c: int, nbytes: int, payload: bytes,
    pid: int,
) -> Draft | None:
    """An aggregate record as its event (``count``, ``ts0`` added), or None when its
    count or ``ts0`` cannot be true."""
    count, ts0 = _AGG_HEAD.unpack_from(payload)
    if count < 2 or ts0 - ts0 != 0.0 or nbytes < 0:
        return None
    ts_, pid_, kind, fields = _event(rtype, via, ts, a, b, c, nbytes,
                                     payload[_AGG_HEAD.size:], pid)
    # The wall clock may step back between the two readings: ts0 never passes ts.
    return (ts_, pid_, kind, {**fields, "count": count, "ts0": min(ts0, ts)})
