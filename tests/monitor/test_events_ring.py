"""The shared-memory event ring: records in order, full means counted drops, a broken
ring is counted and skipped, never trusted."""

from __future__ import annotations

import os
import signal
import struct
import time
from pathlib import Path
from typing import Any

import pytest

from ipccore.monitor.emitter import SocketEmitter
from ipccore.monitor.ring import (
    CAPACITY,
    HEADER,
    HOT,
    RingError,
    RingReader,
    RingWriter,
)
from ipccore.monitor.spool import Spool
from ipcevents.events import Event
from tests.monitor.helpers import (
    Collectors,
    collect,
    collectors_fixture,  # noqa: F401  (the `collectors` fixture)
    fork_writer,
    of_kind,
)


def _events(items: list[Any]) -> list[Event | bytes]:
    """The drained drafts ``(ts, pid, kind, fields)`` as the Events they become."""
    return [Event(0, *item) if isinstance(item, tuple) else item for item in items]

def _pair(tmp_path: Path) -> tuple[RingWriter, RingReader]:
    writer = RingWriter(tmp_path)
    return writer, RingReader(tmp_path, writer.name, os.getuid())


def test_records_come_back_in_order_with_escaped_previews(tmp_path: Path) -> None:
    writer, reader = _pair(tmp_path)
    fields = {"fd": 5, "to": 42, "nbytes": 3, "via": "socket"}
    assert writer.put_hot(HOT["pipe.write"], fields, b"a\xffb")
    assert writer.put_hot(HOT["queue.pop"], {"key": 7, "msqid": 9, "mtype": None,
                                             "nbytes": 70}, b"x" * 70)
    assert writer.put_line(b'{"v":1,"seq":0,"ts":1.0,"pid":1,"kind":"timer.fire","timer":1}')
    items = _events(reader.drain(pid=1234))
    first, second, third = items
    assert isinstance(first, Event)
    assert isinstance(second, Event)
    assert (first.pid, first.kind) == (1234, "pipe.write")
    assert dict(first.fields) == {"fd": 5, "to": 42, "nbytes": 3, "via": "socket",
                                  "preview": "a\\xffb"}
    assert second.kind == "queue.pop"
    assert second.get("mtype") is None
    assert second.get("preview") == "x" * 64
    assert third == b'{"v":1,"seq":0,"ts":1.0,"pid":1,"kind":"timer.fire","timer":1}'
    assert _events(reader.drain(pid=1234)) == []
    writer.close()
    reader.close()
    assert not list(tmp_path.iterdir())


def test_a_full_ring_refuses_then_takes_again_after_a_drain(tmp_path: Path) -> None:
    writer, reader = _pair(tmp_path)
    fields = {"fd": 3, "to": None, "nbytes": 64, "via": "pipe"}
    written = 0
    while writer.put_hot(HOT["pipe.read"], {**fields, "from": written}, b"y" * 64):
        written += 1
    assert written * (48 + 64) > CAPACITY * 0.9
    got = _events(reader.drain(pid=1))
    assert [e.get("from") for e in got if isinstance(e, Event)] == list(range(written))
    # Wrapping around the end keeps order and loses nothing.
    for i in range(written):
        assert writer.put_hot(HOT["pipe.read"], {**fields, "from": i}, b"z" * 64)
        if i % 1000 == 999:
            assert len(_events(reader.drain(pid=1))) == 1000
    rest = _events(reader.drain(pid=1))
    assert len(rest) == written % 1000
    writer.close()
    reader.close()


@pytest.mark.parametrize("where", ["write_pos", "record_length", "record_type"])
def test_a_corrupted_ring_is_counted_and_skipped(tmp_path: Path, where: str) -> None:
    writer, reader = _pair(tmp_path)
    for i in range(10):
        writer.put_hot(HOT["pipe.write"], {"fd": 1, "to": i, "nbytes": 1, "via": "pipe"}, b"q")
    with open(tmp_path / writer.name, "r+b") as f:
        if where == "write_pos":
            f.seek(16)
            f.write(struct.pack("<Q", 10 * CAPACITY))
        elif where == "record_length":
            f.seek(HEADER)
            f.write(struct.pack("<I", 13))
        else:
            f.seek(HEADER + 4)
            f.write(bytes([200]))
    items = _events(reader.drain(pid=1))
    assert reader.corrupt >= 1
    assert all(isinstance(e, Event) for e in items)
    writer.close()
    reader.close()


def test_untrusted_record_values_are_checked(tmp_path: Path) -> None:
    """A record with a NaN or infinite time is corrupt (a recording could not hold it);
    an over-long preview is cut to the bound; a missing msqid comes back as None."""
    writer, reader = _pair(tmp_path)
    for ts in (float("nan"), float("inf"), 5.0):
        assert writer.put(HOT["pipe.write"], 0, ts, 1, 2, 0, 1, b"q")
    assert writer.put(HOT["pipe.read"], 0, 6.0, 1, 2, 0, 500, b"L" * 500)
    assert writer.put_hot(HOT["queue.push"], {"key": 7, "msqid": None, "mtype": 2,
                                              "nbytes": 1}, b"m")
    events = _events(reader.drain(pid=1))
    assert reader.corrupt == 2
    assert all(isinstance(e, Event) for e in events)
    good, long, queued = (e for e in events if isinstance(e, Event))
    assert good.ts == 5.0
    assert long.get("preview") == "L" * 64
    assert queued.get("msqid") is None
    writer.close()
    reader.close()


def test_only_our_regular_ring_files_are_opened(tmp_path: Path) -> None:
    with pytest.raises(RingError):
        RingReader(tmp_path, "../etc/passwd", os.getuid())
    (tmp_path / "ring-1-00000000").write_bytes(b"IPCR" + b"\0" * 60)
    with pytest.raises(RingError):
        RingReader(tmp_path, "ring-1-00000000", os.getuid())
    writer = RingWriter(tmp_path)
    with pytest.raises(RingError):
        RingReader(tmp_path, writer.name, os.getuid() + 1)
    writer.close()


async def test_ring_full_drops_are_counted_and_reported(collectors: Collectors) -> None:
    """A burst far bigger than the ring, faster than the collector drains: the writer
    never blocks; what arrived plus what was reported dropped is what was sent."""
    collector = await collectors()
    total = 60_000
    r, w = os.pipe()

    def body(em: SocketEmitter) -> None:
        for i in range(total):
            em.emit("pipe.write", {"fd": 3, "to": None, "nbytes": i, "via": "pipe"}, b"w" * 64)
        # Markers until one gets in (the ring may still be full right after the burst).
        markers, deadline = 0, time.monotonic() + 20
        while time.monotonic() < deadline:
            before = em.dropped_total
            em.emit("timer.fire", {"timer": markers})
            markers += 1
            if em.dropped_total == before:
                break
            time.sleep(0.001)  # the collector drains every 10 ms
        os.write(w, b"%d" % markers)

    pid = fork_writer(str(collector.path), body)
    events = await collect(collector, pid)
    await collector.close()
    markers = int(os.read(r, 20))
    os.close(r)
    os.close(w)
    writes = of_kind(events, "pipe.write")
    fires = of_kind(events, "timer.fire")
    dropped = sum(e.get("count") for e in of_kind(events, "monitor.dropped"))
    assert dropped > 0, "the burst never filled the ring"
    assert len(writes) + len(fires) + dropped == total + markers
    assert fires, "the last marker must arrive"
    assert [e.get("nbytes") for e in writes] == sorted(e.get("nbytes") for e in writes)
    assert not collector.path.parent.exists(), "the ring files and the private dir stay"


@pytest.mark.parametrize(("ring", "full"), [(True, False), (False, False), (True, True)],
                         ids=["ring", "socket", "ring-full"])
async def test_typed_hot_calls_send_what_emit_sends(collectors: Collectors, ring: bool,
                                                    full: bool) -> None:
    """``pipe_io``/``queue_io`` skip the dict, not anything of the event: each call is
    followed by the same event through ``emit``, and the pairs must arrive equal. A
    value a binary record cannot hold (no fd, a huge mtype) falls back to a JSON line.
    Full mode has calls of its own (straight into the ring): the same holds."""
    collector = await collectors()
    calls: list[tuple[str, tuple[object, ...], dict[str, object], bytes]] = [
        ("pipe.write", (5, 42, 3, "socket"),
         {"fd": 5, "to": 42, "nbytes": 3, "via": "socket"}, b"a\xffb"),
        ("pipe.read", (6, None, 70, "pipe"),
         {"fd": 6, "from": None, "nbytes": 70, "via": "pipe"}, b"r" * 70),
        ("pipe.read", (None, None, 0, "pipe"),
         {"fd": None, "from": None, "nbytes": 0, "via": "pipe"}, b""),
        ("queue.push", (7, 9, 1, 2), {"key": 7, "msqid": 9, "mtype": 1, "nbytes": 2}, b"hi"),
        ("queue.pop", (7, 9, 1 << 70, 2),
         {"key": 7, "msqid": 9, "mtype": 1 << 70, "nbytes": 2}, b"hi"),
    ]

    def body(em: SocketEmitter) -> None:
        for kind, args, fields, data in calls:
            if kind.startswith("pipe."):
                em.pipe_io(kind, *args, data)  # type: ignore[arg-type, call-arg]
            else:
                em.queue_io(kind, *args, data)  # type: ignore[arg-type, call-arg]
            em.emit(kind, fields, data)

    def checked(em: SocketEmitter) -> None:
        assert em.full is full
        body(em)

    pid = fork_writer(str(collector.path), checked, ring=ring, full=full)
    events = [e for e in await collect(collector, pid) if e.category in {"pipe", "queue"}]
    assert [e.kind for e in events] == [kind for kind, *_ in calls for _ in (0, 1)]
    for typed, general in zip(events[::2], events[1::2], strict=True):
        assert dict(typed.fields) == dict(general.fields)
    assert events[0].get("preview") == "a\\xffb"
    assert events[2].get("preview") == "r" * 64


def test_positions_are_never_seen_torn_while_the_writer_runs(tmp_path: Path) -> None:
    """A child writes numbered records as fast as it can (waiting when the ring is full)
    while we copy them out in a tight loop (a spool: the cheapest reader, so it looks
    at the positions most often): every record arrives once, in order, and the ring
    never looks broken. (The positions were once written with ``struct.pack_into``,
    which clears the word before it writes it: a reader on the other CPU saw 0, took
    the ring for broken and read it again from the start.)"""
    writer, reader = _pair(tmp_path)
    total = 500_000
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            for i in range(total):
                while not writer.put(HOT["pipe.write"], 0, 1.0, i, 0, 0, 8, b"x"):
                    pass
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    spool = Spool(tmp_path, 1, 1)
    ended, status = 0, -1
    try:
        # Copy until one take after the writer's exit (it exits once its last record is
        # in): the spool's size is no measure, it holds the ring's wrap markers too.
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            spool.take(reader, now=1.0)
            assert reader.corrupt == 0
            if ended:
                break
            ended, status = os.waitpid(pid, os.WNOHANG)
        assert ended, "the writer did not finish"
        assert [item[3]["fd"] for _now, items, _bad in spool.chunks()  # type: ignore[index]
                for item in items] == list(range(total))
    finally:
        spool.remove()
        if not ended:  # it would wait for room forever
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
    assert status == 0


def test_a_record_made_while_another_is_written_follows_it(tmp_path: Path) -> None:
    """What a signal handler does between two bytecodes of ``put``, made certain: the
    payload's ``len`` writes another record (as ``signal.handle`` would). Both arrive
    whole, the interrupted one first, nothing counted as corrupt."""
    writer, reader = _pair(tmp_path)
    line = b'{"v":1,"seq":0,"ts":1.0,"pid":1,"kind":"signal.handle","signal":10,"name":"SIGUSR1"}'

    class Interrupting(bytes):
        def __len__(self) -> int:
            assert writer.put_line(line)  # kept aside: put is half way
            assert writer.put(HOT["pipe.read"], 0, 2.0, 4, 0, 0, 1, b"r")
            return super().__len__()

    assert writer.put(HOT["pipe.write"], 0, 1.0, 3, 0, 0, 5, Interrupting(b"first"))
    assert writer.put(HOT["pipe.write"], 0, 3.0, 3, 0, 0, 4, b"last")
    items = reader.drain(pid=1)
    assert reader.corrupt == 0
    assert [item if isinstance(item, bytes) else (item[2], item[3]["preview"])
            for item in items] == [("pipe.write", "first"), line, ("pipe.read", "r"),
                                   ("pipe.write", "last")]
