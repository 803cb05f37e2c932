"""The top line: what is watched, how far it got, and how the log is being viewed."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tui.state import MonitorState
from tui.widgets.eventlog import EventLog


def status_text(title: str, state: MonitorState, finished: bool, log: EventLog) -> Text:
    """One line: source, counts, running or finished, follow/filter/search, drops."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(" ipcscope ", "bold reverse")
    text.append(f" {title} ", "bold")
    text.append(f"│ {state.events} events ", "")
    text.append(f"│ {len(state.procs)} processes ", "")
    if finished:
        text.append("│ finished ", "bold yellow")
    else:
        text.append("│ running ", "bold green")
    text.append("│ log following " if log.follow else "│ log PAUSED ", "")
    if log.log_filter.active:
        text.append(f"│ filter: {log.log_filter.describe()} ", "bold cyan")
    if log.search:
        text.append(f"│ search: {log.search} ", "bold yellow")
    if state.dropped:
        text.append(f"│ {state.dropped} dropped ", "bold red")
    return text


class StatusLine(Static):
    """Redrawn by the app with each refresh tick and after every change of the log view."""

    def show(self, title: str, state: MonitorState, finished: bool, log: EventLog) -> None:
        self.update(status_text(title, state, finished, log))
