"""The event budget: a flood is counted exactly, in aggregates above the budget or one
event per operation in full mode; other events stay in order around the aggregates; a
quiet exchange after a burst is recorded message by message again; replay equals live.

Whether the default budget is reached depends on the machine's speed, so a test that
needs aggregates forces them with a tiny ``IPCCORE_MONITOR_RATE``; the totals must be
exact whatever happens.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from ipccore.keys import fresh_key
from ipccore.monitor.budget import GRANT
from ipccore.monitor.emitter import SocketEmitter
from ipccore.monitor.live import LiveSource
from ipcevents.events import Event
from ipcevents.replay import read_recording
from tests.monitor.helpers import (
    Collectors,
    collect,
    collectors_fixture,  # noqa: F401  (the `collectors` fixture)
    fork_writer,
    of_kind,
)
from tui.state import MonitorState, apply

PROGRAMS = Path(__file__).resolve().parent.parent / "programs"
PROGRAM = PROGRAMS / "flood.py"
N, K, SLOW = 3000, 1234, 3


async def _run(tmp_path: Path, **env: str) -> tuple[list[Event], dict[str, int], Path]:
    """``flood.py`` under a live source, recorded: (live events, its JSON line, file)."""
    return await _run_program(tmp_path, PROGRAM, [N, K, SLOW, fresh_key()], **env)


async def _run_program(tmp_path: Path, program: Path, args: list[object], **env: str,
                       ) -> tuple[list[Event], dict[str, Any], Path]:
    """``program`` under a live source, recorded: (live events, its JSON line, file)."""
    record = tmp_path / "flood.ndjson"
    out = tmp_path / "out.json"
    argv = [sys.executable, "-c",
            "import runpy, sys, contextlib\n"
            f"sys.argv = [{str(program)!r}, *sys.argv[1:]]\n"
            f"with open({str(out)!r}, 'w') as f, contextlib.redirect_stdout(f):\n"
            f"    runpy.run_path({str(program)!r}, run_name='__main__')\n",
            *map(str, args)]
    source = LiveSource(argv, title="flood", env={**os.environ, **env}, record=record)
    await source.start()
    try:
        events = await asyncio.wait_for(_all(source), 90)
    finally:
        await source.stop()
    assert source.returncode == 0
    return events, json.loads(out.read_text()), record


async def _all(source: LiveSource) -> list[Event]:
    return [event async for event in source.events()]


def _total(events: list[Event], kind: str, pid: int) -> int:
    return sum(e.count for e in of_kind(events, kind, pid) if e.get("nbytes"))


def _check_totals(events: list[Event], child: int) -> None:
    master = next(e.pid for e in events if e.kind == "proc.spawn")
    assert _total(events, "pipe.write", master) == N + SLOW
    assert _total(events, "pipe.read", child) == N + SLOW
    assert _total(events, "queue.push", master) == N
    assert _total(events, "queue.pop", child) == N
    assert _total(events, "pipe.write", child) == 1 + SLOW
    assert not of_kind(events, "monitor.dropped")


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["default", "tiny-rate", "full"])
async def test_a_flood_is_counted_exactly(tmp_path: Path, mode: str) -> None:
    env = {"default": {}, "tiny-rate": {"IPCCORE_MONITOR_RATE": "10"},
           "full": {"IPCCORE_MONITOR_FULL": "1"}}[mode]
    events, said, _record = await _run(tmp_path, **env)
    _check_totals(events, said["child"])
    counted = [e for e in events if e.count > 1]
    if mode == "full":
        assert not counted
    if mode == "tiny-rate":
        assert counted, "a budget of 10 events/s must aggregate a 3000-message flood"


@pytest.mark.slow
async def test_aggregates_then_one_event_per_message_again_and_signal_in_place(
        tmp_path: Path) -> None:
    """Budget 10/s: the flood is aggregated; the quiet exchange after it (0.2 s apart)
    is one event per message again; the child's own SIGUSR1 after read K splits its
    reads exactly there; replaying the recording gives the panes the live run gave."""
    events, said, record = await _run(tmp_path, IPCCORE_MONITOR_RATE="10")
    child = said["child"]
    master = next(e.pid for e in events if e.kind == "proc.spawn")
    _check_totals(events, child)
    writes = of_kind(events, "pipe.write", master)
    assert any(e.count > 1 for e in writes)
    slow = [e for e in writes if str(e.get("preview")).startswith("slow")]
    assert [(e.get("preview"), e.count) for e in slow] == [
        (f"slow {i}", 1) for i in range(SLOW)]
    assert all("count" not in e.fields for e in slow)
    mine = [e for e in events if e.pid == child]
    at = next(i for i, e in enumerate(mine) if e.kind == "signal.handle")
    before = sum(e.count for e in mine[:at] if e.kind == "pipe.read")
    assert before == K
    assert [e.seq for e in events] == sorted(e.seq for e in events)
    for agg in (e for e in events if e.count > 1):
        assert agg.get("ts0") <= agg.ts
    live, replayed = MonitorState(), MonitorState()
    for event in events:
        apply(live, event)
    for event in read_recording(str(record)):
        apply(replayed, event)
    assert {p: (v.msgs_in, v.bytes_in, v.msgs_out, v.bytes_out) for p, v in live.procs.items()} \
        == {p: (v.msgs_in, v.bytes_in, v.msgs_out, v.bytes_out)
            for p, v in replayed.procs.items()}
    assert [(q.pushes, q.pops) for q in live.queues.values()] == [
        (q.pushes, q.pops) for q in replayed.queues.values()] == [(N, N)]
    assert [line.text for line in live.log] == [line.text for line in replayed.log]


@pytest.mark.slow
async def test_after_a_pause_a_channel_goes_back_to_one_event_per_write(
        tmp_path: Path) -> None:
    """A burst of writes is aggregated (the writer counts most of them on its grant,
    without reading the clock); after a pause, with nothing else between, the slow writes
    on the same channel are one event each again, at the latest after the rest of the
    grant (``GRANT`` writes). Every write lies between its aggregate's ``ts0`` and
    ``ts``, as the program's own clock saw it."""
    burst, slow = 3000, GRANT + 4
    events, said, _record = await _run_program(
        tmp_path, PROGRAMS / "burst_pause.py", [burst, slow, 0.03],
        IPCCORE_MONITOR_RATE="1000")
    master = next(e.pid for e in events if e.kind == "proc.spawn")
    writes = [e for e in of_kind(events, "pipe.write", master)
              if str(e.get("preview")).startswith(("burst", "slow"))]
    assert sum(e.count for e in writes) == burst + slow
    assert sum(e.count for e in of_kind(events, "pipe.read", said["child"])) == burst + slow
    assert any(e.count > 1 for e in writes), "a 3000-write burst must be aggregated"
    times: list[float] = said["times"]  # each taken right after its write returned
    done = 0
    for event in writes:
        n = event.count
        if n > 1:
            # The first write's clock reading came after the write before it returned;
            # ts is no earlier than the last write (so after the one before it returned)
            # and no later than the next write.
            assert done == 0 or times[done - 1] <= event.get("ts0") <= times[done]
            assert times[done + n - 2] <= event.ts
            assert done + n == len(times) or event.ts <= times[done + n]
        done += n
    alone = [e for e in writes if str(e.get("preview")).startswith("slow")
             and e.count == 1]
    assert len(alone) >= slow - GRANT, f"only {len(alone)} of {slow} slow writes alone"
    assert [e.get("preview") for e in alone] == [
        f"slow {i}" for i in range(slow - len(alone), slow)]


async def test_full_mode_waits_for_room_instead_of_dropping(collectors: Collectors) -> None:
    """More events than the ring holds, written without pause: in full mode the writer
    waits for the collector, so every one arrives and nothing is reported dropped."""
    collector = await collectors()
    total = 40_000  # 40,000 x 112 bytes: twice the 2 MiB ring

    def body(em: SocketEmitter) -> None:
        assert em.full
        for i in range(total):
            em.pipe_io("pipe.write", 3, None, i, "pipe", b"w" * 64)

    os.environ["IPCCORE_MONITOR_FULL"] = "1"
    try:
        pid = fork_writer(str(collector.path), body)
    finally:
        del os.environ["IPCCORE_MONITOR_FULL"]
    events = await collect(collector, pid, timeout=60)
    writes = of_kind(events, "pipe.write")
    assert [e.get("nbytes") for e in writes] == list(range(total))
    assert not of_kind(events, "monitor.dropped")
