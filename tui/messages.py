"""App-wide messages, one docstring line each (widget-owned ones live in their widget)."""

from __future__ import annotations

from textual.message import Message


class SourceEnded(Message):
    """The event source finished: every event was delivered (the demo ended)."""


class SourceFailed(Message):
    """The event source broke; ``error`` says how, for a notice."""

    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error
