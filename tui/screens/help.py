"""The help screen: every key of the monitor, generated from the app's bindings."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS: tuple[tuple[str, str], ...] = (
    ("up/k, down/j", "select the previous / next process pane (or click a pane)"),
    ("1 … 8", "send SIGUSR1, SIGUSR2, SIGTERM, SIGINT, SIGHUP, SIGSTOP, SIGCONT, SIGKILL"),
    ("a", "toggle the signal target: selected pane / all children"),
    ("w", "write a message into the selected child's pipe"),
    ("u", "push a message into a queue (pick which one when several are in use)"),
    ("f", "follow the log / pause it"),
    ("/", "filter the log: only lines with pid:N kind:K and the words"),
    ("p", "filter the log to the selected process (again: clear)"),
    ("s", "search the log without filtering: matches are highlighted, the log pauses"),
    ("n, N", "jump to the next (newer) / previous (older) search match"),
    ("escape", "clear the log filter and the search"),
    ("r", "restart the demo"),
    ("x", "stop the demo (processes end, queues are removed)"),
    ("ctrl+p", "command palette (every action above)"),
    ("?", "this help"),
    ("q", "quit (stops every process and queue the monitor started)"),
)
"""Every key, in the order a newcomer needs them (also rendered into docs/tui.md)."""


class HelpScreen(ModalScreen[None]):
    """Lists every key; any of Esc, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss_help", "close")
    ]

    def compose(self) -> ComposeResult:
        table = Table(title="ipcscope monitor: keys", expand=True, show_edge=False)
        table.add_column("key", style="bold cyan", no_wrap=True)
        table.add_column("action")
        for key, action in KEYS:
            table.add_row(key, action)
        with VerticalScroll(classes="dialog help"):
            yield Static(table)
            yield Static(Text("Esc closes this screen", "dim"))

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
