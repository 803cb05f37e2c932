"""The monitor app: wires an EventSource to the state model, the widgets and the keys.

The app composes the screen, owns the user's choices (the selected pane, the signal
target) and turns keys into calls on the helpers it owns, one job each:
:class:`~tui.pump.SourcePump` runs the source into the time-travel record and sends
commands back; :class:`~tui.drawing.Painter` draws the shown state into the widgets at
most ``REFRESH_HZ`` times a second and knows the layout;
:class:`~tui.process_actions.ProcessActions` asks before a signal, a pipe write or a
queue push; :class:`~tui.travel_keys.TravelKeys` moves the time-travel cursor (and a
replay with it). Keys come from the one table in :mod:`tui.keys`. A refused command or any
source error becomes a notice, never a traceback; a command's effect comes back as events.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive

from tui import keys
from tui.commands import ActionsProvider
from tui.crash import write_report
from tui.drawing import NARROW_BELOW, REFRESH_HZ, SHORT_BELOW, Painter
from tui.ending import quit_on_ending_signals
from tui.exporting import ask_and_export
from tui.messages import SourceEnded, SourceFailed
from tui.process_actions import ProcessActions
from tui.pump import SourceFactory, SourcePump
from tui.screens.help import HelpScreen
from tui.screens.inspector import InspectorScreen
from tui.screens.machine_queues import MachineQueues
from tui.screens.picker import DemoPicker
from tui.screens.procinspector import ProcessInspector
from tui.state import MonitorState
from tui.travel import Travel
from tui.travel_keys import TravelKeys
from tui.widgets.banner import Banner
from tui.widgets.eventlog import EventLog
from tui.widgets.keybar import KeyBar
from tui.widgets.links import LinkStrip
from tui.widgets.procs import ProcessList, ProcPane
from tui.widgets.queues import QueuePanel
from tui.widgets.sequence import SequenceView
from tui.widgets.signals import SignalPanel
from tui.widgets.status import StatusLine

if TYPE_CHECKING:
    from tui.runs import RunRecordings


class MonitorApp(App[int]):
    """``python -m tui``: watch one program's processes, pipes, queues and signals."""

    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "ipcscope"
    AUTO_FOCUS = None
    """Nothing grabs focus at start, so up/down select panes instead of scrolling the log."""
    COMMANDS = App.COMMANDS | {ActionsProvider}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (NARROW_BELOW, "-wide")]  # noqa: RUF012
    VERTICAL_BREAKPOINTS = [(0, "-short"), (SHORT_BELOW, "-tall")]  # noqa: RUF012
    """Screen classes by size (Textual sets them on resize; see ``apply_breakpoints``)."""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(a.keys, a.action, a.label, show=False) for a in keys.actions()
    ]

    finished: reactive[bool] = reactive(False)
    """The source ended; the screen keeps the final state until restart or quit."""
    selected: reactive[int | None] = reactive(None)
    """The pid of the selected pane: the target of signals and pipe writes."""
    all_children: reactive[bool] = reactive(False)
    """Signals go to every live child instead of the selected pane."""

    def __init__(
        self,
        factory: SourceFactory | None = None,
        *,
        picker: Callable[[str], SourceFactory] | None = None,
        screenshot: Path | None = None,
        screenshot_at: float | None = None,
        view: str = "panes",
        runs: RunRecordings | None = None,
    ) -> None:
        super().__init__()
        self.factory = factory
        """The source to watch once mounted (``r`` restarts from the pump's factory)."""
        self.picker = picker
        self.screenshot = screenshot
        self.screenshot_at = screenshot_at
        self.runs = runs
        """Where live runs are recorded (removed when the app unmounts), or None."""
        self.pump = SourcePump(self)
        self.painter = Painter(self, view)
        self.processes = ProcessActions(self, self.pump)
        self.travel_keys = TravelKeys(self, self.pump, partial(self.redraw, force=True))
        self.crash: tuple[BaseException, Path | None] | None = None
        """The unexpected error that ended the app, and where its traceback was saved."""
        self._restore_signals: Callable[[], None] = lambda: None
        """Gives SIGTERM and SIGHUP back their defaults (see :mod:`tui.ending`)."""

    @property
    def travel(self) -> Travel:
        """The run kept for time travel, and where the display stands in it."""
        return self.pump.travel

    @property
    def state(self) -> MonitorState:
        """The newest state: what commands act on, whatever the display shows."""
        return self.pump.travel.live

    def compose(self) -> ComposeResult:
        yield StatusLine()
        with Horizontal(id="top"):
            yield ProcessList()
            with Vertical(id="side"):
                yield QueuePanel()
                yield SignalPanel()
                yield Banner()
        yield LinkStrip()
        yield SequenceView()
        yield EventLog()
        yield KeyBar()

    def on_mount(self) -> None:
        self._restore_signals = quit_on_ending_signals(self.quit_with)
        self.painter.apply_breakpoints()
        self.painter.show_view(self.travel)
        self.set_interval(1 / REFRESH_HZ, self.redraw, name="redraw")
        if self.screenshot is not None and self.screenshot_at is not None:
            delay = max(self.screenshot_at, 0.001)  # a 0 s Textual timer divides by zero
            self.set_timer(delay, self.take_screenshot, name="screenshot")
        if self.factory is not None:
            self.start_source(self.factory)
        elif self.picker is not None:
            self.push_screen(DemoPicker(), self._picked)
        self.redraw(force=True)

    def _picked(self, name: str | None) -> None:
        if name is None or self.picker is None:
            self.exit(0)
            return
        self.start_source(self.picker(name))

    def start_source(self, factory: SourceFactory) -> None:
        """Watch a fresh source from ``factory`` (also how restart works)."""
        self.pump.start(factory)
        self.finished = False
        self.selected = None
        self.painter.forget()
        self.query_one(ProcessList).reset()

    def on_source_ended(self, _: SourceEnded) -> None:
        self.finished = True
        self.redraw(force=True)
        if self.screenshot is not None and self.screenshot_at is None:
            self.take_screenshot()

    def on_source_failed(self, message: SourceFailed) -> None:
        self.finished = True
        self.notify(message.error, title="event source failed", severity="error", markup=False)
        self.redraw(force=True)

    def take_screenshot(self) -> None:
        """Draw the final state, let the layout settle, save the SVG, exit 0."""
        self.redraw(force=True)
        self.call_after_refresh(self._save_and_exit)

    async def _save_and_exit(self) -> None:
        await asyncio.sleep(0.1)
        path = self.screenshot
        if path is not None:
            self.save_screenshot(filename=path.name, path=str(path.parent or "."))
        await self.pump.stop()
        self.exit(0)

    async def on_unmount(self) -> None:
        self._restore_signals()
        await self.pump.stop()
        if self.runs is not None:
            self.runs.close()

    def action_export_trace(self) -> None:
        """The run on screen as a Perfetto trace (see :mod:`tui.exporting`)."""
        recording = self.pump.recording
        if recording is None:
            self.notify("This run is not recorded, so there is nothing to export.",
                        severity="warning")
            return
        private = self.runs is not None and self.runs.owns(recording)
        title = self.pump.title if self.pump.source is not None else "run"
        ask_and_export(self, recording, title, private)

    def _handle_exception(self, error: Exception) -> None:
        """An unexpected error anywhere in the app: save its traceback to a private file
        instead of painting it over the terminal (``python -m tui`` prints a short note).

        Textual still exits the app (which unmounts it: the source is stopped); only the
        traceback it would print is dropped. Textual has no public hook for this.
        """
        if self.crash is None:
            self.crash = (error, write_report(error, f"ipcscope monitor: {self.pump.title}"))
        super()._handle_exception(error)
        self._exit_renderables.clear()

    # ---------- drawing (see tui.drawing) ----------

    def redraw(self, force: bool = False) -> None:
        """Render the shown state into the widgets if anything changed since the last
        tick; a selection the state no longer has moves to its first child."""
        if not self.painter.due(self.travel, force):
            return
        state = self.travel.shown()
        if self.selected is None or self.selected not in state.procs:
            live = state.children() or sorted(state.procs)
            self.selected = live[0] if live else None
        self.painter.draw(self.pump, self.finished, self.selected, self.all_children)

    def _draw_status(self) -> None:
        self.painter.status(self.pump, self.finished, self.selected, self.all_children)

    def watch_selected(self) -> None:
        if self._is_mounted:
            self.query_one(ProcessList).sync(self.state, self.selected, self.painter.short)
            self.painter.target(self.state, self.selected, self.all_children)

    def watch_all_children(self) -> None:
        if self._is_mounted:
            self.painter.target(self.state, self.selected, self.all_children)

    def on_event_log_view_changed(self) -> None:
        self._draw_status()

    # ---------- selection, and what is sent to processes (see tui.process_actions) ----

    def action_select(self, step: int) -> None:
        """Up/down: the pane selection, or in the sequence view the row cursor."""
        if self.painter.view == "sequence":
            self.query_one(SequenceView).action_move(step)
            return
        pids = sorted(self.state.procs)
        if not pids:
            return
        index = pids.index(self.selected) + step if self.selected in pids else 0
        self.selected = pids[max(0, min(len(pids) - 1, index))]
        self.query_one(ProcessList).reveal(self.selected)

    def on_proc_pane_selected(self, message: ProcPane.Selected) -> None:
        self.selected = message.pid

    def on_signal_panel_requested(self, message: SignalPanel.Requested) -> None:
        self.action_send_signal(message.signum)

    def action_toggle_all(self) -> None:
        self.all_children = not self.all_children

    def action_send_signal(self, signum: int) -> None:
        self.processes.send_signal(signum, self.selected, self.all_children)

    def action_write_pipe(self) -> None:
        self.processes.write_pipe(self.selected)

    def action_push_queue(self) -> None:
        self.processes.push_queue(self.selected)

    # ---------- the log (the EventLog widget does the work) ----------

    def action_toggle_follow(self) -> None:
        log = self.query_one(EventLog)
        log.follow = not log.follow

    def action_filter_log(self) -> None:
        self.query_one(EventLog).ask_filter()

    def action_filter_selected(self) -> None:
        if self.selected is not None:
            self.query_one(EventLog).filter_pid(self.selected)

    def action_clear_filter(self) -> None:
        self.query_one(EventLog).clear()

    def action_search_log(self) -> None:
        self.query_one(EventLog).ask_search()

    def action_find(self, step: int) -> None:
        self.query_one(EventLog).find_next(step)

    # ---------- the sequence view and time travel (pure rules: tui.travel) ----------

    def action_toggle_view(self) -> None:
        self.painter.toggle_view(self.travel)
        self.redraw(force=True)

    def action_toggle_compress(self) -> None:
        view = self.query_one(SequenceView)
        view.compress = not view.compress

    def action_inspect(self) -> None:
        """The row under the sequence view's cursor, or the selected process, in full."""
        if self.painter.view == "sequence":
            self.query_one(SequenceView).action_inspect()
        elif self.selected is not None:
            self.push_screen(ProcessInspector(self.selected, self.travel.shown))

    def on_sequence_view_inspect(self, message: SequenceView.Inspect) -> None:
        self.push_screen(InspectorScreen(message.row, self.travel.sequence, self.travel.at))

    def action_toggle_pause(self) -> None:
        self.travel_keys.toggle_pause()

    def action_step(self, delta: int) -> None:
        self.travel_keys.step(delta)

    def action_step_to_start(self) -> None:
        self.travel_keys.to_start()

    def action_step_to_end(self) -> None:
        self.travel_keys.to_end()

    def action_go_to_time(self) -> None:
        self.travel_keys.ask_time()

    def action_rate(self, direction: int) -> None:
        """``[``/``]``: halve / double the pace of a replay."""
        if self.pump.change_rate(direction):
            self._draw_status()

    # ---------- the run ----------

    async def action_restart(self) -> None:
        factory = self.pump.factory
        if factory is None:
            return
        await self.pump.stop()
        self.start_source(factory)
        self.notify("restarted")

    async def action_stop(self) -> None:
        await self.pump.stop()
        self.notify("stopped: processes ended, queues removed (r restarts)")

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_machine_queues(self) -> None:
        """Every SysV queue of the machine, live (also during a replay: it is the
        machine's state now, not the recording's)."""
        if not isinstance(self.screen, MachineQueues):
            self.push_screen(MachineQueues())

    async def action_quit(self) -> None:
        await self.quit_with(0)

    async def quit_with(self, status: int) -> None:
        """Stop the run (its processes ended, its queues removed), then exit."""
        await self.pump.stop()
        self.exit(status)
