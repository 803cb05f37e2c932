"""``record --full``: the collector spools the rings and writes the recording at the end.

Numbered floods (every message distinct, so "its write" is well defined) through a pipe
and a queue: the recording has every operation exactly once, nothing dropped, every
read after its write and every pop after its push, the child's signal between its K-th
and K+1-th read; it replays to the panes a live (decoding) run of the same program
shows; the spools are gone when the recording is complete, also when the target was
SIGKILLed mid-flood.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sysv_ipc

from ipccore.keys import fresh_key
from ipccore.monitor.live import LiveSource
from ipccore.monitor.spool import PREFIX
from ipcevents.events import COLLECTOR_KINDS, Event
from ipcevents.replay import ReplaySource, read_recording
from tests.faults.faultkit import REPO, program_env, record_argv
from tui.state import MonitorState, apply

PROGRAM = Path(__file__).resolve().parent.parent / "programs" / "numbered_flood.py"


def _full_env() -> dict[str, str]:
    """Full mode, and the repository on the path (the program imports tests.programs)."""
    return {**os.environ, "IPCCORE_MONITOR_FULL": "1", "PYTHONPATH": str(REPO)}


def _numbered(events: list[Event], kind: str) -> dict[str, Event]:
    """The events of ``kind`` by their numbered preview (each must appear once)."""
    out: dict[str, Event] = {}
    for event in events:
        preview = event.get("preview")
        if event.kind == kind and isinstance(preview, str) and preview[1:].isdigit():
            assert preview not in out, f"{kind} {preview} recorded twice"
            out[preview] = event
    return out


def _check_flood(events: list[Event], master: int, child: int, n: int, k: int) -> None:
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert not [e for e in events if e.kind in ("monitor.dropped", "monitor.invalid")]
    writes, reads = _numbered(events, "pipe.write"), _numbered(events, "pipe.read")
    pushes, pops = _numbered(events, "queue.push"), _numbered(events, "queue.pop")
    assert set(writes) == set(reads) == {f"w{i:06d}" for i in range(n)}
    assert set(pushes) == set(pops) == {f"q{i:06d}" for i in range(n)}
    assert {e.pid for e in writes.values()} == {e.pid for e in pushes.values()} == {master}
    assert {e.pid for e in reads.values()} == {e.pid for e in pops.values()} == {child}
    assert {e.get("from") for e in reads.values()} == {master}
    late_reads = [p for p, w in writes.items() if reads[p].seq < w.seq]
    late_pops = [p for p, w in pushes.items() if pops[p].seq < w.seq]
    assert not late_reads, f"reads before their writes: {late_reads[:5]}"
    assert not late_pops, f"pops before their pushes: {late_pops[:5]}"
    mine = [e for e in events if e.pid == child]
    at = next(i for i, e in enumerate(mine) if e.kind == "signal.handle")
    assert sum(1 for e in mine[:at] if e.kind == "pipe.read") == k


def test_record_full_a_numbered_flood_exactly_in_causal_order(tmp_path: Path) -> None:
    n, k = 20_000, 7_000
    rec = tmp_path / "r.ndjson"
    key = fresh_key()
    env = program_env(tmp_path)
    result = subprocess.run(
        [*record_argv("numbered_flood.py", rec, str(n), str(k), str(key), full=True)],
        env=env, capture_output=True, text=True, timeout=240, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    said = json.loads(result.stdout.strip().splitlines()[0])
    events = list(read_recording(str(rec)))
    _check_flood(events, said["master"], said["child"], n, k)
    assert events[-1].kind == "monitor.end"
    assert os.stat(rec).st_mode & 0o777 == 0o600
    assert os.listdir(tmp_path / "tmp") == [], "the collector's directory outlived the run"


def test_record_full_a_flood_signalled_from_outside_loses_nothing(tmp_path: Path) -> None:
    """The master signals the flooding child after every message: the child's handler
    reports ``signal.handle`` between two bytecodes, also in the middle of a record
    being written. Every write is recorded once, nothing is broken or dropped, and the
    handled signals are there. (Half of such a flood was lost when a handler's record
    was written over the interrupted one.)"""
    n = 30_000
    rec = tmp_path / "r.ndjson"
    result = subprocess.run(record_argv("signalled_flood.py", rec, str(n), full=True),
                            env=program_env(tmp_path), capture_output=True, text=True,
                            timeout=240, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    said = json.loads(result.stdout.strip().splitlines()[-1])
    events = list(read_recording(str(rec)))
    assert not [e for e in events if e.kind in ("monitor.dropped", "monitor.invalid")]
    mine = [e for e in events if e.pid == said["child"]]
    assert set(_numbered(mine, "pipe.write")) == {f"m{i:06d}" for i in range(n)}
    assert sum(1 for e in mine if e.kind == "pipe.write") == n + 2
    assert any(e.kind == "signal.handle" for e in mine)


async def _spooled(tmp_path: Path, *args: str) -> tuple[LiveSource, list[str]]:
    """The program under a spooling live source, run to its end; what the collector's
    private directory holds once the recording is complete."""
    source = LiveSource([sys.executable, str(PROGRAM), *args], title="spool",
                        env=_full_env(),
                        record=tmp_path / "r.ndjson", spool=True)
    await source.start()
    try:
        assert source.collector is not None
        assert source.collector.spooling
        await asyncio.wait_for(source.wait(), 120)
        await asyncio.wait_for(source.collector.wait_finished(), 120)
        left = sorted(os.listdir(source.collector.path.parent))
    except BaseException:
        await source.stop()
        raise
    return source, left


async def test_spools_are_gone_when_the_recording_is_complete(tmp_path: Path) -> None:
    n, k = 5000, 100
    source, left = await _spooled(tmp_path, str(n), str(k), str(fresh_key()))
    await source.stop()
    assert source.returncode == 0
    assert left == ["events.sock"]
    events = list(read_recording(str(tmp_path / "r.ndjson")))
    master = next(e.pid for e in events if e.kind == "proc.spawn")
    child = next(e.get("child") for e in events if e.kind == "proc.spawn")
    _check_flood(events, master, child, n, k)


async def test_target_sigkilled_mid_flood_spools_gone_queue_removed(tmp_path: Path) -> None:
    """The master SIGKILLs itself after N // 2 pushes: each of them was in shared memory
    before push() returned, so all are recorded; the queue it created is removed by the
    monitor (learnt from its ring while the flood was spooled), the spools are gone."""
    n = 6000
    key = fresh_key()
    source, left = await _spooled(tmp_path, str(n), "10", str(key), "kill")
    try:
        assert source.returncode == -9
        assert [name for name in left if name.startswith(PREFIX)] == []
        assert left == ["events.sock"]
        events = list(read_recording(str(tmp_path / "r.ndjson")))
        assert set(_numbered(events, "queue.push")) == {f"q{i:06d}" for i in range(n // 2)}
        assert set(_numbered(events, "pipe.write")) == {f"w{i:06d}" for i in range(n)}
        assert not [e for e in events if e.kind in ("monitor.dropped", "monitor.invalid")]
        assert events[-1].kind == "monitor.end"
        assert events[-1].get("signal") == 9
    finally:
        await source.stop()
    with pytest.raises(sysv_ipc.ExistentialError):
        sysv_ipc.MessageQueue(key)


def _panes(events: list[Event]) -> dict[str, Any]:
    """What the screen shows, with pids named by role (two runs have different pids)."""
    state = MonitorState()
    for event in events:
        apply(state, event)
    roles = {pid: view.role for pid, view in state.procs.items() if view.role != "?"}
    assert sorted(roles.values()) == ["child", "master"]
    pids = re.compile("|".join(str(pid) for pid in roles))

    def named(text: str) -> str:  # the queue's msqid is the kernel's choice too
        return re.sub(r"msqid \d+", "msqid N", pids.sub(lambda m: roles[int(m.group())], text))

    procs = {view.role: (view.status, view.ending, view.exit_code, view.msgs_in,
                         view.bytes_in, view.msgs_out, view.bytes_out, view.last_message)
             for pid, view in state.procs.items() if pid in roles}
    # Each process's own events, in its order (the collector's samples of it, e.g. the
    # watcher's proc.seen, fall where the sampling tick happened to be).
    logs = {role: [(line.kind, named(line.text)) for line in state.log
                   if line.pid == pid and line.kind not in COLLECTOR_KINDS]
            for pid, role in roles.items()}
    queues = [(q.pushes, q.pops, q.freed) for q in state.queues.values()]
    return {"procs": procs, "logs": logs, "queues": queues, "ended": state.ended,
            "end_code": state.end_code}


async def test_the_spooled_recording_replays_to_the_panes_of_a_live_run(
        tmp_path: Path) -> None:
    """The same program decoded live (full mode) and spooled then replayed: the same
    counters, statuses, queue totals, and each process's log lines in its own order."""
    n, k, key = 1000, 300, fresh_key()  # one key: log lines name it (the first run frees it)
    live_src = LiveSource([sys.executable, str(PROGRAM), str(n), str(k), str(key)],
                          title="live", env=_full_env())
    await live_src.start()
    try:
        live = await asyncio.wait_for(_all(live_src), 120)
    finally:
        await live_src.stop()
    source, _left = await _spooled(tmp_path, str(n), str(k), str(key))
    await source.stop()
    replay = ReplaySource(tmp_path / "r.ndjson")
    await replay.start()
    replayed = await asyncio.wait_for(_all(replay), 60)
    await replay.stop()
    assert len(live) < 5000, "the log keeps 5000 lines: the comparison needs them all"
    was, now = _panes(live), _panes(replayed)
    for role in ("master", "child"):
        assert now["logs"][role] == was["logs"][role], role
    assert now == was


async def _all(source: LiveSource | ReplaySource) -> list[Event]:
    return [event async for event in source.events()]
