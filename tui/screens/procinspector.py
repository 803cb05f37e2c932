"""The process inspector (``enter`` on the selected pane or row): one process in full.

Live: it redraws from the shown state four times a second while anything changed, so a
backlog is seen growing and a pending signal appearing; paused, it is the state as of
the cursor's event. The time-travel and signal keys still work in it (the one key
table's, forwarded to the app). The text is :func:`tui.procdetail.process_details`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui import keys
from tui.procdetail import process_details
from tui.state import MonitorState

REFRESH_S = 0.25


FORWARDED = ("toggle_pause", "step(", "step_to_", "send_signal(")
"""App actions whose keys still work in the inspector: step through time, or send the
process a signal, and watch what it does to its channels and dispositions."""


class ProcessInspector(ModalScreen[None]):
    """Every channel and signal disposition of one process; Esc, q or enter closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,enter", "close", "close"),
        *(Binding(a.keys, f"app.{a.action}", a.label, show=False)
          for a in keys.actions() if a.action.startswith(FORWARDED)),
    ]

    def __init__(self, pid: int, shown: Callable[[], MonitorState]) -> None:
        super().__init__(classes="dialog-screen")
        self.pid = pid
        self.shown = shown
        """The state the main screen shows (the newest, or as of the paused cursor)."""
        self._drawn: tuple[int, int] | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog inspector") as box:
            box.border_title = f"process {self.pid}"
            yield Static(self.body(), id="procinspector-body")
            yield Static(Text("Esc closes · space ← → step through time · 1-8 signal it",
                              "dim"))

    def on_mount(self) -> None:
        self.set_interval(REFRESH_S, self.refresh_body, name="procinspector")

    def body(self) -> Text:
        state = self.shown()
        self._drawn = (id(state), state.version)
        view = state.procs.get(self.pid)
        if view is None:
            return Text(f"{self.pid}: not in the run as of this event", "dim")
        return process_details(view, state)

    def refresh_body(self) -> None:
        state = self.shown()
        if (id(state), state.version) != self._drawn:
            self.query_one("#procinspector-body", Static).update(self.body())

    def action_close(self) -> None:
        self.dismiss(None)
