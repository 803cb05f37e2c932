"""Snapshots of each demo's final screen, from committed recordings replayed instantly.

Deterministic by construction: fixed pids, times and stats in the recordings, times shown
relative to the first event, panes in pid order, no clock, explicit terminal size.
Regenerate with ``pytest tests/tui/test_tui_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from ipcevents.replay import ReplaySource
from tests.tui.helpers import RECORDINGS, wait_for
from tui.app import MonitorApp
from tui.screenshots import back_to, up_to

SIBLING = RECORDINGS / "sibling.ndjson"
DEMOS = ["pipe", "sibling", "coroutine", "queue", "signal", "pool"]


def replay_app(name: str) -> MonitorApp:
    return MonitorApp(lambda: ReplaySource(RECORDINGS / f"{name}.ndjson"))


async def finished(pilot: Pilot[Any]) -> None:
    app = pilot.app
    assert isinstance(app, MonitorApp)
    await wait_for(pilot, lambda: app.finished)
    await pilot.pause()


@pytest.mark.parametrize("demo", DEMOS)
def test_demo_final_screen(demo: str, snap_compare: Any) -> None:
    assert snap_compare(replay_app(demo), terminal_size=(120, 36), run_before=finished)


SIZES = [(80, 24), (100, 30), (200, 50)]
"""Besides 120x36: the classic default terminal, an in-between one, a big one."""


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("demo", ["pipe", "queue", "signal"])
def test_demo_final_screen_at_size(demo: str, size: tuple[int, int], snap_compare: Any) -> None:
    assert snap_compare(replay_app(demo), terminal_size=size, run_before=finished)


@pytest.mark.parametrize("size", [(120, 36), (80, 24)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_help_screen(size: tuple[int, int], snap_compare: Any) -> None:
    assert snap_compare(
        replay_app("pipe"), terminal_size=size, run_before=finished, press=["question_mark"]
    )


def test_filtered_log(snap_compare: Any) -> None:
    async def filtered(pilot: Pilot[Any]) -> None:
        await finished(pilot)
        await pilot.press("slash")
        await pilot.pause()
        await pilot.press(*"kind:pipe", "space", *"hello", "enter")
        await pilot.pause()

    assert snap_compare(replay_app("pipe"), terminal_size=(120, 36), run_before=filtered)


@pytest.mark.parametrize("size", [(120, 36), (80, 24)], ids=["120x36", "80x24"])
@pytest.mark.parametrize("demo", DEMOS)
def test_sequence_view(demo: str, size: tuple[int, int], snap_compare: Any) -> None:
    app = MonitorApp(lambda: ReplaySource(RECORDINGS / f"{demo}.ndjson"), view="sequence")
    assert snap_compare(app, terminal_size=size, run_before=finished)


def test_sequence_view_paused_on_the_sigkill(snap_compare: Any) -> None:
    """Stepped back to the SIGKILL: the arrow has the cursor, the rows after it are gone."""

    async def back(pilot: Pilot[Any]) -> None:
        await finished(pilot)
        await pilot.press(*back_to(SIBLING, "signal.send"))
        await pilot.pause()

    app = MonitorApp(lambda: ReplaySource(RECORDINGS / "sibling.ndjson"), view="sequence")
    assert snap_compare(app, terminal_size=(120, 36), run_before=back)


def test_inspector(snap_compare: Any) -> None:
    async def inspect(pilot: Pilot[Any]) -> None:
        await finished(pilot)
        await pilot.press(*up_to(SIBLING, "pipe.write", 3), "enter")
        await pilot.pause()

    app = MonitorApp(lambda: ReplaySource(RECORDINGS / "sibling.ndjson"), view="sequence")
    assert snap_compare(app, terminal_size=(120, 36), run_before=inspect)


@pytest.mark.parametrize("size", [(80, 24), (200, 50)])
def test_pool_demo_at_both_extreme_sizes(size: tuple[int, int], snap_compare: Any) -> None:
    """Pool workers are labelled by worker id, a restarted one with the pid it replaced."""
    assert snap_compare(replay_app("pool"), terminal_size=size, run_before=finished)


@pytest.mark.parametrize("size", [(120, 36), (80, 24)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_light_theme(size: tuple[int, int], snap_compare: Any) -> None:
    """Textual's light theme (what the palette's theme picker sets): every colour the
    monitor picks stays readable on a light background."""

    async def light(pilot: Pilot[Any]) -> None:
        await finished(pilot)
        pilot.app.theme = "textual-light"
        await pilot.pause()

    assert snap_compare(replay_app("queue"), terminal_size=size, run_before=light)
