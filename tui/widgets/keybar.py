"""The bottom line: the main keys, from the one table of keys (:mod:`tui.keys`).

A static line rather than Textual's ``Footer``: identical in every snapshot. All of the
bar's keys fit 120 columns (``a`` is in the signal panel, follow/pause in the status
line, ``space`` in the guide beside the panes: ``enter``, which says everything about
the selected process, took its place); a narrower terminal shows the ones that fit
whole, help and quit first, then in the table's order. The help screen and the command
palette list every key.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tui.keys import bar

ALWAYS = ("?", "q")
"""The keys a newcomer must always find: help (which lists the rest) and quit."""


def key_bar(width: int = 200) -> Text:
    """The main keys that fit ``width`` whole, each as a reversed key and a word."""
    entries = bar()
    cost = {key: len(key) + len(what) + 4 for key, what in entries}
    order = [k for k in ALWAYS if k in cost] + [k for k, _ in entries if k not in ALWAYS]
    kept: set[str] = set()
    used = 0
    for key in order:
        if used + cost[key] <= width:
            kept.add(key)
            used += cost[key]
    text = Text(no_wrap=True, overflow="ellipsis")
    for key, what in entries:
        if key in kept:
            text.append(f" {key} ", "bold reverse")
            text.append(f" {what} ")
    return text


class KeyBar(Static):
    """The main keys at the bottom of the screen, as many as its width shows whole."""

    def render(self) -> Text:
        return key_bar(self.size.width)
