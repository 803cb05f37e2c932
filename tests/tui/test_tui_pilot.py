"""Pilot tests against the fake source: what a key or a click sends, filters, dialogs, quit."""

from __future__ import annotations

import re
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest
from rich.text import Text
from textual.command import CommandPalette
from textual.pilot import Pilot

from ipcevents.fake import FakeSource
from ipcevents.replay import ReplaySource
from ipcevents.source import PushQueue, SendSignal, WritePipe
from tests.tui.helpers import RECORDINGS, ev, family, wait_for
from tui.app import MonitorApp
from tui.screens.dialogs import ConfirmScreen
from tui.screens.help import HelpScreen
from tui.screens.picker import DemoPicker
from tui.widgets.eventlog import EventLog
from tui.widgets.procs import ProcessList, ProcPane

SIZE = (120, 36)


def app_with(source: FakeSource) -> MonitorApp:
    return MonitorApp(lambda: source)


@asynccontextmanager
async def family_on_screen(source: FakeSource | None = None, selected: int | None = None,
                           ) -> AsyncIterator[tuple[MonitorApp, Pilot[int], FakeSource]]:
    """The app on ``source`` (a master and two children by default) with their three
    panes drawn and ``selected`` selected: where most key tests start."""
    source = source or FakeSource(family())
    app = app_with(source)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(app.query(ProcPane)) == 3)
        if selected is not None:
            app.selected = selected
        yield app, pilot, source


async def test_key_sends_signal_to_selected_pane() -> None:
    async with family_on_screen() as (app, pilot, source):
        await pilot.pause()
        await pilot.click("#proc-4102")
        await wait_for(pilot, lambda: app.selected == 4102)
        await pilot.press("1")
        await wait_for(pilot, lambda: bool(source.commands))
        assert source.commands == [SendSignal(4102, signal.SIGUSR1)]
        await pilot.press("up")
        assert app.selected == 4101


async def test_button_sends_signal_and_all_children_target() -> None:
    async with family_on_screen() as (_, pilot, source):
        await pilot.press("a")
        await pilot.pause()
        await pilot.click("#sig-sigusr2")
        await wait_for(pilot, lambda: len(source.commands) == 2)
        assert source.commands == [
            SendSignal(4101, signal.SIGUSR2),
            SendSignal(4102, signal.SIGUSR2),
        ]


async def test_sigkill_asks_first() -> None:
    async with family_on_screen(selected=4101) as (app, pilot, source):
        await pilot.press("8")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        await pilot.pause()
        assert source.commands == []
        await pilot.press("8")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: bool(source.commands))
        assert source.commands == [SendSignal(4101, signal.SIGKILL)]


async def test_refused_target_is_a_notice_not_a_crash() -> None:
    refusing = FakeSource(family(), refuse={4101})
    async with family_on_screen(refusing, selected=4101) as (app, pilot, source):
        await pilot.press("3")
        await wait_for(pilot, lambda: bool(source.refused))
        await wait_for(pilot, lambda: bool(app._notifications))
        notes = [n.message for n in app._notifications]
        assert any("not part of the monitored tree" in m for m in notes)
        assert app.is_running


async def test_write_and_push_dialogs() -> None:
    events = [*family(), ev(4100, "queue.open", key=0x1234, msqid=7, mode=2, nowait=False)]
    source = FakeSource(events)
    app = app_with(source)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(app.query(ProcPane)) == 3 and bool(app.state.queues))
        app.selected = 4102
        await pilot.press("w")
        await pilot.pause()
        await pilot.press(*"hi", "space", "left_square_bracket", "b", "right_square_bracket")
        await pilot.press("enter")
        await wait_for(pilot, lambda: bool(source.commands))
        await pilot.press("u")
        await pilot.pause()
        await pilot.press(*"job")
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(source.commands) == 2)
        assert source.commands == [WritePipe(4102, b"hi [b]"), PushQueue(0x1234, b"job")]


async def test_filter_search_and_follow() -> None:
    events = [*family()]
    for i in range(30):
        events.append(ev(4101, "pipe.write", i * 0.01, fd=5, to=4100, nbytes=5, preview=f"m{i}"))
        events.append(ev(4102, "io.stdout", i * 0.01, line=f"out {i}"))
    source = FakeSource(events)
    app = app_with(source)
    async with app.run_test(size=SIZE) as pilot:
        log = app.query_one(EventLog)
        await wait_for(pilot, lambda: len(log.lines) == 65)
        await pilot.press("slash")
        await pilot.pause()
        await pilot.press(*"kind:pipe m2")
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(log.lines) < 65)
        assert {ln.text for ln in log.lines} == {'5 B -> 4100: "m2"'} | {
            f'5 B -> 4100: "m{i}"' for i in range(20, 30)
        }
        highlighted = log.line_text(log.lines[0])
        assert any("yellow" in str(span.style) for span in highlighted.spans)
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(log.lines) == 65)
        app.selected = 4102
        await pilot.press("p")
        await wait_for(pilot, lambda: {ln.pid for ln in log.lines} == {4102})
        await pilot.press("f")
        assert not log.follow
        source.feed(ev(4102, "io.stdout", 1.0, line="while paused"))
        await wait_for(pilot, lambda: app.state.events == 66)
        await pilot.pause(0.2)
        assert all(ln.text != "while paused" for ln in log.lines)
        await pilot.press("f")
        await wait_for(pilot, lambda: log.lines[-1].text == "while paused")


async def test_markup_and_non_utf8_are_shown_literally() -> None:
    nasty = "[bold red]x[/] [/] [link=http://e.vil]y"
    events = [
        ev(4100, "proc.hello", role="master", ppid=1, name="[/]" + nasty, id=None),
        ev(4100, "io.stdout", line=nasty),
        ev(4100, "pipe.read", fd=5, nbytes=3, preview="\\xff\\xfe[/]"),
    ]
    source = FakeSource(events, finish=True)
    app = app_with(source)
    async with app.run_test(size=SIZE) as pilot:
        log = app.query_one(EventLog)
        await wait_for(pilot, lambda: app.finished)
        await pilot.pause()
        plain = [log.line_text(line).plain for line in log.lines]
        assert any(nasty in p for p in plain)
        assert any('"\\xff\\xfe[/]"' in p for p in plain)
        pane = app.query_one("#proc-4100", ProcPane)
        body = pane.render()
        assert "\\xff\\xfe[/]" in str(body)
        assert isinstance(pane.border_title, str)
        assert "[/]" in Text.from_markup(
            pane.border_title
        ).plain
        assert app.is_running


async def test_many_children_scroll_and_final_state_stays() -> None:
    children = tuple(range(5001, 5061))
    events = [*family(5000, children)]
    events += [ev(5000, "proc.reap", 1.0, child=c, code=None, signal=9) for c in children]
    source = FakeSource(events, finish=True)
    app = app_with(source)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.finished and len(app.query(ProcPane)) == 61)
        procs = app.query_one(ProcessList)
        await pilot.pause()
        assert procs.max_scroll_y > 0
        pids = [pane.pid for pane in app.query(ProcPane)]
        assert pids == sorted(pids)
        assert all(p.has_class("-ended") for p in app.query(ProcPane) if p.pid != 5000)
        await pilot.press("end")
        assert app.is_running
        assert not source.stopped


async def test_quit_stops_the_source() -> None:
    source = FakeSource(family())
    app = app_with(source)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: source.started)
        await pilot.press("q")
        await wait_for(pilot, lambda: source.stopped)
    assert source.stopped


async def test_unmount_stops_the_source_even_without_quit() -> None:
    source = FakeSource(family())
    app = app_with(source)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: source.started)
        app.exit(3)
    assert source.stopped


async def test_restart_uses_a_fresh_source_and_help_lists_keys() -> None:
    made: list[FakeSource] = []

    def factory() -> FakeSource:
        made.append(FakeSource(family(), finish=True))
        return made[-1]

    app = MonitorApp(factory)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.finished)
        await pilot.press("r")
        await wait_for(pilot, lambda: len(made) == 2 and made[0].stopped and made[1].started)
        await wait_for(pilot, lambda: app.finished and len(app.query(ProcPane)) == 3)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, HelpScreen))


async def test_command_palette_offers_the_actions() -> None:
    async with family_on_screen(selected=4101) as (_, pilot, source):
        await pilot.press("ctrl+p")
        await pilot.pause(0.2)
        await pilot.press(*"Send SIGUSR2")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: bool(source.commands))
        assert source.commands == [SendSignal(4101, signal.SIGUSR2)]


async def test_picker_starts_the_chosen_demo() -> None:
    chosen: list[str] = []
    source = FakeSource(family())

    def picker(name: str) -> Callable[[], FakeSource]:
        chosen.append(name)
        return lambda: source

    app = MonitorApp(None, picker=picker)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, DemoPicker))
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: source.started and len(app.query(ProcPane)) == 3)
        assert chosen == ["sibling"]


async def test_no_color_draws_in_greys_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """NO_COLOR (no-color.org): Textual draws the whole screen in greys; what colour would
    say is said in words too (the state, ``▶`` for the selection, ``KILL`` on its button)."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = MonitorApp(lambda: ReplaySource(RECORDINGS / "signal.ndjson", rate=0.0))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.finished)
        await pilot.pause()
        svg = app.export_screenshot()
    screen = re.sub(r"<circle[^>]*>", "", svg)  # the window's three buttons: not the app
    colours = set(re.findall(r"(?:fill|stroke)[:=]\s*\"?#([0-9a-fA-F]{6})", screen))
    assert colours
    for colour in colours:
        r, g, b = (int(colour[i:i + 2], 16) for i in (0, 2, 4))
        assert max(r, g, b) - min(r, g, b) <= 16, f"#{colour} is a colour, not a grey"
    text = svg.replace("&#160;", " ")
    assert "killed KILL" in text
    assert "▶" in text
    assert "8 KILL" in text


async def test_theme_picker_in_the_command_palette_switches_to_light() -> None:
    """ctrl+p, "theme", pick a light one: the app's theme changes (Textual's own picker)."""
    async with family_on_screen() as (app, pilot, _):
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"theme", "enter")
        await wait_for(pilot, lambda: "theme" in type(app.screen).__name__.lower()
                       or isinstance(app.screen, CommandPalette))
        await pilot.pause(0.2)
        await pilot.press(*"textual-light", "enter")
        await wait_for(pilot, lambda: app.theme == "textual-light")
        assert not app.current_theme.dark
