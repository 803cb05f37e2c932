"""Spooling a ring: the bytes copied out decode to exactly what a live drain gives, the
JSON records are found by their chain as they are copied, a hostile chain is bounded."""

from __future__ import annotations

import os
import struct
from pathlib import Path

from ipccore.monitor.ring import CAPACITY, HEADER, HOT, NONE, RingReader, RingWriter
from ipccore.monitor.spool import Spool


def _line(i: int) -> bytes:
    return b'{"v":1,"seq":0,"ts":1.0,"pid":1,"kind":"timer.fire","timer":%d}' % i


def _write(writer: RingWriter, start: int, n: int) -> int:
    """``n`` operations from ``start``: mostly pipe writes, every 7th a JSON record,
    every 11th an aggregate; returns how many JSON records were written."""
    lines = 0
    for i in range(start, start + n):
        if i % 7 == 0:
            assert writer.put_line(_line(i))
            lines += 1
        elif i % 11 == 0:
            assert writer.put_agg(HOT["queue.push"], 0, 2.0 + i, 5, 9, 1, 640, 10, 1.0 + i,
                                  b"q%d" % i)
        else:
            assert writer.put(HOT["pipe.write"], 0, 3.0 + i, 3, 42, NONE, i, b"w%06d" % i)
    return lines


def test_a_spool_decodes_to_what_a_live_drain_gives_across_wraps(tmp_path: Path) -> None:
    """Three and a half rings' worth in 7 drains (so the copies wrap), against a twin
    ring written the same and drained live; each drain's JSON records come back at
    once, in order."""
    spooled, live = RingWriter(tmp_path), RingWriter(tmp_path)
    s_reader = RingReader(tmp_path, spooled.name, os.getuid())
    l_reader = RingReader(tmp_path, live.name, os.getuid())
    spool = Spool(tmp_path, 1, 1234)
    expected: list[object] = []
    per_drain = CAPACITY // 140  # ~67 bytes a record: half a ring per drain
    try:
        for d in range(7):
            lines = _write(spooled, d * per_drain, per_drain)
            _write(live, d * per_drain, per_drain)
            found = spool.take(s_reader, now=float(d))
            assert found == [_line(i) for i in range(d * per_drain, (d + 1) * per_drain)
                             if i % 7 == 0]
            assert len(found) == lines
            expected.extend(l_reader.drain(1234))
        assert spool.size > 3 * CAPACITY
        chunks = list(spool.chunks())
        assert [now for now, _items, _bad in chunks] == [float(d) for d in range(7)]
        assert [item for _now, items, _bad in chunks for item in items] == expected
        assert sum(bad for _now, _items, bad in chunks) == 0
    finally:
        spool.remove()
        for reader in (s_reader, l_reader):
            reader.close()
    assert not spool.path.exists()


def test_a_hostile_json_chain_ends_the_list_and_the_spool_still_checks(
        tmp_path: Path) -> None:
    """A chain pointing at itself, past the ring or at a non-JSON record stops the walk;
    the bytes are still copied, and decoded (and checked) when read back."""
    writer = RingWriter(tmp_path)
    reader = RingReader(tmp_path, writer.name, os.getuid())
    spool = Spool(tmp_path, 1, 1)
    try:
        for link in (1 << 40, 0xFFFFFFFF, 9):  # past the ring, far past, into a record
            assert writer.put_line(_line(1))
            assert writer.put_hot(HOT["pipe.write"], {"fd": 3, "to": 4, "nbytes": 1}, b"x")
            struct.pack_into("<Q", writer._mm, 32, link)
            assert spool.take(reader, now=1.0) == []  # not learnt from: the chain broke
        # a record whose own link points at itself (position + 1 == its link)
        at = writer._w
        assert writer.put_line(_line(2))
        struct.pack_into("<q", writer._mm, HEADER + at % CAPACITY + 24, at + 1)
        assert spool.take(reader, now=2.0) == [_line(2)]  # once: the walk ends there
        items = [item for _now, chunk, _bad in spool.chunks() for item in chunk]
        assert items.count(_line(1)) == 3
        assert items.count(_line(2)) == 1
    finally:
        spool.remove()
        reader.close()
