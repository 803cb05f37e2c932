"""The bottom line: the main keys, from the one table of keys (:mod:`tui.keys`).

A static line rather than Textual's ``Footer``: identical in every snapshot, and it
fits 120 columns with room to spare (``a`` is in the signal panel, follow/pause in the
status line); the help screen and the command palette list every key.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tui.keys import bar


def key_bar() -> Text:
    """The main keys, each as a reversed key and a word."""
    text = Text(no_wrap=True, overflow="ellipsis")
    for key, what in bar():
        text.append(f" {key} ", "bold reverse")
        text.append(f" {what} ")
    return text


class KeyBar(Static):
    """The main keys at the bottom of the screen."""

    def __init__(self) -> None:
        super().__init__(key_bar())
