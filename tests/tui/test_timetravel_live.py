"""Time travel over a live demo: a paused display keeps recording underneath, and back to
live nothing was lost."""

from __future__ import annotations

import pytest

from tests.tui.helpers import wait_for
from tui.__main__ import demo_factory
from tui.app import MonitorApp

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]


def pipe_writes(app: MonitorApp) -> int:
    return sum(1 for r in app.travel.sequence.rows if r.event.kind == "pipe.write")


async def test_pause_step_back_resume_and_nothing_is_lost() -> None:
    app = MonitorApp(demo_factory("sibling", speed=0.5), view="sequence")
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: pipe_writes(app) >= 1, timeout=60)
        await pilot.press("space")
        assert app.travel.paused
        paused_at = app.travel.cursor
        assert paused_at is not None
        await pilot.press("left", "left", "left")
        assert app.travel.cursor == max(paused_at - 3, 1)
        shown = app.travel.shown()
        assert shown.events == app.travel.cursor
        # The demo runs on and is recorded while the display stays put.
        await wait_for(pilot, lambda: app.finished, timeout=60)
        assert app.travel.paused
        assert app.travel.cursor == max(paused_at - 3, 1)
        assert app.travel.count > paused_at
        await pilot.press("space")
        await pilot.pause()
        assert not app.travel.paused
        live = app.travel.shown()
        assert live is app.state
        assert live.ended
        assert live.events == app.travel.count
        seqs = [app.travel.timeline.event(n).seq for n in range(1, app.travel.count + 1)]
        assert seqs == list(range(1, len(seqs) + 1))
        assert pipe_writes(app) == 5
        rows = app.travel.sequence.rows
        assert any(r.style == "signal" and r.label == "SIGKILL" for r in rows)
        assert not any(r.pending_at(app.travel.count) for r in rows)
        await pilot.press("q")
