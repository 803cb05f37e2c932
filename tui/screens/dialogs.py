"""Small modal screens: confirm a SIGKILL, and ask for a message to write or push."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select


class ConfirmScreen(ModalScreen[bool]):
    """Yes/no before an irreversible action (SIGKILL). Enter/y confirms, Esc/n cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "yes"),
        Binding("n,escape", "answer(False)", "no"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__(classes="dialog-screen")
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(self.question), classes="dialog-question")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Yes (y)", id="yes", variant="error")
                yield Button("No (n)", id="no", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class TextPrompt(ModalScreen[str | None]):
    """One line of text (a message to write into a pipe or push into a queue, a path)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "cancel")]
    AUTO_FOCUS = "Input"

    def __init__(self, title: str, placeholder: str = "", value: str = "",
                 hint: str = "Enter to send, Esc to cancel") -> None:
        super().__init__(classes="dialog-screen")
        self.prompt_title = title
        self.placeholder = placeholder
        self.value = value
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(self.prompt_title), classes="dialog-question")
            yield Input(value=self.value, placeholder=self.placeholder, id="prompt-input")
            yield Label(Text(self.hint, "dim"))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class PushPrompt(ModalScreen[tuple[int, str] | None]):
    """A message and its target queue: a chooser when several queues are in use."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "cancel")]
    AUTO_FOCUS = "Input"

    def __init__(self, queues: list[tuple[str, int]], default: int) -> None:
        super().__init__(classes="dialog-screen")
        self.queues = queues
        """(label, key) of each queue in use."""
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            if len(self.queues) == 1:
                title = f"Push into {self.queues[0][0]} (type 1):"
                yield Label(Text(title), classes="dialog-question")
            else:
                yield Label(Text("Push into queue (Tab to change it; type 1):"))
                yield Select(self.queues, value=self.default, allow_blank=False,
                             id="push-queue", compact=True)
            yield Input(placeholder="job", id="prompt-input")
            yield Label(Text("Enter to push, Esc to cancel", "dim"))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        key = self.default
        for select in self.query("#push-queue").results(Select):
            if isinstance(select.value, int):
                key = select.value
        self.dismiss((key, event.value))

    def action_cancel(self) -> None:
        self.dismiss(None)
