"""The monitor app: wires an EventSource to the state model and the widgets.

Events are folded into :class:`~tui.state.MonitorState` by one worker; the widgets are
redrawn from it by a timer at most ``REFRESH_HZ`` times a second, so a flood costs a
few list rebuilds per second, not one widget update per event. User actions live in
:mod:`tui.actions`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.widgets import Static

from ipcevents.source import EventSource
from tui.actions import ActionsMixin
from tui.commands import ActionsProvider
from tui.messages import SourceEnded, SourceFailed
from tui.screens.picker import DemoPicker
from tui.state import MonitorState, apply
from tui.text import ending_of
from tui.widgets.banner import Banner
from tui.widgets.eventlog import EventLog
from tui.widgets.procs import ProcessList, role_label
from tui.widgets.queues import QueuePanel
from tui.widgets.signals import SignalPanel

SourceFactory = Callable[[], EventSource]
KEYS_SHOWN = (
    ("↑↓", "select"), ("1-8", "signal"), ("w", "write"), ("u", "push"), ("/", "filter"),
    ("s", "search"), ("r", "restart"), ("^p", "commands"), ("?", "help"), ("q", "quit"),
)
"""The main keys, fitting 120 columns with room to spare (``a`` is in the signal panel,
follow/pause in the status line); the help screen and the command palette list all."""


def key_bar() -> Text:
    """The bottom line: the main keys (a static Footer, identical in every snapshot)."""
    text = Text(no_wrap=True, overflow="ellipsis")
    for key, what in KEYS_SHOWN:
        text.append(f" {key} ", "bold reverse")
        text.append(f" {what} ")
    return text

REFRESH_HZ = 15
YIELD_EVERY = 512
"""Events folded between two yields to the event loop, so keys stay responsive."""


class MonitorApp(ActionsMixin):
    """``python -m tui``: watch one program's processes, pipes, queues and signals."""

    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "ipcscope"
    AUTO_FOCUS = None
    """Nothing grabs focus at start, so up/down select panes instead of scrolling the log."""
    COMMANDS = App.COMMANDS | {ActionsProvider}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "quit"),
        Binding("question_mark", "help", "help"),
        Binding("down,j", "select(1)", "next", show=False),
        Binding("up,k", "select(-1)", "prev", show=False),
        Binding("1", "send_signal(10)", "USR1", show=False),
        Binding("2", "send_signal(12)", "USR2", show=False),
        Binding("3", "send_signal(15)", "TERM", show=False),
        Binding("4", "send_signal(2)", "INT", show=False),
        Binding("5", "send_signal(1)", "HUP", show=False),
        Binding("6", "send_signal(19)", "STOP", show=False),
        Binding("7", "send_signal(18)", "CONT", show=False),
        Binding("8", "send_signal(9)", "KILL", show=False),
        Binding("a", "toggle_all", "target"),
        Binding("w", "write_pipe", "write"),
        Binding("u", "push_queue", "push"),
        Binding("f", "toggle_follow", "follow"),
        Binding("slash", "filter_log", "filter"),
        Binding("p", "filter_selected", "pid filter", show=False),
        Binding("s", "search_log", "search", show=False),
        Binding("n", "find(1)", "next match", show=False),
        Binding("N", "find(-1)", "previous match", show=False),
        Binding("escape", "clear_filter", "clear filter", show=False),
        Binding("r", "restart", "restart"),
        Binding("x", "stop", "stop"),
    ]

    finished: reactive[bool] = reactive(False)
    """The source ended; the screen keeps the final state until restart or quit."""

    def __init__(
        self,
        factory: SourceFactory | None = None,
        *,
        picker: Callable[[str], SourceFactory] | None = None,
        screenshot: Path | None = None,
        screenshot_at: float | None = None,
    ) -> None:
        super().__init__()
        self.factory = factory
        self.picker = picker
        self.screenshot = screenshot
        self.screenshot_at = screenshot_at
        self.state = MonitorState()
        self.source: EventSource | None = None
        self._drawn = -1

    def compose(self) -> ComposeResult:
        yield Static(id="status")
        with Horizontal(id="top"):
            yield ProcessList()
            with Vertical(id="side"):
                yield QueuePanel()
                yield SignalPanel()
                yield Banner()
        yield EventLog()
        yield Static(key_bar(), id="keys")

    def on_mount(self) -> None:
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
        self.state = MonitorState()
        self.finished = False
        self.selected = None
        self._drawn = -1
        self.query_one(ProcessList).reset()
        try:
            self.source = factory()
        except Exception as exc:
            self.notify(f"cannot start: {exc}", severity="error", timeout=10, markup=False)
            self.source = None
            return
        self.run_worker(
            self._ingest(self.source, self.state),
            name="ingest",
            group="source",
            exclusive=True,
            exit_on_error=False,
        )

    async def _ingest(self, source: EventSource, state: MonitorState) -> None:
        """Fold every event into ``state``; never lets an error escape as a traceback."""
        try:
            await source.start()
            n = 0
            async for event in source.events():
                apply(state, event)
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

    def redraw(self, force: bool = False) -> None:
        """Render the state into the widgets if anything changed since the last tick."""
        state = self.state
        if state.version == self._drawn and not force:
            return
        self._drawn = state.version
        if self.selected is None or self.selected not in state.procs:
            live = state.children() or sorted(state.procs)
            self.selected = live[0] if live else None
        self.query_one(ProcessList).sync(state, self.selected)
        self.query_one(QueuePanel).sync(state)
        self.query_one(EventLog).sync(state)
        self._draw_status()

    def refresh_status(self) -> None:
        self._draw_status()

    def _draw_status(self) -> None:
        state, log = self.state, self.query_one(EventLog)
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(" ipcscope ", "bold reverse")
        text.append(f" {self.source.title if self.source else 'no source'} ", "bold")
        text.append(f"│ {state.events} events ", "")
        text.append(f"│ {len(state.procs)} processes ", "")
        finished = self.finished or state.ended
        end = ending_of(state.end_code, state.end_signal) if state.ended else "ended"
        if finished:
            text.append("│ finished ", "bold yellow")
        else:
            text.append("│ running ", "bold green")
        text.append("│ log following " if log.follow else "│ log PAUSED ", "")
        if log.log_filter.active:
            text.append(f"│ filter: {log.log_filter.describe()} ", "bold cyan")
        if log.search:
            text.append(f"│ search: {log.search} ", "bold yellow")
        if state.dropped:
            text.append(f"│ {state.dropped} dropped ", "bold red")
        self.query_one("#status", Static).update(text)
        ended = sum(1 for p in state.procs.values() if p.ended)
        self.query_one(Banner).show(finished, end, len(state.procs), ended)
        self._draw_target()

    def _draw_target(self) -> None:
        if self.all_children:
            what = f"all children ({len(self.state.children())})"
        elif self.selected is None:
            what = "nothing selected"
        else:
            view = self.state.procs.get(self.selected)
            role = role_label(view) if view else "?"
            what = f"pid {self.selected} ({role})"
        self.query_one(SignalPanel).show_target(what, self.all_children)

    def watch_selected(self) -> None:
        if self._is_mounted:
            self.query_one(ProcessList).sync(self.state, self.selected)
            self._draw_target()

    def watch_all_children(self) -> None:
        if self._is_mounted:
            self._draw_target()
