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

from ipccore.demos import DEMOS

PLAYGROUND = ("playground", "a master with 3 idle children you drive by hand (w, u, 1-8)")
SCENARIOS: tuple[tuple[str, str], ...] = (*((d.name, d.about) for d in DEMOS), PLAYGROUND)
"""What the picker offers: the demo registry (no demo module is imported) + the playground."""


class DemoPicker(ModalScreen[str | None]):
    """Choose what to watch; Enter starts it, q quits."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "cancel", "quit")]
    AUTO_FOCUS = "OptionList"

    def compose(self) -> ComposeResult:
        options = []
        for name, about in SCENARIOS:
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
