"""Per-process panes, one per pid in pid order; an ended pane stays, dimmed.

Two shapes: a bordered pane of three lines where there is room, and on a short terminal
one line per process under a column header (htop's process table is the anchor: at
80x24 a whole demo stays visible beside its log). A row ends with what the kernel says in
short (pending signals, channels); the selected row adds the pane's two kernel lines
under it, and ``enter`` shows everything (:mod:`tui.screens.procinspector`).
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from tui.state import MonitorState, ProcView
from tui.text import human_bytes
from tui.widgets.kernelpane import io_text, kernel_lines, row_summary

STATE_STYLES = {
    "running": "bold green",
    "sleeping": "cyan",
    "disk-sleep": "cyan",
    "stopped": "bold yellow",
    "zombie": "bold magenta",
}


def signals_text(view: ProcView) -> str:
    """``USR1×2 KILL×1``: the signals a process received, by name."""
    return " ".join(f"{name.removeprefix('SIG')}×{count}" for name, count in view.signals.items())


ROW_HEADER = (f"  {'PID':>7} {'WHO':<20} {'STATE':<11} {'CPU%':>6} {'RSS':>8}  "
              f"{'IN':>3}/{'OUT':<4} SIGNALS")
"""The column header above the one-line rows (same widths as :func:`pane_row`)."""
ROW_HEADER_KERNEL = ROW_HEADER + " · CHANNELS"
"""The header once the kernel reports channels: the last column says both."""
DETAIL_INDENT = " " * 10
"""The selected row's channel and disposition lines start under the WHO column."""


def cpu_text(view: ProcView) -> str:
    """``12.5%``; ``–`` while there is no rate yet (one sample says nothing about cpu);
    ``4.6ms`` / ``1.25s`` of cpu time once the process was reaped (its whole life, from
    ``wait4``)."""
    t = view.cpu_time
    if t is not None:
        return f"{t * 1000:.1f}ms" if t < 0.01 else f"{t * 1000:.0f}ms" if t < 1 else f"{t:.2f}s"
    return "–" if view.cpu is None else f"{view.cpu:.1f}%"


def short_state(view: ProcView) -> str:
    """The state in a column: ``exit 0``, ``killed KILL``, ``sleeping``."""
    if view.ending is None:
        return view.status
    if view.ending.startswith("killed by SIG"):
        return "killed " + view.ending.removeprefix("killed by SIG")
    if view.ending.startswith("exited with code "):
        return "exit " + view.ending.removeprefix("exited with code ")
    return view.ending


def pane_row(view: ProcView, selected: bool = False, name: str = "") -> Text:
    """One process as one table row (a short terminal), under :data:`ROW_HEADER`."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append("▶ " if selected else "  ", "bold yellow")
    text.append(f"{view.pid:>7} ", "bold")
    who = view.label
    text.append(who, "bold magenta" if view.role == "master" else "bold cyan")
    room = max(0, 20 - len(who))
    shown = f" {name}" if name else ""
    if len(shown) > room:
        shown = shown[: max(0, room - 1)] + "…"
    text.append(shown.ljust(room) + " ", "italic")
    state = short_state(view)
    if view.ended:
        style = "bold red" if state.startswith("killed") else "bold"
    else:
        style = STATE_STYLES.get(view.status, "")
    text.append(f"{state[:11]:<11} ", style)
    text.append(f"{cpu_text(view):>6} ", "bold")
    text.append(f"{human_bytes(view.rss):>8}  ", "bold")
    text.append(f"{view.msgs_in:>3}", "green")
    text.append("/", "dim")
    text.append(f"{view.msgs_out:<4} ", "blue")
    summary = row_summary(view.kernel) if view.kernel is not None and not view.ended else None
    if view.signals or not summary:
        text.append(signals_text(view) or "-", "bold yellow" if view.signals else "dim")
    if summary:
        text.append(" " if view.signals else "")
        text.append_text(summary)
    if selected and has_detail(view):
        assert view.kernel is not None
        text.append("\n")
        text.append_text(kernel_lines(view.kernel, DETAIL_INDENT))
    return text


def has_detail(view: ProcView) -> bool:
    """A live process the kernel reported on: selected as a row, it shows two more lines
    (its channels and its signal dispositions), so a short terminal still says them."""
    return view.kernel is not None and not view.ended


def pane_body(view: ProcView) -> Text:
    """The pane's three lines, built from plain strings (names are never markup)."""
    text = Text(no_wrap=True, overflow="ellipsis")
    final = view.cpu_time is not None
    text.append("cpu time " if final else "cpu ", "dim")
    text.append(f"{cpu_text(view):>6}", "bold")
    text.append("  max rss " if final else "  rss ", "dim")
    text.append(f"{human_bytes(view.rss):>9}", "bold")
    text.append("  sig ", "dim")
    if view.signals:
        text.append(signals_text(view), "bold yellow")
    else:
        text.append("-", "dim")
    text.append("\n")
    text.append("in ", "dim")
    text.append(f"{view.msgs_in} msg {human_bytes(view.bytes_in)}", "green")
    text.append("   out ", "dim")
    text.append(f"{view.msgs_out} msg {human_bytes(view.bytes_out)}", "blue")
    if view.kernel is not None and not view.ended:
        text.append_text(io_text(view.kernel))
    text.append("\n")
    text.append("last ", "dim")
    if view.last_message is None:
        text.append("-", "dim")
    else:
        text.append(f'"{view.last_message}"', "italic")
        if view.last_nbytes > 64:
            text.append(f" ({human_bytes(view.last_nbytes)})", "dim")
    if view.kernel is not None and not view.ended:
        text.append("\n")
        text.append_text(kernel_lines(view.kernel))
    return text


def pane_title(view: ProcView, selected: bool = False, name: str = "") -> Text:
    title = Text(no_wrap=True, overflow="ellipsis")
    if selected:
        title.append("▶", "bold yellow")
    title.append(f" {view.pid} ", "bold")
    title.append(view.label, "bold magenta" if view.role == "master" else "bold cyan")
    if view.previous is not None:
        title.append(f" (was {view.previous})", "dim")
    if view.role == "process" and view.kernel is not None and view.kernel.cmd:
        title.append(f"  {view.kernel.cmd}", "italic")
    elif name:
        title.append(f"  {name}", "italic")
    title.append(" ")
    return title


def pane_subtitle(view: ProcView) -> Text:
    if view.ended:
        style = "bold red" if "killed" in view.state_text else "bold"
    else:
        style = STATE_STYLES.get(view.status, "")
    return Text(f" {view.state_text} ", style)


class ProcPane(Static):
    """One process: identity in the border and counters inside, or one table row."""

    class Selected(Message):
        """The user clicked this pane."""

        def __init__(self, pid: int) -> None:
            super().__init__()
            self.pid = pid

    def __init__(self, pid: int) -> None:
        super().__init__(id=f"proc-{pid}")
        self.pid = pid
        self._shown: tuple[int, bool, bool, str] | None = None

    def show(
        self, view: ProcView, selected: bool = False, compact: bool = False, name: str = ""
    ) -> None:
        """Draw ``view``: a bordered pane, or one row when ``compact`` (a short terminal);
        ``name`` is what the state says to show (see ``MonitorState.shown_name``)."""
        key = (view.version, selected, compact, name)
        if key == self._shown:
            return
        self._shown = key
        self.set_class(selected, "-selected")
        self.set_class(view.ended, "-ended")
        self.set_class(compact, "-row")
        self.set_class(compact and selected and has_detail(view), "-detail")
        self.set_class(not compact and view.kernel is not None and not view.ended, "-kernel")
        if compact:
            self.border_title = self.border_subtitle = None
            self.update(pane_row(view, selected, name))
            return
        self.border_title = pane_title(view, selected, name)
        self.border_subtitle = pane_subtitle(view)
        self.update(pane_body(view))

    def on_click(self) -> None:
        self.post_message(self.Selected(self.pid))


class RowHeader(Static):
    """The column names above the one-line rows (hidden while panes are drawn)."""


class ProcessList(VerticalScroll):
    """All panes; scrolls when there are more than fit (50+ children)."""

    def __init__(self) -> None:
        super().__init__()
        self.border_title = "processes"
        self._panes: dict[int, ProcPane] = {}
        self._header = RowHeader(Text(ROW_HEADER, "bold"))
        self._kernel_header = False

    def compose(self) -> ComposeResult:
        yield self._header

    def sync(self, state: MonitorState, selected: int | None, compact: bool = False) -> None:
        """Add panes for new pids and redraw the changed ones, as panes or as rows."""
        self._header.display = compact
        kernel = any(v.kernel is not None for v in state.procs.values())
        if kernel != self._kernel_header:
            self._kernel_header = kernel
            self._header.update(Text(ROW_HEADER_KERNEL if kernel else ROW_HEADER, "bold"))
        # Stepping back in time can go before a process existed: its pane is hidden.
        for pid, shown in self._panes.items():
            shown.display = pid in state.procs
        for pid in sorted(state.procs):
            pane = self._panes.get(pid)
            if pane is None:
                pane = self._panes[pid] = ProcPane(pid)
                later = [p for p in self._panes if p > pid]
                if later:
                    self.mount(pane, before=self._panes[min(later)])
                else:
                    self.mount(pane)
            view = state.procs[pid]
            pane.show(view, pid == selected, compact, state.shown_name(view))

    def reset(self) -> None:
        self._panes.clear()
        self.remove_children(ProcPane)

    def reveal(self, pid: int | None) -> None:
        pane = self._panes.get(pid) if pid is not None else None
        if pane is not None:
            self.scroll_to_widget(pane, animate=False)
