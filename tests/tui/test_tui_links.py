"""Who is connected to whom, above the sequence view: links folded from the kernel's
channels (each channel once, whichever ends reported it), packed into the strip's lines,
and shown only with the sequence view and only when the kernel reported channels."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from ipcevents.replay import ReplaySource
from tests.tui.helpers import RECORDINGS, ev, wait_for
from tests.tui.test_tui_observe import SIG, done, observed_state
from tui.app import MonitorApp
from tui.state import MonitorState, apply
from tui.topology import links, links_text
from tui.widgets.links import LinkStrip

OBSERVED = RECORDINGS / "handwritten" / "observed.ndjson"


def texts(state: MonitorState) -> list[str]:
    return [link.text() for link in links(state)]


def test_each_channel_is_one_link_the_busiest_first() -> None:
    assert texts(observed_state()) == [
        "5101 → 5102 pipe 64K",
        "5103 ⇄ 5110 socketpair 3.1K",
        "5110 → queue 0x1a2b 30B",
        "5102 → 5103 pipe",
    ]


def test_parallel_pipes_both_ways_a_queue_between_two_and_one_sided_ends() -> None:
    state = MonitorState()
    events = [
        ev(7001, "proc.seen", 0, ppid=1, cmd="a"), ev(7002, "proc.seen", 0, ppid=7001, cmd="b"),
        # two pipes 7001 -> 7002, each reported by both ends
        ev(7001, "proc.chan", 0.1, chan="fd4", type="pipe", dir="out", peer=7002, peers=1,
           queued=0, open=True),
        ev(7001, "proc.chan", 0.1, chan="fd6", type="pipe", dir="out", peer=7002, peers=1,
           queued=0, open=True),
        ev(7002, "proc.chan", 0.1, chan="fd3", type="pipe", dir="in", peer=7001, peers=1,
           queued=0, open=True),
        ev(7002, "proc.chan", 0.1, chan="fd5", type="pipe", dir="in", peer=7001, peers=1,
           queued=0, open=True),
        # a pipe back, seen only from its reader
        ev(7001, "proc.chan", 0.1, chan="fd8", type="pipe", dir="in", peer=7002, peers=1,
           queued=5, open=True),
        # a queue: 7001 sent last, 7002 received last
        ev(7001, "proc.chan", 0.1, chan="q9", type="queue", key=0x51, msqid=9, dir="out",
           last="send", peer=7002, peers=1, queued=0, open=True),
        ev(7002, "proc.chan", 0.1, chan="q9", type="queue", key=0x51, msqid=9, dir="in",
           last="recv", peer=7001, peers=1, queued=0, open=True),
        # a process's pipe to itself, and an end whose peer is unknown: no link
        ev(7002, "proc.chan", 0.1, chan="fd9", type="pipe", dir="out", peer=7002, peers=1,
           queued=0, open=True),
        ev(7002, "proc.chan", 0.1, chan="fd10", type="pipe", dir="out", peer=None, peers=0,
           queued=0, open=True),
    ]
    for event in events:
        apply(state, event)
    assert texts(state) == [
        "7002 → 7001 pipe 5B",
        "7001 → 7002 pipe ×2",
        "7001 → queue 0x51",
        "queue 0x51 → 7002",
    ]
    apply(state, ev(7002, "proc.exit", 1, code=0))
    assert texts(state) == ["7002 → 7001 pipe 5B", "7001 → 7002 pipe ×2", "7001 → queue 0x51"]


def test_links_are_packed_whole_into_the_lines_and_the_rest_counted() -> None:
    found = links(observed_state())
    wide = links_text(found, 200, 3).plain
    assert wide == ("links 5101 → 5102 pipe 64K · 5103 ⇄ 5110 socketpair 3.1K · "
                    "5110 → queue 0x1a2b 30B · 5102 → 5103 pipe")
    two = links_text(found, 60, 2).plain.split("\n")
    assert two == ["links 5101 → 5102 pipe 64K · 5103 ⇄ 5110 socketpair 3.1K",
                   "      5110 → queue 0x1a2b 30B · 5102 → 5103 pipe"]
    one = links_text(found, 60, 1).plain
    assert one == "links 5101 → 5102 pipe 64K · +3 more"
    assert links_text(found, 70, 1).plain == (
        "links 5101 → 5102 pipe 64K · 5103 ⇄ 5110 socketpair 3.1K · +2 more")
    for width in range(50, 120):  # the strip is at least 76 wide (80 columns)
        for lines in (1, 2, 3):
            shown = links_text(found, width, lines).plain
            assert len(shown.split("\n")) <= lines
            assert all(len(line) <= width for line in shown.split("\n")), (width, lines)
            whole = sum(link.text() in shown for link in found)
            more = int(shown.rpartition("+")[2].split()[0]) if " more" in shown else 0
            assert whole + more == len(found), (width, lines, shown)


async def test_the_strip_comes_with_the_sequence_view_and_follows_time_travel() -> None:
    app = MonitorApp(lambda: ReplaySource(OBSERVED))
    async with app.run_test(size=(80, 24)) as pilot:
        await done(pilot)
        strip = app.query_one(LinkStrip)
        assert not strip.display, "not in the panes view"
        await pilot.press("v")
        await wait_for(pilot, lambda: strip.display)
        assert "5103 ⇄ 5110 socketpair 3.1K" in str(strip.render())
        await pilot.press("home")  # before any channel was seen
        await wait_for(pilot, lambda: not strip.display)
        await pilot.press("end")
        await wait_for(pilot, lambda: strip.display)
        await pilot.press("v")
        await wait_for(pilot, lambda: not strip.display)


async def test_no_strip_for_a_recording_without_kernel_samples() -> None:
    app = MonitorApp(lambda: ReplaySource(RECORDINGS / "pipe.ndjson"), view="sequence")
    async with app.run_test(size=(120, 36)) as pilot:
        await done(pilot)
        assert not app.query_one(LinkStrip).display


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (200, 50)])
def test_sequence_view_with_its_links(size: tuple[int, int], snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await done(pilot)
        assert SIG in pilot.app.state.procs  # type: ignore[attr-defined]

    app = MonitorApp(lambda: ReplaySource(OBSERVED), view="sequence")
    assert snap_compare(app, terminal_size=size, run_before=run_before)
