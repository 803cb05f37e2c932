"""The signal panel: one button per signal, aimed at the selected pane or all children."""

from __future__ import annotations

import signal

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.message import Message
from textual.widgets import Button, Static

from tui.keys import SIGNALS


class SignalTarget(Static):
    """Where the buttons' signals go (the selected pane or all children)."""


class SignalPanel(Vertical):
    """Buttons post :class:`SignalPanel.Requested`; the app decides where it goes."""

    class Requested(Message):
        """A signal button was pressed."""

        def __init__(self, signum: int) -> None:
            super().__init__()
            self.signum = signum

    def __init__(self) -> None:
        super().__init__()
        self.border_title = "signals"

    def compose(self) -> ComposeResult:
        yield SignalTarget()
        with Grid():
            for key, sig in SIGNALS:
                yield Button(
                    f"{key} {sig.name.removeprefix('SIG')}",
                    id=f"sig-{sig.name.lower()}",
                    classes="-kill" if sig == signal.SIGKILL else "",
                    compact=True,
                )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        name = (event.button.id or "").removeprefix("sig-").upper()
        self.post_message(self.Requested(int(signal.Signals[name])))

    def show_target(self, description: str, all_children: bool, brief: bool = False) -> None:
        """Say where a signal goes; ``brief`` on a narrow terminal, where the target shares
        its line with the buttons (``a`` is in the help and the palette)."""
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append("to ", "dim")
        text.append(description, "bold")
        if not brief:
            text.append("   a: ", "dim")
            text.append("all children" if not all_children else "selected pane", "dim")
        self.query_one(SignalTarget).update(text)
