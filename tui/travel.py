"""Time travel: what the screen shows, live or as of a cursor event.

Pure (no Textual): the app feeds every event to :meth:`Travel.feed` (the run keeps being
recorded underneath a paused display) and draws :meth:`Travel.shown`; the keys only
move :attr:`Travel.cursor`. ``None`` is live: the newest state, the display following
the run. A number ``n`` is "as of the ``n``-th event": every panel draws the state after
the first ``n`` events, taken from the timeline's checkpoints.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ipcevents.events import Event
from tui.sequence import Sequence
from tui.state import MonitorState
from tui.timeline import EVERY, KEEP, Timeline

RATE_MIN, RATE_MAX = 1 / 64, 64.0
"""Replay rates ``[``/``]`` stop at (past the top: as fast as possible)."""


def next_rate(rate: float, direction: int) -> float:
    """The rate after ``[`` (``direction`` < 0: half) or ``]`` (double).

    0 is "as fast as possible": ``]`` keeps it, ``[`` slows it to the recorded pace;
    doubling past :data:`RATE_MAX` becomes "as fast as possible".
    """
    if rate == 0:
        return 1.0 if direction < 0 else 0.0
    rate = rate / 2 if direction < 0 else rate * 2
    return 0.0 if rate > RATE_MAX else max(rate, RATE_MIN)


@dataclass
class Travel:
    """The run (timeline and sequence chart) and where the display stands in it."""

    timeline: Timeline = field(default_factory=Timeline)
    sequence: Sequence = field(default_factory=Sequence)
    cursor: int | None = None
    """None: live. Otherwise the number of events the display shows (``first..count``)."""

    @classmethod
    def sized(cls, every: int = EVERY, keep: int = KEEP) -> Travel:
        return cls(Timeline(every, keep), Sequence(rows_max=keep))

    @property
    def live(self) -> MonitorState:
        """The newest state (what commands act on, whatever the display shows)."""
        return self.timeline.live

    @property
    def paused(self) -> bool:
        return self.cursor is not None

    @property
    def count(self) -> int:
        return self.timeline.count

    @property
    def at(self) -> int:
        """The event the display stands on (the newest when live)."""
        return self.timeline.count if self.cursor is None else self.cursor

    def feed(self, event: Event) -> None:
        """Record one event; a paused display stays where it is."""
        self.timeline.append(event)
        self.sequence.feed(event)
        if self.cursor is not None and self.cursor < self.timeline.first:
            self.cursor = self.timeline.first

    def shown(self) -> MonitorState:
        """The state every panel draws: live, or as of the cursor."""
        if self.cursor is None:
            return self.timeline.live
        return self.timeline.state_at(self.cursor)

    # -- moving ---------------------------------------------------------------------

    def toggle(self) -> None:
        """Pause on the newest event, or go back to live."""
        self.cursor = None if self.cursor is not None else self.timeline.count

    def go(self, n: int) -> None:
        """Stand on event ``n`` (clamped to what is kept); pauses a live display."""
        self.cursor = self.timeline.clamp(n)

    def step(self, delta: int) -> None:
        self.go(self.at + delta)

    def home(self) -> None:
        self.go(self.timeline.first + 1 if self.timeline.count > self.timeline.first else 0)

    def end(self) -> None:
        self.go(self.timeline.count)

    def goto_time(self, seconds: float) -> None:
        """Stand on the last event at most ``seconds`` after the first one."""
        self.go(self.timeline.at_time(seconds))

    def position(self) -> str:
        """``event 12 / 34, 0.612 s`` for the status line."""
        n = self.at
        return f"event {n} / {self.timeline.count}, {self.timeline.seconds(n):.3f} s"
