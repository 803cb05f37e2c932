"""The queue panel: per SysV queue, a capacity gauge, a depth sparkline and counts."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.widgets import Static

from tui.state import MonitorState, QueueView
from tui.text import human_bytes

BLOCKS = "▁▂▃▄▅▆▇█"
GAUGE_WIDTH = 20
SPARK_WIDTH = 24
MODES = {1: "mode 1 by type", 2: "mode 2 contention"}


def sparkline(values: Iterable[int], width: int = SPARK_WIDTH) -> str:
    """Depth over time as block characters, scaled to the largest sample shown."""
    samples = list(values)[-width:]
    if not samples:
        return ""
    top = max(samples)
    if top <= 0:
        return BLOCKS[0] * len(samples)
    return "".join(BLOCKS[min(len(BLOCKS) - 1, v * (len(BLOCKS) - 1) // top)] for v in samples)


def gauge(used: int, capacity: int, width: int = GAUGE_WIDTH) -> tuple[str, str, float]:
    """Filled and empty parts of a bar, and the fraction used (0 when unknown)."""
    frac = min(1.0, used / capacity) if capacity > 0 else 0.0
    filled = round(frac * width)
    if used > 0 and filled == 0:
        filled = 1
    return "█" * filled, "░" * (width - filled), frac


def queue_text(view: QueueView) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"key {view.key:#x}", "bold")
    text.append(f"  msqid {view.msqid if view.msqid is not None else '?'}", "dim")
    text.append(f"  {MODES.get(view.mode or 0, 'mode ?')}", "cyan")
    text.append("\n")
    full, empty, frac = gauge(view.cbytes, view.qbytes)
    colour = "green" if frac < 0.5 else "yellow" if frac < 0.85 else "red"
    text.append(full, colour)
    text.append(empty, "dim")
    text.append(f" {view.qnum} msgs {human_bytes(view.cbytes)}", "bold")
    text.append(f" / {human_bytes(view.qbytes)}" if view.qbytes else " / ?", "dim")
    text.append("\n")
    text.append(sparkline(view.history).ljust(SPARK_WIDTH), "magenta")
    text.append(" push ", "dim")
    text.append(str(view.pushes), "blue")
    text.append(" pop ", "dim")
    text.append(str(view.pops), "green")
    if view.freed:
        text.append("  freed", "bold red")
    return text


class QueuePanel(Static):
    """All queues in use, redrawn only when one of them changed."""

    def __init__(self) -> None:
        super().__init__()
        self.border_title = "queues"
        self._shown: tuple[tuple[int, int], ...] = ()

    def sync(self, state: MonitorState) -> None:
        versions = tuple((k, q.version) for k, q in sorted(state.queues.items()))
        if versions == self._shown and self._shown:
            return
        self._shown = versions
        self.set_class(not state.queues, "-empty")
        if not state.queues:
            self.update(Text("no SysV queue in use", "dim"))
            return
        text = Text(no_wrap=True)
        for i, key in enumerate(sorted(state.queues)):
            if i:
                text.append("\n")
            text.append_text(queue_text(state.queues[key]))
        self.update(text)
