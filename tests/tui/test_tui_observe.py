"""The kernel's view in the UI: channels and dispositions in the panes (any program, from
a hand-written recording), and the machine's queue screen (``Q``) with made-up rows."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import DataTable, Sparkline, Static

from ipccore.observe.sysvmsg import Limits, QueueRow, Snapshot
from ipcevents.replay import ReplaySource
from tests.tui.helpers import RECORDINGS, ev, recording, wait_for
from tui.app import MonitorApp
from tui.kernel import ChanView, KernelView, mask_names
from tui.queuetable import cells, limits_line
from tui.screens.machine_queues import MachineQueues
from tui.state import MonitorState, apply
from tui.widgets.kernelpane import kernel_lines
from tui.widgets.procs import pane_body, pane_title

SIG = 5110
OBSERVED = RECORDINGS / "handwritten" / "observed.ndjson"


def observed_state() -> MonitorState:
    state = MonitorState()
    for event in recording("observed", handwritten=True):
        apply(state, event)
    return state


def kernel_of(state: MonitorState, pid: int) -> KernelView:
    kernel = state.procs[pid].kernel
    assert kernel is not None, f"no kernel view for {pid}"
    return kernel


def test_channels_dispositions_and_rates_fold_from_the_events() -> None:
    state = observed_state()
    yes, head = kernel_of(state, 5101), kernel_of(state, 5102)
    assert state.procs[5101].role == "process"
    assert state.procs[5101].ppid == 5100
    assert [c.text() for c in yes.sorted_chans()] == ["pipe → 5102, 64.0 KiB queued"]
    assert [c.text() for c in head.sorted_chans()] == [
        "pipe ← 5101, 64.0 KiB queued", "pipe → 5103"]
    assert head.rates["rchar"] == pytest.approx(1 << 30)
    sig = kernel_of(state, SIG)
    assert sig.signal_groups() == [("pending", ["USR2"]), ("caught", ["INT", "USR1"]),
                                   ("blocked", ["USR2"]), ("ignored", ["HUP", "PIPE", "XFSZ"])]
    texts = [c.text() for c in sig.sorted_chans()]
    assert texts == ["socketpair ⇄ 5103, 3.1 KiB queued", "queue 0x1a2b (last send), 30 B queued"]
    assert not [line for line in state.log if line.kind in ("proc.chan", "proc.io")]


def test_pane_text_is_plain_and_names_the_peers() -> None:
    state = observed_state()
    body = pane_body(state.procs[SIG]).plain
    assert "socketpair ⇄ 5103, 3.1 KiB queued" in body
    assert "pend USR2 │ catch INT USR1 │ block USR2 │ ign HUP PIPE XFSZ" in body
    assert "python3 raw_signals.py" in pane_title(state.procs[SIG]).plain
    hostile = ChanView("unix", "both", None, 0, 0, name="[bold]x[/]")
    assert "[bold]x[/]" in hostile.text()
    closed = ev(SIG, "proc.chan", chan="fd5", open=False)
    apply(state, closed)
    assert "socketpair" not in kernel_lines(kernel_of(state, SIG)).plain


def test_mask_names() -> None:
    assert mask_names((1 << 9) | (1 << 11)) == ["USR1", "USR2"]
    assert mask_names(0) == []
    assert mask_names(-1) == []


def replay(path: Any = OBSERVED) -> MonitorApp:
    return MonitorApp(lambda: ReplaySource(path))


async def done(pilot: Pilot[Any]) -> None:
    app = pilot.app
    assert isinstance(app, MonitorApp)
    await wait_for(pilot, lambda: app.finished)
    await pilot.pause()


@pytest.mark.parametrize("size", [(120, 36), (200, 50), (80, 24)])
def test_observed_panes(size: tuple[int, int], snap_compare: Any) -> None:
    assert snap_compare(replay(), terminal_size=size, run_before=done)


# -- the machine's queues ------------------------------------------------------------

NOW = 1764336100.0
ME = 0


def rows() -> tuple[QueueRow, ...]:
    return (
        QueueRow(key=0x1A2B, msqid=7, perms=0o600, cbytes=30, qnum=3, lspid=5110, lrpid=5111,
                 uid=ME, cuid=ME, stime=int(NOW) - 2, rtime=int(NOW) - 90, ctime=int(NOW) - 99),
        QueueRow(key=0x51, msqid=8, perms=0o644, cbytes=0, qnum=0, lspid=0, lrpid=0,
                 uid=65534, cuid=65534, stime=0, rtime=0, ctime=int(NOW) - 7200),
    )


class Machine:
    """A made-up machine: two queues, ours with a depth that grows on each read."""

    def __init__(self) -> None:
        self.reads = 0
        self.removed: list[tuple[int, int]] = []

    def read(self) -> Snapshot:
        self.reads += 1
        ours, theirs = rows()
        ours = replace(ours, qnum=min(3 + self.reads, 9))
        left = tuple(r for r in (ours, theirs) if r.msqid not in {m for m, _ in self.removed})
        return Snapshot(left, Limits(32000, 8192, 16384), {7: 16384, 8: 16384},
                        {5110: "producer", 5111: None}, ME)

    def remove(self, msqid: int, key: int) -> None:
        self.removed.append((msqid, key))


class QueuesApp(App[None]):
    CSS_PATH = MonitorApp.CSS_PATH

    def __init__(self, machine: Machine) -> None:
        super().__init__()
        self.machine = machine

    def compose(self) -> ComposeResult:
        yield Static("monitor")

    def on_mount(self) -> None:
        self.push_screen(MachineQueues(self.machine.read, lambda: NOW, self.machine.remove,
                                       refresh_s=None))


def test_queue_cells_and_limits() -> None:
    snap = Machine().read()
    assert cells(snap.rows[0], snap, NOW) == (
        "0x00001a2b", "7", "rw-------", "root", "4", "30 B / 16.0 KiB (0%)",
        "5110 producer", "5111 (gone)", "2s ago", "2m ago")
    assert cells(snap.rows[1], snap, NOW)[3] == "nobody"
    assert cells(snap.rows[1], snap, NOW)[-2:] == ("-", "-")
    assert limits_line(snap).startswith("msgmni 2 of 32000 queues (0.0%) · msgmax 8.0 KiB")
    assert limits_line(snap).endswith("1 yours")


async def test_watch_one_queue_and_remove_only_ours() -> None:
    machine = Machine()
    app = QueuesApp(machine)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, MachineQueues)
        assert screen.query_one(DataTable).row_count == 2
        await pilot.press("enter")
        screen.refresh_rows()
        screen.refresh_rows()
        await pilot.pause()
        assert screen.watched == 7
        assert list(screen.query_one(Sparkline).data or []) == [4.0, 5.0, 6.0]
        assert "watching 0x1a2b" in str(screen.query_one("#mq-watch", Static).render())
        await pilot.press("down", "d")
        await pilot.pause()
        assert machine.removed == [], "another user's queue is never touched"
        await pilot.press("up", "d")
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        assert machine.removed == []
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert machine.removed == [(7, 0x1A2B)]
        assert screen.query_one(DataTable).row_count == 1
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, MachineQueues)


@pytest.mark.parametrize("size", [(80, 24), (200, 50)])
def test_machine_queues_screen(size: tuple[int, int], snap_compare: Any) -> None:
    async def watch(pilot: Pilot[Any]) -> None:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()

    assert snap_compare(QueuesApp(Machine()), terminal_size=size, run_before=watch)


async def test_q_opens_the_machine_queues_from_the_monitor() -> None:
    app = replay()
    async with app.run_test(size=(120, 36)) as pilot:
        await done(pilot)
        await pilot.press("Q")
        await pilot.pause()
        assert isinstance(app.screen, MachineQueues)
        await pilot.press("Q")
        await pilot.pause()
        assert not isinstance(app.screen, MachineQueues)


@pytest.mark.slow
async def test_a_raw_sysv_program_in_panes_and_in_the_machine_queues() -> None:
    """A producer/consumer that does not import ipccore, run with --run: the queue is in
    both panes (last send / last receive) and in Q with both processes named."""
    from tests.monitor.observe_helpers import program
    from tui.__main__ import run_factory

    app = MonitorApp(run_factory(program("raw_sysv", "3")))
    async with app.run_test(size=(160, 50)) as pilot:
        def pids() -> tuple[int, int] | None:
            for line in app.state.log:
                if line.text.startswith("producer "):
                    _, producer, _, consumer = line.text.split()
                    return int(producer), int(consumer)
            return None

        await wait_for(pilot, lambda: pids() is not None, timeout=60)
        producer, consumer = pids() or (0, 0)

        def chan(pid: int) -> str:
            view = app.state.procs.get(pid)
            if view is None or view.kernel is None:
                return ""
            return " ".join(c.text() for c in view.kernel.sorted_chans())

        await wait_for(pilot, lambda: "(last send)" in chan(producer)
                       and "(last recv)" in chan(consumer), timeout=30)
        await pilot.press("Q")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MachineQueues)
        table = screen.query_one(DataTable)

        def row_of_ours() -> list[str]:
            for key in table.rows:
                row = [str(c) for c in table.get_row(key)]
                if row[6].startswith(f"{producer} "):
                    return row
            return []

        await wait_for(pilot, lambda: bool(row_of_ours()), timeout=10)
        row = row_of_ours()
        assert row[7].startswith(f"{consumer} ")
        assert "(gone)" not in row[6] + row[7]
        assert row[4] == "0", "the consumer took every message"
        await pilot.press("escape")
        await app.pump.stop()
