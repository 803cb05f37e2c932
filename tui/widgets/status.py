"""The top line: what is watched, how far it got, and how the log is being viewed."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tui.state import MonitorState
from tui.widgets.eventlog import EventLog


def rate_text(rate: float) -> str:
    """``×0.25``, ``×1``, ``max`` (as fast as possible)."""
    return "max" if rate == 0 else f"×{rate:g}"


def status_text(
    title: str, state: MonitorState, finished: bool, log: EventLog, *, brief: bool = False,
    ending: str | None = None, position: str | None = None, rate: float | None = None,
) -> Text:
    """One line: source, running or finished, counts, paused/filter/search, drops.

    Most important first, so a narrow terminal cuts the least needed; following the log
    is the normal case and goes unsaid, a paused log is said. ``brief`` drops the app's
    name (80 columns); ``ending`` says how the run ended where no banner does. Paused,
    ``position`` says where the display stands; ``rate`` is a replay's pace.
    """
    text = Text(no_wrap=True, overflow="ellipsis")
    if not brief:
        text.append(" ipcscope ", "bold reverse")
    text.append(f" {title} ", "bold")
    if finished:
        text.append(f"│ finished: {ending} " if ending else "│ finished ", "bold yellow")
    else:
        text.append("│ running ", "bold green")
    if position is not None:
        text.append(f"│ PAUSED {position} ", "bold reverse yellow")
    else:
        text.append(f"│ {state.events} events ", "")
    if rate is not None:
        text.append(f"│ rate {rate_text(rate)} ", "bold cyan")
    text.append(f"│ {len(state.procs)} processes ", "")
    if not log.follow:
        text.append("│ log PAUSED ", "bold")
    if log.log_filter.active:
        text.append(f"│ filter: {log.log_filter.describe()} ", "bold cyan")
    if log.search:
        text.append(f"│ search: {log.search} ", "bold yellow")
    if state.dropped:
        text.append(f"│ {state.dropped} dropped ", "bold red")
    return text


class StatusLine(Static):
    """Redrawn by the app with each refresh tick and after every change of the log view."""

    def show(
        self, title: str, state: MonitorState, finished: bool, log: EventLog, *,
        brief: bool = False, ending: str | None = None, position: str | None = None,
        rate: float | None = None,
    ) -> None:
        self.update(status_text(title, state, finished, log, brief=brief, ending=ending,
                                position=position, rate=rate))
