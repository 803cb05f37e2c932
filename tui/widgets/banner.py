"""The side panel under the signals: how to drive the monitor, then how the run ended.

While the program runs it lists the few keys a newcomer needs; once the source ends it
turns into a clear "finished" banner, since the screen keeps the final state until the
user restarts or quits (a frozen screen would otherwise look like a hang).
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tui.keys import guide


def guide_text() -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    for i, (key, what) in enumerate(guide()):
        if i:
            text.append("\n")
        text.append(f"{key:>11} ", "bold cyan")
        text.append(what)
    return text


def finished_text(ending: str, processes: int, ended: int) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(" ■ FINISHED ", "bold reverse")
    text.append("\n\n")
    text.append("program ", "dim")
    text.append(ending, "bold")
    text.append("\n")
    text.append(f"{ended} of {processes} processes ended", "dim")
    text.append("\n\n")
    text.append("the screen keeps the final state:\n", "dim")
    text.append(" r ", "bold reverse")
    text.append(" run it again   ")
    text.append(" q ", "bold reverse")
    text.append(" quit")
    return text


class Banner(Static):
    """Guide while running, "finished" once the source ended."""

    def __init__(self) -> None:
        super().__init__()
        self.border_title = "guide"
        self._shown: tuple[object, ...] | None = None

    def show(self, finished: bool, ending: str = "", processes: int = 0, ended: int = 0) -> None:
        key = (finished, ending, processes, ended)
        if key == self._shown:
            return
        self._shown = key
        self.set_class(finished, "-finished")
        self.border_title = "finished" if finished else "guide"
        self.update(finished_text(ending, processes, ended) if finished else guide_text())
