"""The monitor against a live playground: a signal sent from the panel reaches a real child."""

from __future__ import annotations

import importlib.util

import psutil
import pytest
from textual.widgets import Button

from tests.tui.helpers import wait_for
from tui.__main__ import demo_factory
from tui.app import MonitorApp
from tui.widgets.eventlog import EventLog
from tui.widgets.procs import ProcPane

pytestmark = [
    pytest.mark.skipif(
        importlib.util.find_spec("ipccore.monitor.live") is None,
        reason="the live source (ipccore.monitor.live) is not installed yet",
    ),
    pytest.mark.slow,
    pytest.mark.timeout(90),
]


def _status(pid: int) -> str:
    try:
        return str(psutil.Process(pid).status())
    except psutil.NoSuchProcess:
        return "gone"


async def test_stop_cont_and_usr1_reach_a_real_child() -> None:
    app = MonitorApp(demo_factory("playground"))
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: len(app.state.children()) == 3, timeout=30)
        child = app.state.children()[0]
        app.selected = child
        await pilot.press("6")
        await wait_for(pilot, lambda: _status(child) == psutil.STATUS_STOPPED, timeout=15)
        await wait_for(pilot, lambda: app.state.procs[child].status == "stopped", timeout=15)
        pane = app.query_one(f"#proc-{child}", ProcPane)
        await wait_for(pilot, lambda: "stopped" in str(pane.border_subtitle), timeout=5)
        await pilot.press("7")
        await wait_for(pilot, lambda: _status(child) != psutil.STATUS_STOPPED, timeout=15)
        await pilot.press("1")
        await wait_for(
            pilot,
            lambda: any(
                line.kind == "signal.handle" and line.pid == child and "SIGUSR1" in line.text
                for line in app.state.log
            ),
            timeout=15,
        )
        assert app.state.procs[child].signals.get("SIGUSR1") == 1
        await pilot.press("q")
    # Quitting stopped the source: the whole tree ends (psutil polls with a deadline).
    _gone, alive = psutil.wait_procs(psutil.Process().children(recursive=True), timeout=10)
    assert not alive
    assert _status(child) in ("gone", psutil.STATUS_ZOMBIE)


def _button_labels_whole(app: MonitorApp) -> bool:
    """Every signal button is wide enough for its whole label (``1 USR1``...)."""
    return all(
        button.region.width >= len(str(button.label)) for button in app.query(Button)
        if button.id and button.id.startswith("sig-")
    )


async def test_resizing_a_live_demo_keeps_its_state() -> None:
    """200x50 -> 80x24 -> 120x36 while the playground runs: no crash, the layout follows
    the size (rows at 80x24, panes at 120x36), and nothing the user set is lost."""
    app = MonitorApp(demo_factory("playground"))
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_for(pilot, lambda: len(app.state.children()) == 3, timeout=30)
        child = app.state.children()[1]
        app.selected = child
        await pilot.press("p")  # filter the log to the selected child
        await pilot.press("a")  # signals to all children
        source, events = app.pump.source, app.state.events
        await pilot.resize_terminal(80, 24)
        await wait_for(pilot, lambda: app.screen.has_class("-narrow", "-short"))
        pane = app.query_one(f"#proc-{child}", ProcPane)
        # 1 line, 3 for the selected row with the kernel's channels and dispositions
        await wait_for(pilot, lambda: pane.has_class("-row") and pane.region.height
                       == (3 if pane.has_class("-detail") else 1))
        assert _button_labels_whole(app)
        await pilot.press("2")  # SIGUSR2 to all children, sent at 80x24
        await wait_for(pilot, lambda: all(
            app.state.procs[pid].signals.get("SIGUSR2") == 1 for pid in app.state.children()
        ), timeout=15)
        await pilot.resize_terminal(120, 36)
        await wait_for(pilot, lambda: app.screen.has_class("-wide", "-tall"))
        # 5 lines, 7 with the kernel's channels and dispositions (sampled live)
        await wait_for(pilot, lambda: not pane.has_class("-row") and pane.region.height
                       == (7 if pane.has_class("-kernel") else 5))
        assert _button_labels_whole(app)
        assert app.pump.source is source  # the same run, not a restart
        assert app.state.events >= events
        assert app.selected == child
        assert app.all_children
        assert app.query_one(EventLog).log_filter.pids == {child}
        assert len(app.query(ProcPane)) == len(app.state.procs)
        await pilot.press("q")
    _gone, alive = psutil.wait_procs(psutil.Process().children(recursive=True), timeout=10)
    assert not alive
