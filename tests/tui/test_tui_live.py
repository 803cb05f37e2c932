"""The monitor against a live playground: a signal sent from the panel reaches a real child."""

from __future__ import annotations

import importlib.util

import psutil
import pytest

from tests.tui.helpers import wait_for
from tui.__main__ import demo_factory
from tui.app import MonitorApp
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
        return psutil.Process(pid).status()
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
