"""Drawing: the state the display shows, rendered into the monitor's widgets, and the
layout they are drawn in (the size classes and the panes / sequence view).

The app's redraw timer asks :meth:`Painter.due` up to ``REFRESH_HZ`` times a second; only
when something drawn changed (the state's version, the time-travel cursor, a size class,
the view) are the widgets synced, so a flood costs a few list rebuilds per second, not
one widget update per event. What is drawn is passed in (the pump, the selection): the
painter keeps only what it last drew and which view is on.
"""

from __future__ import annotations

from textual.app import App
from textual.css.query import NoMatches

from tui.pump import SourcePump
from tui.state import MonitorState
from tui.targets import target_description
from tui.text import ending_of
from tui.travel import Travel
from tui.widgets.banner import Banner
from tui.widgets.eventlog import EventLog
from tui.widgets.links import LinkStrip
from tui.widgets.procs import ProcessList
from tui.widgets.queues import QueuePanel
from tui.widgets.sequence import SequenceView
from tui.widgets.signals import SignalPanel
from tui.widgets.status import StatusLine

NARROW_BELOW = 110
"""Below this width the side panel goes under the processes (the signal buttons need
about 44 columns beside a 66-column process list to show their names)."""
SHORT_BELOW = 32
"""Below this height processes are one-line rows and the guide is hidden."""
REFRESH_HZ = 15


DRAWN = (ProcessList, QueuePanel, EventLog, SequenceView, LinkStrip, StatusLine, Banner,
         SignalPanel)
"""Every widget a redraw writes to."""


class Painter:
    """Renders into ``app``'s widgets; owns the view (``panes`` or ``sequence``)."""

    def __init__(self, app: App[int], view: str = "panes") -> None:
        self._app = app
        self.view = view
        """``panes`` or ``sequence`` (``v`` switches)."""
        self._drawn: tuple[object, ...] | None = None

    # -- size -----------------------------------------------------------------------

    @property
    def narrow(self) -> bool:
        """The terminal is too narrow for the side panel beside the processes."""
        return self._app.size.width < NARROW_BELOW

    @property
    def short(self) -> bool:
        """The terminal is too short for three-line process panes."""
        return self._app.size.height < SHORT_BELOW

    def apply_breakpoints(self) -> None:
        """Set the screen's size classes before its first layout: Textual sets them only
        on a resize, and the wide layout squeezed into 80 columns must never be drawn."""
        screen = self._app.screen
        screen.set_class(self.narrow, "-narrow")
        screen.set_class(not self.narrow, "-wide")
        screen.set_class(self.short, "-short")
        screen.set_class(not self.short, "-tall")

    def show_view(self, travel: Travel) -> None:
        """Show the panes or the sequence view (with a shorter log under it)."""
        app, sequence = self._app, self.view == "sequence"
        app.query_one("#top").display = not sequence
        app.query_one(SequenceView).display = sequence
        app.query_one(LinkStrip).show(travel.shown(), sequence)
        log = app.query_one(EventLog)
        log.set_class(sequence, "-short")
        if log.follow and not travel.paused:
            # The log's height changed: keep its newest line in view.
            app.call_after_refresh(log.scroll_end, animate=False, x_axis=False)

    def toggle_view(self, travel: Travel) -> None:
        self.view = "panes" if self.view == "sequence" else "sequence"
        self.show_view(travel)

    # -- drawing --------------------------------------------------------------------

    def forget(self) -> None:
        """A new run: the next tick draws whatever it finds."""
        self._drawn = None

    def due(self, travel: Travel, force: bool = False) -> bool:
        """Whether anything drawn changed since the last tick (a resize across a
        breakpoint counts: rows and panes are drawn differently), and there is still a
        screen to draw on."""
        state = travel.shown()
        drawn = (state.version, self.narrow, self.short, travel.cursor, travel.count,
                 travel.sequence.version, self.view)
        if drawn == self._drawn and not force:
            return False
        # The app is closing and its widgets are being removed, the deepest first (seen
        # on a loaded machine: the queue panel gone, the process list not yet): a tick
        # then has nothing to draw, and must not be an error. Every widget drawn is
        # looked for, and nothing is recorded as drawn when one is missing.
        try:
            for widget in DRAWN:
                self._app.query_one(widget)
        except NoMatches:
            return False
        self._drawn = drawn
        return True

    def draw(self, pump: SourcePump, finished: bool, selected: int | None,
             all_children: bool) -> None:
        """Every panel as the display stands: live, or as of the time-travel cursor."""
        app, travel = self._app, pump.travel
        state = travel.shown()
        app.query_one(ProcessList).sync(state, selected, self.short)
        app.query_one(QueuePanel).sync(state)
        log = app.query_one(EventLog)
        if travel.paused:
            # Every panel as of the cursor: the log ends on the cursor's event.
            log.sync(state, force=True)
            log.cursor = len(log.lines) - 1 if log.lines else None
        else:
            log.sync(state)
        app.query_one(SequenceView).sync(travel.sequence, travel.at, at=travel.cursor)
        app.query_one(LinkStrip).show(state, self.view == "sequence")
        self.status(pump, finished, selected, all_children)

    def status(self, pump: SourcePump, finished: bool, selected: int | None,
               all_children: bool) -> None:
        """The status line, the ending banner and the signal target."""
        app, travel = self._app, pump.travel
        state, log = travel.shown(), app.query_one(EventLog)
        finished = finished or state.ended
        end = ending_of(state.end_code, state.end_signal) if state.ended else "ended"
        # The banner that says how it ended is hidden on a small terminal: the line says it.
        ending = end if finished and (self.narrow or self.short) else None
        paced = pump.paced
        app.query_one(StatusLine).show(pump.title, state, finished, log, brief=self.narrow,
                                       ending=ending,
                                       position=travel.position() if travel.paused else None,
                                       rate=paced.rate if paced is not None else None)
        ended = sum(1 for p in state.procs.values() if p.ended)
        app.query_one(Banner).show(finished, end, len(state.procs), ended)
        self.target(travel.live, selected, all_children)

    def target(self, live: MonitorState, selected: int | None, all_children: bool) -> None:
        """What the signal panel's buttons are aimed at."""
        brief = self.narrow
        what = target_description(live, selected, all_children, brief)
        self._app.query_one(SignalPanel).show_target(what, all_children, brief)
