"""The command palette's *Export Perfetto trace*: a replay's trace beside its recording, a
live run's (recorded in the monitor's private directory) where the user says."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input

from ipcevents.fake import FakeSource
from ipcevents.replay import ReplaySource
from tests.tui.helpers import RECORDINGS, family, wait_for
from tui.__main__ import demo_factory
from tui.app import MonitorApp
from tui.runs import RunRecordings
from tui.screens.dialogs import TextPrompt

SIZE = (120, 36)


async def choose_export(pilot: Pilot[int], app: MonitorApp) -> TextPrompt:
    await pilot.press("ctrl+p")
    await pilot.pause(0.2)
    await pilot.press(*"Export Perfetto")
    await pilot.pause(0.5)
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, TextPrompt))
    assert isinstance(app.screen, TextPrompt)
    return app.screen


def replay_of_a_copy(tmp_path: Path) -> MonitorApp:
    """The pipe demo replayed from a copy in ``tmp_path``, where its trace goes."""
    rec = tmp_path / "pipe.ndjson"
    shutil.copy(RECORDINGS / "pipe.ndjson", rec)
    return MonitorApp(lambda: ReplaySource(rec, rate=0.0))


def notices(app: MonitorApp) -> list[str]:
    return [n.message for n in app._notifications]


async def test_replay_exports_beside_its_recording(tmp_path: Path) -> None:
    app = replay_of_a_copy(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.finished)
        prompt = await choose_export(pilot, app)
        assert prompt.query_one(Input).value == str(tmp_path / "pipe.trace.json")
        await pilot.press("enter")
        target = tmp_path / "pipe.trace.json"
        await wait_for(pilot, lambda: any(str(target) in m for m in notices(app)), 30)
        trace = json.loads(target.read_text())
        assert any(e.get("flow_out") for e in trace["traceEvents"])
        assert any("4 arrows" in m for m in notices(app))


async def test_live_run_is_recorded_and_exported_where_asked(tmp_path: Path) -> None:
    runs = RunRecordings()
    app = MonitorApp(demo_factory("pipe", 0.2, runs), runs=runs)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.finished and app.state.ended, 60)
        recording = app.pump.recording
        assert recording is not None
        assert runs.owns(recording)
        prompt = await choose_export(pilot, app)
        assert prompt.query_one(Input).value == str(Path.cwd() / "demo-pipe.trace.json")
        target = tmp_path / "mine.json"
        prompt.query_one(Input).value = str(target)
        await pilot.press("enter")
        await wait_for(pilot, lambda: any(str(target) in m for m in notices(app)), 30)
        events = json.loads(target.read_text())["traceEvents"]
        writes = sum(1 for line in recording.read_text().splitlines()
                     if '"kind":"pipe.write"' in line)
        # Every write has its arrow in the committed recordings (test_export_perfetto); live,
        # a loaded machine can make the collector release a read before its write.
        assert 0 < sum(1 for e in events if e.get("flow_out")) <= writes
    assert not recording.parent.exists()  # the monitor's private directory went with it


async def test_unrecorded_source_says_so() -> None:
    app = MonitorApp(lambda: FakeSource(family(), finish=True))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.finished)
        await pilot.press("ctrl+p")
        await pilot.pause(0.2)
        await pilot.press(*"Export Perfetto")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: any("not recorded" in m for m in notices(app)))
        assert not isinstance(app.screen, TextPrompt)


async def test_unwritable_target_is_a_notice(tmp_path: Path) -> None:
    app = replay_of_a_copy(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.finished)
        prompt = await choose_export(pilot, app)
        prompt.query_one(Input).value = str(tmp_path / "no" / "such" / "dir" / "t.json")
        await pilot.press("enter")
        await wait_for(pilot, lambda: any("Cannot write" in m for m in notices(app)), 30)
