"""The run kept for time travel: its events, the live state, and checkpoints of it.

The state model is a plain fold (``apply(state, event)``), so the state as of event
``n`` is the fold of the first ``n`` events. Refolding a whole run for every step would
cost the run's length; instead a copy of the state is kept every :data:`EVERY` events,
and the state as of ``n`` is the nearest checkpoint at or before ``n`` plus at most
``EVERY - 1`` applications (about 1,000 x 3 us: a step answers in a few milliseconds
whatever the length of the run; see the ``ui-timetravel`` benchmark).

Memory is bounded: only the last :data:`KEEP` events (and their checkpoints) are kept;
the oldest reachable moment moves forward in steps of :data:`EVERY` as the run goes on.
"""

from __future__ import annotations

import bisect
import copy
from collections import deque
from dataclasses import fields, is_dataclass

from ipcevents.events import Event
from tui.state import MonitorState, apply

EVERY = 1000
"""Events between two checkpoints: the most a step back has to refold."""
KEEP = 50_000
"""Events kept for stepping back; older ones (and their checkpoints) are dropped. Each
kept event costs about 1 KiB with its share of checkpoints and chart rows (the
``ui-timetravel`` benchmark): 50,000 keep a flood's last seconds, and a demo whole."""


def _copy_value(value: object) -> object:
    if isinstance(value, dict):
        return {k: _copy_obj(v) for k, v in value.items()}
    if isinstance(value, deque | list | set):
        return copy.copy(value)
    return value


def _copy_obj(value: object) -> object:
    """A dataclass (a pane's view) copied with its containers; anything else shared.

    Everything mutable the fold touches is a dataclass with dict/deque/list fields of
    immutable items (``LogLine`` and events are frozen), so this two-level copy is as
    good as ``deepcopy`` at a small fraction of its cost.
    """
    if is_dataclass(value) and not isinstance(value, type):
        if getattr(type(value), "__dataclass_params__").frozen:  # noqa: B009
            return value
        new = copy.copy(value)
        for f in fields(value):
            setattr(new, f.name, _copy_value(getattr(value, f.name)))
        return new
    return _copy_value(value)


def clone(state: MonitorState) -> MonitorState:
    """An independent copy of ``state``: folding into one never changes the other."""
    new = _copy_obj(state)
    assert isinstance(new, MonitorState)
    return new


class Timeline:
    """Every event of the run (up to :data:`KEEP`), folded into :attr:`live` as it comes."""

    def __init__(self, every: int = EVERY, keep: int = KEEP) -> None:
        if every < 1 or keep < every:
            raise ValueError("need 1 <= every <= keep")
        self.every = every
        self.keep = keep
        self.live = MonitorState()
        """The state after every event so far (what a live display shows)."""
        self.count = 0
        """Events folded so far."""
        self.first = 0
        """Events before the oldest kept one: the earliest reachable moment."""
        self._events: list[Event] = []
        self._marks: list[int] = [0]
        self._saved: list[MonitorState] = [MonitorState()]
        self._times: list[float] = []
        self._cached: tuple[int, MonitorState] | None = None

    def append(self, event: Event) -> None:
        """Fold ``event`` into the live state and keep it."""
        apply(self.live, event)
        self.count += 1
        self._events.append(event)
        self._times.append(event.ts)
        if self.count % self.every == 0:
            self._marks.append(self.count)
            self._saved.append(clone(self.live))
        if len(self._events) > self.keep + self.every:
            # Drop a whole checkpoint interval, so the window starts at a checkpoint.
            drop = self._marks[1] - self.first
            del self._events[:drop]
            del self._times[:drop]
            del self._marks[0]
            del self._saved[0]
            self.first += drop

    def event(self, n: int) -> Event:
        """The ``n``-th event (1-based), if it is still kept."""
        if not self.first < n <= self.count:
            raise IndexError(f"event {n} is not kept (kept: {self.first + 1}..{self.count})")
        return self._events[n - 1 - self.first]

    def clamp(self, n: int) -> int:
        """``n`` moved into the reachable range."""
        return max(self.first, min(self.count, n))

    def state_at(self, n: int) -> MonitorState:
        """The state after the first ``n`` events (``n`` is clamped to what is kept).

        The result is the caller's to read, not to change: it may be the cached answer
        of the previous call.
        """
        n = self.clamp(n)
        if n == self.count:
            return self.live
        if self._cached is not None and self._cached[0] == n:
            return self._cached[1]
        i = bisect.bisect_right(self._marks, n) - 1
        state = clone(self._saved[i])
        for event in self._events[self._marks[i] - self.first : n - self.first]:
            apply(state, event)
        self._cached = (n, state)
        return state

    def at_time(self, seconds: float) -> int:
        """The number of events up to ``seconds`` after the first event (clamped)."""
        if not self._times or self.live.t0 is None:
            return self.count
        n = self.first + bisect.bisect_right(self._times, self.live.t0 + seconds)
        return self.clamp(max(n, self.first + 1))

    def seconds(self, n: int) -> float:
        """Time of event ``n`` since the first event of the run (0 before any)."""
        if n <= self.first or self.live.t0 is None:
            return 0.0
        return self.event(n).ts - self.live.t0
