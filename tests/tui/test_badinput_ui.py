"""Bad input through the real app (Pilot + FakeSource): terminal control sequences in what
a program prints or sends must reach the screen as visible text, never as raw escapes
(a raw ESC/BEL/OSC would let a monitored program redraw or retitle the user's terminal).

Rich markup look-alikes are already covered in ``test_tui_pilot``; this file adds the
control-character cases and a flood of very long lines.
"""

from __future__ import annotations

from ipcevents.fake import FakeSource
from tests.tui.helpers import ev, family, wait_for
from tui.app import MonitorApp
from tui.widgets.eventlog import EventLog
from tui.widgets.procs import ProcPane

SIZE = (120, 36)
NASTY = "a\x1b[2Jb\x1b]0;pwned\x07c\x1b[31md\x9b2Je\x00f\x08g"
RAW = ("\x1b", "\x07", "\x9b", "\x00", "\x08")


def _segments_text(app: MonitorApp) -> list[str]:
    log = app.query_one(EventLog)
    texts: list[str] = []
    for y in range(log.size.height):
        texts.extend(seg.text for seg in log.render_line(y))
    return texts


async def test_control_sequences_in_output_and_previews_stay_visible_text() -> None:
    events = [
        *family(4100, (4101,)),
        ev(4101, "io.stdout", 0.1, line=NASTY),
        ev(4100, "pipe.write", 0.2, fd=5, to=4101, nbytes=len(NASTY), preview=NASTY,
           via="pipe"),
        ev(4101, "pipe.read", 0.3, fd=5, nbytes=len(NASTY), preview=NASTY, via="pipe"),
    ]
    source = FakeSource(events, finish=True)
    app = MonitorApp(lambda: source)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.finished)
        await pilot.pause()
        assert app.is_running
        texts = _segments_text(app)
        joined = "".join(texts)
        assert "pwned" in joined, "the line was not shown at all"
        leaked = sorted({repr(c) for c in RAW for t in texts if c in t})
        assert not leaked, f"raw control characters reach the terminal: {leaked}"
        pane_text = str(app.query_one("#proc-4101", ProcPane).render())
        assert not [c for c in RAW if c in pane_text]


async def test_thousands_of_huge_lines_keep_the_app_responsive() -> None:
    line = "[b]x[/b]" * 10_000
    events = [*family(4100, (4101,))]
    events += [ev(4101, "io.stdout", i / 1000, line=line[: 4096]) for i in range(3000)]
    source = FakeSource(events, finish=True)
    app = MonitorApp(lambda: source)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.finished, timeout=60)
        await pilot.pause()
        log = app.query_one(EventLog)
        assert 0 < len(log.lines) <= 5000
        assert all(len(t) <= 400 for t in _segments_text(app))
        await pilot.press("end")
        assert app.is_running
