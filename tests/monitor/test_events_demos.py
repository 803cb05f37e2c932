"""Recordings of every demo are complete: writes = reads, pushes = pops + final depth, an
exit, reap or gone for every process started, no drops, no invalid lines.

Each demo runs for real (fresh interpreter, ``--speed 0.1``) under a LiveSource.
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections import Counter
from pathlib import Path

import pytest

from ipccore.monitor.live import LiveSource
from ipcevents.events import Event
from ipcevents.replay import ReplaySource
from tests.monitor.helpers import measured

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("ipccore.demos.cli") is None, reason="the demos are not there yet")

SPEED = 0.1


async def _record(name: str, tmp_path: Path) -> tuple[list[Event], Path]:
    rec = tmp_path / f"{name}.ndjson"
    source = LiveSource.for_demo(name, speed=SPEED, record=rec)
    await source.start()
    try:
        events = await asyncio.wait_for(_all(source), 60)
    finally:
        await source.stop()
    return events, rec


async def _all(source: LiveSource) -> list[Event]:
    return [e async for e in source.events()]


def _kinds(events: list[Event], kind: str) -> list[Event]:
    return [e for e in events if e.kind == kind]


def _check_common(events: list[Event]) -> None:
    assert events[-1].kind == "monitor.end"
    assert events[-1].get("code") == 0
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert not _kinds(events, "monitor.dropped")
    assert not _kinds(events, "monitor.invalid")
    ended = {e.get("child") for e in _kinds(events, "proc.reap")}
    ended |= {e.pid for e in events if e.kind in ("proc.gone", "proc.exit")}
    started = {e.get("child") for e in _kinds(events, "proc.spawn")}
    started |= {e.pid for e in _kinds(events, "proc.hello")}
    assert started
    assert started <= ended, f"no end seen for {started - ended}"
    unseen = started - measured(events)
    assert not unseen, f"no rss ever measured for {unseen}"



def _pipe_bytes(events: list[Event]) -> tuple[Counter[int], Counter[int]]:
    """Bytes written to each pid, bytes read by each pid.

    By receiver only: a pipe end can be shared (in ``sibling`` child 2 writes through the
    master's end of child 1's pipe), so ``from`` names the end's owner, not the writer.
    """
    written: Counter[int] = Counter()
    read: Counter[int] = Counter()
    for e in events:
        if e.kind == "pipe.write" and e.get("to"):
            written[e.get("to")] += e.get("nbytes")
        elif e.kind == "pipe.read":
            read[e.pid] += e.get("nbytes")
    return written, read


@pytest.mark.parametrize("name", ["pipe", "coroutine"])
async def test_every_write_has_its_read(name: str, tmp_path: Path) -> None:
    events, rec = await _record(name, tmp_path)
    _check_common(events)
    written, read = _pipe_bytes(events)
    assert written
    assert written == read
    previews_w = sorted(e.get("preview") for e in _kinds(events, "pipe.write"))
    previews_r = sorted(e.get("preview") for e in _kinds(events, "pipe.read") if e.get("nbytes"))
    assert previews_w == previews_r
    replayed = [e async for e in ReplaySource(rec).events()]
    assert replayed == events


async def test_sibling_reads_never_exceed_writes(tmp_path: Path) -> None:
    events, _ = await _record("sibling", tmp_path)
    _check_common(events)
    written, read = _pipe_bytes(events)
    assert written
    for pid, n in read.items():
        assert n <= written[pid]
    reaps = _kinds(events, "proc.reap")
    assert any(e.get("signal") == 9 for e in reaps)
    # Child 2 writes through the master's end of child 1's pipe: the collector names
    # child 2 (not the master) as the sender of every message child 1 read.
    writes = [e for e in _kinds(events, "pipe.write") if e.get("nbytes")]
    reads = [e for e in _kinds(events, "pipe.read") if e.get("nbytes")]
    assert len(reads) == 5
    assert {e.get("from") for e in reads} == {e.pid for e in writes}
    assert all(e.get("from") != events[0].pid for e in reads)


async def test_queue_pushes_equal_pops_plus_final_depth(tmp_path: Path) -> None:
    events, _ = await _record("queue", tmp_path)
    _check_common(events)
    pushes, pops = _kinds(events, "queue.push"), _kinds(events, "queue.pop")
    assert pushes
    last_op = max(e.seq for e in pushes + pops)
    after = [e for e in _kinds(events, "queue.depth") if e.seq > last_op]
    final = after[-1].get("qnum") if after else 0
    assert len(pushes) == len(pops) + final
    assert sum(e.get("nbytes") for e in pushes) >= sum(e.get("nbytes") for e in pops)
    depths = _kinds(events, "queue.depth")
    assert depths, "the queue was never sampled"
    span = depths[-1].ts - depths[0].ts
    if span > 0.3:
        assert (len(depths) - 1) / span >= 8.0, "queue depth sampled too rarely"
    assert _kinds(events, "queue.free")


async def test_signal_demo_reports_every_signal(tmp_path: Path) -> None:
    events, _ = await _record("signal", tmp_path)
    _check_common(events)
    sent = _kinds(events, "signal.send")
    handled = _kinds(events, "signal.handle")
    assert sent
    assert handled
