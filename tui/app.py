"""The monitor app: wires an EventSource to the state model, the widgets and the keys.

Events are folded into :class:`~tui.state.MonitorState` by one worker; the widgets are
redrawn from it by a timer at most ``REFRESH_HZ`` times a second, so a flood costs a
few list rebuilds per second, not one widget update per event. Keys come from the one
table in :mod:`tui.keys`; who a command goes to is decided by :mod:`tui.targets`. A
refused command (``CommandRefused``) or any source error becomes a notice, never a
traceback; a command's effect comes back as events.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.reactive import reactive

from ipcevents.errors import CommandRefused
from ipcevents.events import signal_name
from ipcevents.source import (
    Command,
    EventSource,
    PacedSource,
    PushQueue,
    SendSignal,
    WritePipe,
)
from tui import keys
from tui.commands import ActionsProvider
from tui.crash import write_report
from tui.messages import SourceEnded, SourceFailed
from tui.screens.dialogs import ConfirmScreen, PushPrompt, TextPrompt
from tui.screens.help import HelpScreen
from tui.screens.inspector import InspectorScreen
from tui.screens.machine_queues import MachineQueues
from tui.screens.picker import DemoPicker
from tui.targets import pipe_write_refusal, queue_choices, signal_targets, target_description
from tui.text import ending_of
from tui.trace_export import default_target, export_run, recording_of
from tui.travel import Travel, next_rate
from tui.widgets.banner import Banner
from tui.widgets.eventlog import EventLog
from tui.widgets.keybar import KeyBar
from tui.widgets.procs import ProcessList, ProcPane
from tui.widgets.queues import QueuePanel
from tui.widgets.sequence import SequenceView
from tui.widgets.signals import SignalPanel
from tui.widgets.status import StatusLine

if TYPE_CHECKING:
    from tui.runs import RunRecordings

SourceFactory = Callable[[], EventSource]
NARROW_BELOW = 110
"""Below this width the side panel goes under the processes (the signal buttons need
about 44 columns beside a 66-column process list to show their names)."""
SHORT_BELOW = 32
"""Below this height processes are one-line rows and the guide is hidden."""
REFRESH_HZ = 15
YIELD_EVERY = 512
"""Events folded between two yields to the event loop, so keys stay responsive."""


class MonitorApp(App[int]):
    """``python -m tui``: watch one program's processes, pipes, queues and signals."""

    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "ipcscope"
    AUTO_FOCUS = None
    """Nothing grabs focus at start, so up/down select panes instead of scrolling the log."""
    COMMANDS = App.COMMANDS | {ActionsProvider}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (NARROW_BELOW, "-wide")]  # noqa: RUF012
    VERTICAL_BREAKPOINTS = [(0, "-short"), (SHORT_BELOW, "-tall")]  # noqa: RUF012
    """Screen classes by size (Textual sets them on resize; see ``_apply_breakpoints``)."""
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
        self.picker = picker
        self.screenshot = screenshot
        self.screenshot_at = screenshot_at
        self.runs = runs
        """Where live runs are recorded (removed when the app unmounts), or None."""
        self.view = view
        """``panes`` or ``sequence`` (``v`` switches)."""
        self.travel = Travel()
        """The run kept for time travel, and where the display stands in it."""
        self.state = self.travel.live
        """The newest state: what commands act on, whatever the display shows."""
        self.source: EventSource | None = None
        self._drawn: tuple[object, ...] | None = None
        self.crash: tuple[BaseException, Path | None] | None = None
        """The unexpected error that ended the app, and where its traceback was saved."""
        self.recording: Path | None = None
        """The current run's recording: what *Export Perfetto trace* reads."""

    def compose(self) -> ComposeResult:
        yield StatusLine()
        with Horizontal(id="top"):
            yield ProcessList()
            with Vertical(id="side"):
                yield QueuePanel()
                yield SignalPanel()
                yield Banner()
        yield SequenceView()
        yield EventLog()
        yield KeyBar()

    def on_mount(self) -> None:
        self._apply_breakpoints()
        self._show_view()
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
        self.factory = factory
        self.travel = Travel()
        self.state = self.travel.live
        self.finished = False
        self.selected = None
        self._drawn = None
        self.query_one(ProcessList).reset()
        try:
            self.source = factory()
        except Exception as exc:
            self.notify(f"cannot start: {exc}", severity="error", timeout=10, markup=False)
            self.source = None
            return
        self.recording = recording_of(self.source)
        self.run_worker(
            self._ingest(self.source, self.travel),
            name="ingest",
            group="source",
            exclusive=True,
            exit_on_error=False,
        )

    async def _ingest(self, source: EventSource, travel: Travel) -> None:
        """Record every event (a paused display keeps recording underneath); never lets
        an error escape as a traceback."""
        try:
            await source.start()
            n = 0
            async for event in source.events():
                travel.feed(event)
                n += 1
                if n % YIELD_EVERY == 0:
                    await asyncio.sleep(0)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.post_message(SourceFailed(f"{type(exc).__name__}: {exc}"))
        else:
            if source is self.source:
                self.post_message(SourceEnded())

    async def stop_source(self) -> None:
        """Stop what the source started (processes, queues); safe to call twice."""
        source, self.source = self.source, None
        self.workers.cancel_group(self, "source")
        if source is not None:
            with contextlib.suppress(Exception):
                await source.stop()

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
        await self.stop_source()
        self.exit(0)

    async def on_unmount(self) -> None:
        await self.stop_source()
        if self.runs is not None:
            self.runs.close()

    def action_export_trace(self) -> None:
        """Ask where (a replay: beside its recording; a live run: the working directory),
        then write the Perfetto trace in a thread and say where it went."""
        recording = self.recording
        if recording is None:
            self.notify("This run is not recorded, so there is nothing to export.",
                        severity="warning")
            return
        private = self.runs is not None and self.runs.owns(recording)
        title = self.source.title if self.source is not None else "run"
        default = default_target(recording, title, private, Path.cwd())

        def chosen(answer: str | None) -> None:
            if answer:
                self.run_worker(partial(self._export, recording, Path(answer), private),
                                name="export", group="export", thread=True,
                                exit_on_error=False)

        self.push_screen(TextPrompt("Write the Perfetto trace of this run to:", str(default),
                                    str(default), hint="Enter to write, Esc to cancel"),
                         chosen)

    def _export(self, recording: Path, target: Path, live: bool) -> None:
        message, ok = export_run(recording, target, live)
        self.call_from_thread(self.notify, message, title="Perfetto trace",
                              severity="information" if ok else "error", timeout=15,
                              markup=False)

    def _handle_exception(self, error: Exception) -> None:
        """An unexpected error anywhere in the app: save its traceback to a private file
        instead of painting it over the terminal (``python -m tui`` prints a short note).

        Textual still exits the app (which unmounts it: the source is stopped); only the
        traceback it would print is dropped. Textual has no public hook for this.
        """
        if self.crash is None:
            self.crash = (error, write_report(error, f"ipcscope monitor: {self.source_title}"))
        super()._handle_exception(error)
        self._exit_renderables.clear()

    @property
    def source_title(self) -> str:
        return self.source.title if self.source is not None else "no source"

    # ---------- size ----------

    def _apply_breakpoints(self) -> None:
        """Set the screen's size classes before its first layout: Textual sets them only
        on a resize, and the wide layout squeezed into 80 columns must never be drawn."""
        self.screen.set_class(self.narrow, "-narrow")
        self.screen.set_class(not self.narrow, "-wide")
        self.screen.set_class(self.short, "-short")
        self.screen.set_class(not self.short, "-tall")

    @property
    def narrow(self) -> bool:
        """The terminal is too narrow for the side panel beside the processes."""
        return self.size.width < NARROW_BELOW

    @property
    def short(self) -> bool:
        """The terminal is too short for three-line process panes."""
        return self.size.height < SHORT_BELOW

    # ---------- drawing ----------

    def redraw(self, force: bool = False) -> None:
        """Render the state into the widgets if anything changed since the last tick (a
        resize across a breakpoint counts: rows and panes are drawn differently)."""
        travel = self.travel
        state = travel.shown()
        drawn = (state.version, self.narrow, self.short, travel.cursor, travel.count,
                 travel.sequence.version, self.view)
        if drawn == self._drawn and not force:
            return
        self._drawn = drawn
        try:
            procs = self.query_one(ProcessList)
        except NoMatches:
            # The app is closing: a tick that fires after its screen's widgets are gone
            # (seen on a loaded machine) has nothing to draw, and must not be an error.
            return
        if self.selected is None or self.selected not in state.procs:
            live = state.children() or sorted(state.procs)
            self.selected = live[0] if live else None
        procs.sync(state, self.selected, self.short)
        self.query_one(QueuePanel).sync(state)
        log = self.query_one(EventLog)
        if travel.paused:
            # Every panel as of the cursor: the log ends on the cursor's event.
            log.sync(state, force=True)
            log.cursor = len(log.lines) - 1 if log.lines else None
        else:
            log.sync(state)
        self.query_one(SequenceView).sync(travel.sequence, travel.at, at=travel.cursor)
        self._draw_status()

    def _draw_status(self) -> None:
        state, log = self.travel.shown(), self.query_one(EventLog)
        finished = self.finished or state.ended
        end = ending_of(state.end_code, state.end_signal) if state.ended else "ended"
        # The banner that says how it ended is hidden on a small terminal: the line says it.
        ending = end if finished and (self.narrow or self.short) else None
        self.query_one(StatusLine).show(self.source_title, state, finished, log,
                                        brief=self.narrow, ending=ending,
                                        position=self.travel.position()
                                        if self.travel.paused else None,
                                        rate=self.source.rate
                                        if isinstance(self.source, PacedSource) else None)
        ended = sum(1 for p in state.procs.values() if p.ended)
        self.query_one(Banner).show(finished, end, len(state.procs), ended)
        self._draw_target()

    def _draw_target(self) -> None:
        brief = self.narrow
        what = target_description(self.state, self.selected, self.all_children, brief)
        self.query_one(SignalPanel).show_target(what, self.all_children, brief)

    def watch_selected(self) -> None:
        if self._is_mounted:
            self.query_one(ProcessList).sync(self.state, self.selected, self.short)
            self._draw_target()

    def watch_all_children(self) -> None:
        if self._is_mounted:
            self._draw_target()

    def on_event_log_view_changed(self) -> None:
        self._draw_status()

    # ---------- selection and signals ----------

    def action_select(self, step: int) -> None:
        """Up/down: the pane selection, or in the sequence view the row cursor."""
        if self.view == "sequence":
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
        targets = signal_targets(self.state, self.selected, self.all_children)
        if not targets:
            self.notify("Select a process pane first (click it, or up/down).", severity="warning")
            return
        commands: list[Command] = [SendSignal(pid, signum) for pid in targets]
        if signum != signal.SIGKILL:
            self._send(commands)
            return
        who = ", ".join(str(p) for p in targets)

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._send(commands)

        question = f"Send {signal_name(signum)} to {who}? It cannot be caught."
        self.push_screen(ConfirmScreen(question), confirmed)

    # ---------- messages into pipes and queues ----------

    def action_write_pipe(self) -> None:
        pid = self.selected
        refusal = pipe_write_refusal(self.state, pid)
        if refusal is not None:
            self.notify(refusal.message, title=refusal.title, severity="warning", markup=False)
            return
        assert pid is not None  # no refusal: a live child is selected

        def send(text: str | None) -> None:
            if text:
                self._send([WritePipe(pid, text.encode())])

        who = f"{self.state.procs[pid].label} (pid {pid})"
        self.push_screen(TextPrompt(f"Write into the pipe of {who}:", "hello"), send)

    def action_push_queue(self) -> None:
        choices = queue_choices(self.state, self.selected)
        if choices is None:
            self.notify("No SysV queue is in use.", severity="warning")
            return

        def send(answer: tuple[int, str] | None) -> None:
            if answer is not None and answer[1]:
                self._send([PushQueue(answer[0], answer[1].encode())])

        self.push_screen(PushPrompt(*choices), send)

    def _send(self, commands: list[Command]) -> None:
        self.run_worker(
            self._send_all(commands), name="send", group="commands", exit_on_error=False
        )

    async def _send_all(self, commands: list[Command]) -> None:
        source = self.source
        if source is None:
            self.notify("Nothing is running: press r to restart.", severity="warning")
            return
        for command in commands:
            try:
                await source.send(command)
            except CommandRefused as exc:
                self.notify(str(exc), title="refused", severity="error", markup=False)
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                self.notify(error, title="failed", severity="error", markup=False)

    # ---------- the log ----------

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

    # ---------- the sequence view and time travel ----------

    def _show_view(self) -> None:
        sequence = self.view == "sequence"
        self.query_one("#top").display = not sequence
        self.query_one(SequenceView).display = sequence
        log = self.query_one(EventLog)
        log.set_class(sequence, "-short")
        if log.follow and not self.travel.paused:
            # The log's height changed: keep its newest line in view.
            self.call_after_refresh(log.scroll_end, animate=False, x_axis=False)

    def action_toggle_view(self) -> None:
        self.view = "panes" if self.view == "sequence" else "sequence"
        self._show_view()
        self.redraw(force=True)

    def action_toggle_compress(self) -> None:
        view = self.query_one(SequenceView)
        view.compress = not view.compress

    def action_inspect(self) -> None:
        if self.view == "sequence":
            self.query_one(SequenceView).action_inspect()

    def on_sequence_view_inspect(self, message: SequenceView.Inspect) -> None:
        self.push_screen(InspectorScreen(message.row, self.travel.sequence, self.travel.at))

    def _travelled(self) -> None:
        """The cursor moved: a replay pauses with the display and plays on with it."""
        if isinstance(self.source, PacedSource):
            if self.travel.paused:
                self.source.pause()
            else:
                self.source.resume()
        self.redraw(force=True)

    def action_toggle_pause(self) -> None:
        self.travel.toggle()
        self._travelled()

    def action_step(self, delta: int) -> None:
        self.travel.step(delta)
        self._travelled()

    def action_step_to_start(self) -> None:
        self.travel.home()
        self._travelled()

    def action_step_to_end(self) -> None:
        self.travel.end()
        self._travelled()

    def action_go_to_time(self) -> None:
        def go(answer: str | None) -> None:
            if answer is None or not answer.strip():
                return
            try:
                seconds = float(answer)
            except ValueError:
                self.notify(f"not a number of seconds: {answer.strip()[:40]!r}",
                            severity="error", markup=False)
                return
            self.travel.goto_time(seconds)
            self._travelled()

        self.push_screen(TextPrompt("Go to time (seconds since the first event):", "0.5"), go)

    def action_rate(self, direction: int) -> None:
        """``[``/``]``: halve / double the pace of a replay."""
        if not isinstance(self.source, PacedSource):
            self.notify("The rate paces a replay (--replay FILE); a live program runs at "
                        "its own pace.", severity="warning")
            return
        self.source.set_rate(next_rate(self.source.rate, direction))
        self._draw_status()

    # ---------- the run ----------

    async def action_restart(self) -> None:
        factory = self.factory
        if factory is None:
            return
        await self.stop_source()
        self.start_source(factory)
        self.notify("restarted")

    async def action_stop(self) -> None:
        await self.stop_source()
        self.notify("stopped: processes ended, queues removed (r restarts)")

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_machine_queues(self) -> None:
        """Every SysV queue of the machine, live (also during a replay: it is the
        machine's state now, not the recording's)."""
        if not isinstance(self.screen, MachineQueues):
            self.push_screen(MachineQueues())

    async def action_quit(self) -> None:
        await self.stop_source()
        self.exit(0)
