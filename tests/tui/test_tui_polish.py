"""Pane titles, search with n/N, the push/write dialogs' targets, the key bar and the
picker's registry, the finished banner: the follow-ups of the monitor issue."""

from __future__ import annotations

from rich.text import Text

from ipccore.demos import NAMES
from ipcevents.events import Event
from ipcevents.fake import FakeSource
from ipcevents.source import PushQueue, WritePipe
from tests.tui.helpers import ev, family, recording, wait_for
from tui.__main__ import DEMO_NAMES
from tui.app import MonitorApp
from tui.commands import ACTIONS
from tui.keys import help_rows
from tui.screens.dialogs import PushPrompt
from tui.screens.picker import SCENARIOS
from tui.state import MonitorState, apply
from tui.widgets.banner import Banner
from tui.widgets.eventlog import EventLog
from tui.widgets.keybar import key_bar
from tui.widgets.procs import ProcPane, pane_title

SIZE = (120, 36)


def title_of(events: list[Event], pid: int) -> str:
    state = MonitorState()
    for event in events:
        apply(state, event)
    view = state.procs[pid]
    return pane_title(view, name=state.shown_name(view)).plain.strip()


def test_titles_from_a_real_recording_show_role_and_process_id() -> None:
    events = recording("sibling")
    children = sorted({e.get("child") for e in events if e.kind == "proc.spawn"})
    master = next(e.pid for e in events if e.kind == "proc.hello" and e.get("role") == "master")
    # The command as ps shows it, once: the children inherited it with fork.
    assert title_of(events, master) == f"{master} master  python -m ipccore"
    assert title_of(events, children[0]) == f"{children[0]} child #1"
    assert title_of(events, children[1]) == f"{children[1]} child #2"


def test_title_shows_a_meaningful_name_and_never_a_path() -> None:
    base = family(4100, (4101, 4102, 4103))
    events = [
        *base,
        ev(4101, "proc.stats", cpu=0.0, rss=1, state="sleeping", threads=1,
           name="/work/main/.ven"),
        ev(4102, "proc.name", name="php worker"),
        ev(4102, "proc.stats", cpu=0.0, rss=1, state="sleeping", threads=1, name="python3"),
        ev(4103, "proc.stats", cpu=0.0, rss=1, state="sleeping", threads=1, name="python3"),
    ]
    # family() says hello with names w1, w2, w3: the comm of a renamed process.
    assert title_of(events, 4101) == "4101 child #1  w1"
    assert title_of(events, 4102) == "4102 child #2  php worker"
    path_only = [e for e in events if not (e.kind == "proc.hello" and e.pid == 4101)]
    path_only.insert(0, ev(4101, "proc.hello", role="child", ppid=4100, name="/usr/bin/py",
                           id=1))
    assert title_of(path_only, 4101) == "4101 child #1"


def test_names_a_person_recognises() -> None:
    """The command as ps shows it (a script, ``python -m mod``), never the interpreter; a
    forked child's inherited command line is not repeated; a name() wins."""
    events = [
        ev(4100, "proc.hello", role="master", ppid=1, name="python -m tui", id=None),
        ev(4100, "proc.spawn", child=4101, id=1, pipe_type=2, fd=5),
        ev(4101, "proc.stats", cpu=0.0, rss=1, state="sleeping", threads=1,
           name="python -m tui"),
        ev(4101, "proc.hello", role="child", ppid=4100, name="python -m tui", id=1),
        ev(4100, "proc.spawn", child=4102, id=2, pipe_type=2, fd=6),
        ev(4102, "proc.hello", role="child", ppid=4100, name="python -m tui", id=2),
        ev(4102, "proc.name", name="python -m tui"),
        ev(4100, "proc.spawn", child=4103, id=3, pipe_type=0, fd=None),
        ev(4103, "proc.stats", cpu=0.0, rss=1, state="sleeping", threads=1, name="worker.py"),
    ]
    assert title_of(events, 4100) == "4100 master  python -m tui"
    assert title_of(events, 4101) == "4101 child #1"  # inherited: said once, on the master
    assert title_of(events, 4102) == "4102 child #2  python -m tui"  # chosen with name()
    assert title_of(events, 4103) == "4103 child #3  worker.py"  # it exec'd another program


def test_key_bar_fits_120_columns_and_every_key_is_in_help_and_palette() -> None:
    assert key_bar().cell_len <= 118
    keys = {k for k, _ in help_rows()}
    for key in ("s", "n, N", "/", "escape", "w", "u", "a", "f", "r", "x", "q", "?"):
        assert key in keys
    actions = {action for _, _, action in ACTIONS}
    assert {"search_log", "find(1)", "find(-1)", "filter_log", "write_pipe",
            "push_queue"} <= actions


def test_picker_and_cli_use_the_demo_registry() -> None:
    assert tuple(name for name, _ in SCENARIOS) == (*NAMES, "playground")
    assert (*NAMES, "playground") == DEMO_NAMES


async def test_search_jumps_between_matches_without_filtering() -> None:
    events = [*family()]
    events += [ev(4101, "io.stdout", 0.1 * i, line=f"line {i}" + (" needle" if i % 3 == 0 else ""))
               for i in range(1, 10)]
    source = FakeSource(events, finish=True)
    app = MonitorApp(lambda: source)
    async with app.run_test(size=SIZE) as pilot:
        log = app.query_one(EventLog)
        await wait_for(pilot, lambda: app.finished and len(log.lines) == len(events))
        await pilot.press("s")
        await pilot.pause()
        await pilot.press(*"NEEDLE", "enter")
        await wait_for(pilot, lambda: log.cursor is not None)
        assert len(log.lines) == len(events)  # nothing filtered out
        assert not log.follow
        found = [log.lines[log.cursor].text]  # type: ignore[index]
        for key in ("N", "N", "N", "n"):
            await pilot.press(key)
            await pilot.pause()
            found.append(log.lines[log.cursor].text)  # type: ignore[index]
        assert found == ["line 9 needle", "line 6 needle", "line 3 needle",
                         "line 9 needle", "line 3 needle"]
        cursor_line = log.render_line(log.cursor - int(log.scroll_offset.y))  # type: ignore[operator]
        assert "needle" in "".join(seg.text for seg in cursor_line)
        await pilot.press("escape")
        await wait_for(pilot, lambda: log.search == "" and log.cursor is None)


async def test_push_dialog_targets_the_chosen_queue() -> None:
    events = [
        *family(),
        ev(4100, "queue.open", key=0x10, msqid=7, mode=2, nowait=False),
        ev(4100, "queue.open", key=0x20, msqid=8, mode=2, nowait=False),
        ev(4102, "queue.pop", key=0x20, msqid=8, mtype=1, nbytes=1, preview="x"),
    ]
    source = FakeSource(events)
    app = MonitorApp(lambda: source)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(app.state.queues) == 2
                       and app.state.procs[4102].queue_key == 0x20)
        app.selected = 4102  # it uses queue 0x20: the default
        await pilot.press("u")
        await wait_for(pilot, lambda: isinstance(app.screen, PushPrompt))
        await pilot.press(*"a", "enter")
        await wait_for(pilot, lambda: len(source.commands) == 1)
        app.selected = 4101  # uses no queue: the first one is the default
        await pilot.press("u")
        await wait_for(pilot, lambda: isinstance(app.screen, PushPrompt))
        await pilot.press(*"b", "enter")
        await wait_for(pilot, lambda: len(source.commands) == 2)
        assert source.commands == [PushQueue(0x20, b"a"), PushQueue(0x10, b"b")]


async def test_write_refuses_master_and_ended_panes_clearly() -> None:
    events = [*family(), ev(4100, "proc.reap", child=4101, code=None, signal=9)]
    source = FakeSource(events)
    app = MonitorApp(lambda: source)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.state.procs.get(4101) is not None
                       and app.state.procs[4101].ended)
        for pid, words in ((4100, "is the master"), (4101, "has ended")):
            app.selected = pid
            await pilot.press("w")
            await wait_for(pilot, lambda w=words: any(  # type: ignore[misc]
                w in str(n.message) for n in app._notifications))
            assert not isinstance(app.screen, PushPrompt)
        app.selected = 4102
        await pilot.press("w")
        await pilot.pause()
        await pilot.press(*"ok", "enter")
        await wait_for(pilot, lambda: bool(source.commands))
        assert source.commands == [WritePipe(4102, b"ok")]


async def test_finished_banner_and_selected_pane_marker() -> None:
    source = FakeSource(family(), finish=True)
    app = MonitorApp(lambda: source)
    async with app.run_test(size=SIZE) as pilot:
        banner = app.query_one(Banner)
        await wait_for(pilot, lambda: app.finished)
        await pilot.pause()
        assert banner.has_class("-finished")
        assert "FINISHED" in str(banner.render())
        app.selected = 4102
        await pilot.pause()
        pane = app.query_one("#proc-4102", ProcPane)
        assert pane.has_class("-selected")
        assert Text.from_markup(str(pane.border_title)).plain.startswith("▶")


def test_a_write_injected_by_the_monitor_makes_no_pane_but_is_logged() -> None:
    state = MonitorState()
    for event in [*family(), ev(9999, "pipe.write", fd=3, to=4101, nbytes=2, preview="hi",
                                 via="monitor")]:
        apply(state, event)
    assert 9999 not in state.procs
    assert state.log[-1].kind == "pipe.write"
    assert "via monitor" in state.log[-1].text
