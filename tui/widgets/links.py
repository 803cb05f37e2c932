"""The links strip above the sequence view: who is connected to whom, from the kernel.

Shown with the sequence view while the kernel reports at least one channel between two
watched processes (a program run with ``--run``/``--pid``, or an ipccore program live);
a recording without kernel samples has no strip. At most three lines, each link whole
where it fits; the busiest first (see :mod:`tui.topology`).
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tui.state import MonitorState
from tui.topology import Link, links, links_text


class LinkStrip(Static):
    """``links  5101 → 5102 pipe 64K · 5110 ⇄ 5103 socketpair 3.1K · …``."""

    def __init__(self) -> None:
        super().__init__(id="links")
        self._links: list[Link] = []

    def show(self, state: MonitorState, wanted: bool) -> None:
        """Draw the links of ``state``; visible while ``wanted`` and there are some."""
        found = links(state) if wanted else []
        if [x.text() for x in found] != [x.text() for x in self._links]:
            self._links = found
            self.refresh(layout=True)
        self.display = wanted and bool(found)

    def render(self) -> Text:
        short = self.screen.has_class("-short")
        return links_text(self._links, max(20, self.size.width - 2), 2 if short else 3)
