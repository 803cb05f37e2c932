"""Pilot tests of the sequence view, time travel, the inspector and the replay rate."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from ipcevents.events import Event
from ipcevents.replay import ReplaySource
from tests.tui.helpers import RECORDINGS, family_of, recording, wait_for
from tui.app import MonitorApp
from tui.screens.dialogs import TextPrompt
from tui.screens.inspector import InspectorScreen
from tui.widgets.eventlog import EventLog
from tui.widgets.procs import ProcPane
from tui.widgets.sequence import SequenceView
from tui.widgets.status import StatusLine

SIZE = (120, 36)
SIBLING = RECORDINGS / "sibling.ndjson"
_MASTER, (KILLED, WRITER) = family_of(recording("sibling"))
"""Child #1, killed with SIGKILL by child #2, which wrote to it."""


def replay(path: Path = SIBLING, rate: float = 0.0, view: str = "panes") -> MonitorApp:
    return MonitorApp(lambda: ReplaySource(path, rate=rate), view=view)


def subtitle(app: MonitorApp, pid: int) -> str:
    return str(app.query_one(f"#proc-{pid}", ProcPane).border_subtitle)


def status(app: MonitorApp) -> str:
    return str(app.query_one(StatusLine).render())


async def test_pause_step_back_past_the_sigkill_and_forward_again() -> None:
    app = replay()
    events = recording("sibling")
    reap = next(i for i, e in enumerate(events, 1)
                if e.kind == "proc.reap" and e.get("child") == KILLED)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.finished)
        await pilot.pause()
        assert "killed by SIGKILL" in subtitle(app, KILLED)
        await pilot.press("space")
        assert app.travel.cursor == len(events)
        await pilot.press(*["left"] * (len(events) - reap + 1))
        await pilot.pause()
        assert app.travel.cursor == reap - 1
        assert "killed" not in subtitle(app, KILLED)
        assert f"event {reap - 1} / {len(events)}" in status(app)
        await pilot.press("right")
        await pilot.pause()
        assert "killed by SIGKILL" in subtitle(app, KILLED)
        # The log's cursor is on the reap, its last line as of that moment.
        log = app.query_one(EventLog)
        assert log.cursor == len(log.lines) - 1
        assert log.lines[-1].seq == events[reap - 1].seq
        await pilot.press("space")
        await pilot.pause()
        assert app.travel.cursor is None
        assert "PAUSED" not in status(app)


async def test_home_end_and_go_to_time() -> None:
    app = replay(view="sequence")
    events = recording("sibling")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.finished)
        await pilot.press("home")
        await pilot.pause()
        assert app.travel.cursor == 1
        shown = [p for p in app.query(ProcPane) if p.display]
        assert len(shown) == 1  # only the master's first sample so far
        view = app.query_one(SequenceView)
        assert view.selected_row() is None
        await pilot.press("end")
        await pilot.pause()
        assert app.travel.cursor == len(events)
        assert len([p for p in app.query(ProcPane) if p.display]) == 3
        await pilot.press("g")
        await wait_for(pilot, lambda: isinstance(app.screen, TextPrompt))
        await pilot.press(*"0.3", "enter")
        await pilot.pause()
        t0 = events[0].ts
        expect = sum(1 for e in events if e.ts - t0 <= 0.3)
        assert app.travel.cursor == expect
        row = view.selected_row()
        assert row is not None
        assert row.index <= expect
        assert "0.3" in status(app) or f"event {expect} /" in status(app)
        await pilot.press("g")
        await wait_for(pilot, lambda: isinstance(app.screen, TextPrompt))
        await pilot.press(*"soon", "enter")
        await wait_for(pilot, lambda: bool(app._notifications))
        assert app.travel.cursor == expect


async def test_inspector_shows_the_read_of_a_write() -> None:
    app = replay(view="sequence")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.finished)
        view = app.query_one(SequenceView)
        first_write = next(i for i, r in enumerate(view.sequence.rows)
                           if r.event.kind == "pipe.write")
        await pilot.press(*["up"] * (len(view.sequence.rows) - first_write))
        assert view.cursor == first_write
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, InspectorScreen))
        body = app.screen.query_one("#inspector-body", Static)
        text = str(body.render())
        assert f"pipe.read by {KILLED} (child #1)" in text
        assert f"from {WRITER}: Hello World!" in text
        assert "66 72 6f 6d" in text  # "from" as hex
        assert "none: the first on this channel" in text
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, InspectorScreen)
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, InspectorScreen))
        text = str(app.screen.query_one("#inspector-body", Static).render())
        assert f"pipe.write event {view.sequence.rows[first_write].index}" in text


async def test_v_switches_views_and_c_compresses() -> None:
    app = replay()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.finished)
        view = app.query_one(SequenceView)
        assert not view.display
        await pilot.press("v")
        await pilot.pause()
        assert view.display
        assert not app.query_one("#top").display
        assert len(view.geometry().keys) == 3
        await pilot.press("home", "space")  # back to live, then look at the first row only
        await pilot.press("c")
        await pilot.pause()
        assert view.compress
        await pilot.press("v")
        await pilot.pause()
        assert app.query_one("#top").display


def slow_recording(path: Path, n: int = 40, gap: float = 0.25) -> Path:
    events = [Event(i + 1, 1000.0 + gap * i, 7, "timer.fire", {"timer": 1}) for i in range(n)]
    path.write_text("".join(e.to_json() + "\n" for e in events))
    return path


async def test_brackets_change_the_rate_and_space_pauses_the_replay(tmp_path: Path) -> None:
    app = replay(slow_recording(tmp_path / "slow.ndjson"), rate=1.0)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.travel.count >= 1)
        source = app.pump.source
        assert isinstance(source, ReplaySource)
        assert "rate ×1" in status(app)
        await pilot.press("left_square_bracket")
        assert source.rate == 0.5
        await pilot.press("right_square_bracket", "right_square_bracket")
        assert source.rate == 2.0
        await pilot.pause()
        assert "rate ×2" in status(app)
        await pilot.press("space")
        assert source.paused
        await pilot.pause(0.1)
        held = app.travel.count
        await pilot.pause(0.6)  # more than two recorded gaps at rate 2
        assert app.travel.count == held
        await pilot.press("space")
        assert not source.paused
        await wait_for(pilot, lambda: app.travel.count > held)


async def test_untrusted_text_is_shown_literally(tmp_path: Path) -> None:
    evil = "[bold red]x[/] \x1b[2J"
    events = [Event(1, 1000.0, 7, "proc.hello", {"role": "master", "ppid": 1}),
              Event(2, 1000.1, 7, "pipe.write", {"to": 8, "nbytes": 9, "preview": evil}),
              Event(3, 1000.2, 8, "pipe.read", {"from": 7, "nbytes": 9, "preview": evil})]
    path = tmp_path / "evil.ndjson"
    path.write_text("".join(e.to_json() + "\n" for e in events))
    app = replay(path, view="sequence")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.finished)
        await pilot.pause()
        seq = app.query_one(SequenceView)
        lines = [seq.render_line(y).text for y in range(3)]
        assert any("[bold red]x[/]" in line for line in lines)
        assert not any("\x1b" in line for line in lines)
        await pilot.press("up", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, InspectorScreen))
        text = str(app.screen.query_one("#inspector-body", Static).render())
        assert "[bold red]x[/]" in text
        assert "\x1b" not in text
