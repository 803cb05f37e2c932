"""The demo picker shown by ``python -m tui`` with no arguments."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

DEMOS: tuple[tuple[str, str], ...] = (
    ("pipe", "master <-> 2 children over their pipes"),
    ("sibling", "child 2 writes 5 messages to child 1, then SIGKILLs it"),
    ("coroutine", "as pipe, through exportSocket() coroutine sockets"),
    ("queue", "2 children pop 5 messages from one SysV queue"),
    ("signal", "children SIGUSR2 the master, which SIGKILLs them all"),
    ("playground", "a master with idle children you drive by hand"),
)


class DemoPicker(ModalScreen[str | None]):
    """Choose what to watch; Enter starts it, q quits."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "cancel", "quit")]
    AUTO_FOCUS = "OptionList"

    def compose(self) -> ComposeResult:
        options = []
        for name, about in DEMOS:
            label = Text()
            label.append(f"{name:<11}", "bold cyan")
            label.append(about)
            options.append(Option(label, id=name))
        with Vertical(classes="dialog picker"):
            yield Label(Text("ipcscope: pick a scenario to watch live", "bold"))
            yield OptionList(*options, id="demo-list")
            yield Label(Text("Enter starts it, q quits", "dim"))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
