"""The help screen: every key of the monitor, from the one table of keys (:mod:`tui.keys`)."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.keys import help_rows


class HelpScreen(ModalScreen[None]):
    """Lists every key; any of Esc, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss_help", "close")
    ]

    def compose(self) -> ComposeResult:
        table = Table(title="ipcscope monitor: keys", expand=True, show_edge=False)
        table.add_column("key", style="bold cyan", no_wrap=True)
        table.add_column("action")
        for key, action in help_rows():
            table.add_row(key, action)
        with VerticalScroll(classes="dialog help"):
            yield Static(table)
            yield Static(Text("Esc closes this screen", "dim"))

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
