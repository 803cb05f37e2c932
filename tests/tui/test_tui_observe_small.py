"""Channels and signal dispositions on every terminal: a row's short form, the selected
row's two kernel lines, and the process inspector (``enter``) with everything, from the
hand-written recording of programs that do not import ipccore, and live."""

from __future__ import annotations

import signal
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from ipcevents.replay import ReplaySource
from tests.monitor.observe_helpers import program
from tests.tui.helpers import RECORDINGS, ev, wait_for
from tests.tui.test_tui_observe import SIG, done, observed_state
from tui import keys
from tui.app import MonitorApp
from tui.kernel import ChanView
from tui.procdetail import process_details
from tui.screens.inspector import InspectorScreen
from tui.screens.procinspector import ProcessInspector
from tui.state import apply
from tui.widgets.procs import ProcPane, pane_row

OBSERVED = RECORDINGS / "handwritten" / "observed.ndjson"


def test_a_row_says_pending_signals_and_channels_in_short() -> None:
    state = observed_state()
    assert pane_row(state.procs[5101]).plain.endswith("0/0    →5102 64K")
    assert pane_row(state.procs[5102]).plain.endswith("←5101 64K →5103")
    row = pane_row(state.procs[SIG]).plain
    assert "\n" not in row
    assert row.endswith("USR2×1 pend USR2 ⇄5103 3.1K q0x1a2b 30B")
    assert ChanView("unix", "both", None, 0, 0, name="/run/x").short() == "unix"
    assert ChanView("pipe", "in", 5680, 2, 0).text("x.py") == "pipe ← 5680 (x.py) +1"


def test_the_selected_row_adds_its_channels_and_dispositions() -> None:
    state = observed_state()
    lines = pane_row(state.procs[SIG], selected=True).plain.split("\n")
    assert len(lines) == 3
    assert lines[1].strip() == ("chan socketpair ⇄ 5103, 3.1 KiB queued · "
                                "queue 0x1a2b (last send), 30 B queued")
    assert lines[2].strip() == "pend USR2 │ catch INT USR1 │ block USR2 │ ign HUP PIPE XFSZ"
    assert lines[1].startswith(" " * 10), "under the WHO column"
    apply(state, ev(SIG, "proc.exit", 2, code=0))
    assert "\n" not in pane_row(state.procs[SIG], selected=True).plain, \
        "an ended process has no channels any more"


def test_process_details_name_every_peer_and_every_disposition() -> None:
    state = observed_state()
    text = process_details(state.procs[SIG], state).plain
    for line in (
        "5110 process raw_signals.py   sleeping",
        "command   python3 raw_signals.py",
        "parent    5100 (process sh)",
        "received  SIGUSR2 ×1",
        "channels: 2, the busiest first",
        "fd 5      socketpair ⇄ 5103 (process wc), 3.1 KiB queued",
        "queue     0x1a2b (msqid 327737): 3 messages, 30 B · it sent last",
        "pending   SIGUSR2  (sent, not delivered yet)",
        "caught    SIGINT SIGUSR1  (a handler runs)",
        "blocked   SIGUSR2  (held back while blocked)",
        "ignored   SIGHUP SIGPIPE SIGXFSZ  (dropped on arrival)",
    ):
        assert f"{line}\n" in text, line
    head = process_details(state.procs[5102], state).plain
    assert "fd 0      pipe ← 5101 (process yes), 64.0 KiB queued" in head
    assert "fd 1      pipe → 5103 (process wc)\n" in head
    assert "io        read 1.0GB/s in 128K calls/s · write 1.0GB/s" in head
    assert "every signal has its default action" in head


def test_process_details_show_untrusted_text_literally() -> None:
    state = observed_state()
    apply(state, ev(SIG, "proc.seen", 3, ppid=5100, cmd="evil [bold red]x[/] \x1b[2J"))
    apply(state, ev(SIG, "proc.chan", 3, chan="fd9", type="unix", fd=9, dir="both",
                    peer=None, peers=0, queued=0, name="@[link=x]y[/link]", open=True))
    text = process_details(state.procs[SIG], state)
    assert "evil [bold red]x[/] \\x1b[2J" in text.plain
    assert "unix @[link=x]y[/link]" in text.plain
    assert all("link" not in str(span.style) for span in text.spans)


def test_a_process_not_sampled_says_so() -> None:
    from tests.tui.helpers import family
    from tui.state import MonitorState

    state = MonitorState()
    for event in family():
        apply(state, event)
    text = process_details(state.procs[4101], state).plain
    assert "4101 child #1 w1" in text
    assert "channels and signal dispositions: not observed" in text


def names(details: str, group: str) -> list[str]:
    """The signal names on the inspector's ``group`` line (``caught    SIGINT SIGUSR1``)."""
    for line in details.splitlines():
        if line.strip().startswith(group + " "):
            return line.split("(")[0].split()[1:]
    return []


def replay() -> MonitorApp:
    return MonitorApp(lambda: ReplaySource(OBSERVED))


async def select(pilot: Pilot[Any], pid: int) -> None:
    app = pilot.app
    assert isinstance(app, MonitorApp)
    for _ in range(len(app.state.procs) + 1):
        if app.selected == pid:
            break
        await pilot.press("down")
    await pilot.pause()
    assert app.selected == pid


async def test_enter_opens_the_selected_process_and_follows_time_travel() -> None:
    app = replay()
    async with app.run_test(size=(80, 24)) as pilot:
        await done(pilot)
        await select(pilot, SIG)
        pane = app.query_one(f"#proc-{SIG}", ProcPane)
        assert pane.has_class("-detail")
        assert pane.region.height == 3, "the selected row shows its two kernel lines"
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ProcessInspector)

        def body() -> str:
            return str(screen.query_one("#procinspector-body", Static).render())

        assert "pending   SIGUSR2" in body()
        await pilot.press("space", "left", "left", "left", "left")  # before the pending mask
        await wait_for(pilot, lambda: "pending   SIGUSR2" not in body())
        assert "caught    SIGINT SIGUSR1" in body()
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, ProcessInspector)
        # The main screen shows the step made in the inspector (drawn once it is back).
        await wait_for(pilot, lambda: "pend USR2" not in str(pane.render())
                       and "catch INT USR1" in str(pane.render()))
        await pilot.press("v", "enter")
        await pilot.pause()
        assert isinstance(app.screen, InspectorScreen), "the sequence view keeps its inspector"


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (200, 50), (200, 24)])
def test_observed_rows_and_panes_with_a_process_selected(size: tuple[int, int],
                                                         snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await done(pilot)
        await select(pilot, SIG)

    assert snap_compare(replay(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (200, 50)])
def test_process_inspector(size: tuple[int, int], snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await done(pilot)
        await select(pilot, SIG)
        await pilot.press("enter")
        await pilot.pause()

    assert snap_compare(replay(), terminal_size=size, run_before=run_before)


@pytest.mark.slow
async def test_live_at_80x24_a_blocked_signal_from_the_panel_shows_pending() -> None:
    """A program that does not import ipccore (handles USR1, blocks USR2, ignores HUP),
    run with --run on an 80x24 terminal: its row and the inspector say so, and SIGUSR2
    sent with the panel's key shows as pending in the selected row."""
    from tui.__main__ import run_factory

    app = MonitorApp(run_factory(program("raw_signals", "120")))
    async with app.run_test(size=(80, 24)) as pilot:
        def top() -> int | None:
            source = app.pump.source
            process = getattr(source, "process", None)
            return getattr(process, "pid", None)

        def detail() -> str:
            pid = top()
            if pid is None or pid not in app.state.procs or app.selected != pid:
                return ""
            return pane_row(app.state.procs[pid], selected=True).plain

        def settled() -> bool:
            pid = top()
            return (pid is not None and any(line.text == "ready" for line in app.state.log)
                    and "USR1" in detail().partition("catch ")[2].partition("│")[0])

        await wait_for(pilot, lambda: top() in app.state.procs, timeout=60)
        pid = top()
        assert pid is not None
        await select(pilot, pid)
        await wait_for(pilot, settled, timeout=60)
        assert "block USR2" in detail()
        assert "ign HUP" in detail()
        assert "pend" not in detail()
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ProcessInspector)
        text = str(screen.query_one("#procinspector-body", Static).render())
        assert "SIGUSR1" in names(text, "caught")
        assert "SIGUSR2" in names(text, "blocked")
        assert "SIGHUP" in names(text, "ignored")
        await pilot.press("escape")
        await pilot.pause()
        assert dict(keys.SIGNALS)["2"] == signal.SIGUSR2
        await pilot.press("2")
        await wait_for(pilot, lambda: "pend USR2" in detail(), timeout=30)
        assert any(line.kind == "signal.send" and line.pid != pid for line in app.state.log)
        await app.pump.stop()
