"""Per-process panes, one per pid in pid order; an ended pane stays, dimmed."""

from __future__ import annotations

from rich.text import Text
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from tui.state import MonitorState, ProcView
from tui.text import human_bytes

STATE_STYLES = {
    "running": "bold green",
    "sleeping": "cyan",
    "disk-sleep": "cyan",
    "stopped": "bold yellow",
    "zombie": "bold magenta",
}


def pane_body(view: ProcView) -> Text:
    """The pane's three lines, built from plain strings (names are never markup)."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append("cpu ", "dim")
    text.append(f"{view.cpu:5.1f}%", "bold")
    text.append("  rss ", "dim")
    text.append(f"{human_bytes(view.rss):>9}", "bold")
    text.append("  sig ", "dim")
    if view.signals:
        sigs = " ".join(
            f"{name.removeprefix('SIG')}×{count}" for name, count in view.signals.items()
        )
        text.append(sigs, "bold yellow")
    else:
        text.append("-", "dim")
    text.append("\n")
    text.append("in ", "dim")
    text.append(f"{view.msgs_in} msg {human_bytes(view.bytes_in)}", "green")
    text.append("   out ", "dim")
    text.append(f"{view.msgs_out} msg {human_bytes(view.bytes_out)}", "blue")
    text.append("\n")
    text.append("last ", "dim")
    if view.last_message is None:
        text.append("-", "dim")
    else:
        text.append(f'"{view.last_message}"', "italic")
        if view.last_nbytes > 64:
            text.append(f" ({human_bytes(view.last_nbytes)})", "dim")
    return text


def pane_title(view: ProcView, selected: bool = False) -> Text:
    title = Text(no_wrap=True, overflow="ellipsis")
    if selected:
        title.append("▶", "bold yellow")
    title.append(f" {view.pid} ", "bold")
    title.append(view.label, "bold magenta" if view.role == "master" else "bold cyan")
    if view.name:
        title.append(f"  {view.name}", "italic")
    title.append(" ")
    return title


def pane_subtitle(view: ProcView) -> Text:
    if view.ended:
        style = "bold red" if "killed" in view.state_text else "bold"
    else:
        style = STATE_STYLES.get(view.status, "")
    return Text(f" {view.state_text} ", style)


class ProcPane(Static):
    """One process: identity in the border, counters inside."""

    class Selected(Message):
        """The user clicked this pane."""

        def __init__(self, pid: int) -> None:
            super().__init__()
            self.pid = pid

    def __init__(self, pid: int) -> None:
        super().__init__(id=f"proc-{pid}")
        self.pid = pid
        self.shown_version = -1
        self.shown_selected = False

    def show(self, view: ProcView, selected: bool = False) -> None:
        if view.version == self.shown_version and selected == self.shown_selected:
            return
        self.shown_version = view.version
        self.shown_selected = selected
        self.set_class(selected, "-selected")
        self.border_title = pane_title(view, selected)
        self.border_subtitle = pane_subtitle(view)
        self.set_class(view.ended, "-ended")
        self.update(pane_body(view))

    def on_click(self) -> None:
        self.post_message(self.Selected(self.pid))


class ProcessList(VerticalScroll):
    """All panes; scrolls when there are more than fit (50+ children)."""

    def __init__(self) -> None:
        super().__init__()
        self.border_title = "processes"
        self._panes: dict[int, ProcPane] = {}

    def sync(self, state: MonitorState, selected: int | None) -> None:
        for pid in sorted(state.procs):
            pane = self._panes.get(pid)
            if pane is None:
                pane = self._panes[pid] = ProcPane(pid)
                later = [p for p in self._panes if p > pid]
                if later:
                    self.mount(pane, before=self._panes[min(later)])
                else:
                    self.mount(pane)
            pane.show(state.procs[pid], pid == selected)

    def reset(self) -> None:
        self._panes.clear()
        self.remove_children()

    def reveal(self, pid: int | None) -> None:
        pane = self._panes.get(pid) if pid is not None else None
        if pane is not None:
            self.scroll_to_widget(pane, animate=False)
