"""Replaying a recording: the same events, same order, same pids, times and stats.

Played at a ``rate``: 0 as fast as the consumer takes the events (snapshots, screenshots,
tests), 1 with the recorded timing, R scaled by R (0.25 four times slower). The rate can
change while it plays and the replay can pause (the monitor's ``[``/``]`` and ``space``);
the clock is re-anchored at each change, so nothing jumps or bursts to catch up.

A truncated or corrupted file yields every good event before the break, then one final
``monitor.invalid`` event (``reason``, ``line`` = 1-based line number) and ends; the
:class:`~ipccore.errors.RecordingError` is also kept in :attr:`ReplaySource.error` for
callers that want to fail (the ``replay`` CLI exits 1). An event is the simplest thing
for the UI to show, and the stream contract (it just ends) stays the same.
"""

from __future__ import annotations

import asyncio
import math
import os
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from ipcevents.errors import CommandRefused, RecordingError
from ipcevents.events import Event, EventDecodeError, check_fields
from ipcevents.source import Command

MAX_LINE = 1 << 20
SLICE = 0.05
"""Longest sleep between two looks at the rate and the pause button (seconds)."""


def check_rate(rate: object) -> float:
    """A replay rate: a finite number >= 0 (0 = as fast as possible)."""
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not math.isfinite(rate) \
            or rate < 0:
        raise ValueError(f"rate must be a finite number >= 0 (0 = as fast as possible), "
                         f"not {rate!r}")
    return float(rate)


class ReplayClock:
    """When a recorded moment is due on the wall clock, at a rate that may change.

    Anchored at (wall time, recorded time) pairs: a change of rate, a pause and a resume
    each set a new anchor at the recorded moment reached so far, so what was already
    played keeps its timing and what follows takes the new one.
    """

    def __init__(self, rate: float) -> None:
        self.rate = check_rate(rate)
        self.paused = False
        self._wall: float | None = None
        self._rec = 0.0

    def reached(self) -> float | None:
        """The recorded time played up to now (None before the first event)."""
        if self._wall is None:
            return None
        if self.paused or self.rate == 0:
            return self._rec
        return self._rec + (time.monotonic() - self._wall) * self.rate

    def _anchor(self, rec: float | None) -> None:
        if rec is not None:
            self._wall, self._rec = time.monotonic(), rec

    def set_rate(self, rate: float) -> None:
        rec = self.reached()
        self.rate = check_rate(rate)
        self._anchor(rec)

    def pause(self) -> None:
        self._anchor(self.reached())
        self.paused = True

    def resume(self) -> None:
        self.paused = False
        self._anchor(self._rec if self._wall is not None else None)

    def due_in(self, ts: float) -> float:
        """Seconds until the event recorded at ``ts`` is due (<= 0: now)."""
        if self._wall is None:
            self._anchor(ts)
            return 0.0
        if self.rate == 0:
            return 0.0
        return (ts - self._rec) / self.rate - (time.monotonic() - self._wall)

    def played(self, ts: float) -> None:
        """The event at ``ts`` went out (at rate 0 the clock follows the events)."""
        if self.rate == 0 or self._wall is None:
            self._anchor(ts)


def read_recording(path: str | os.PathLike[str]) -> Iterator[Event]:
    """The events of a recording, validated; raises RecordingError where it breaks."""
    with open(path, "rb") as f:
        for lineno, raw in enumerate(f, start=1):
            if not raw.endswith(b"\n"):
                raise RecordingError(f"line {lineno} is cut short (truncated file)", lineno)
            if len(raw) > MAX_LINE:
                raise RecordingError(f"line {lineno} is too long", lineno)
            try:
                event = Event.from_json(raw)
                check_fields(event.kind, event.fields, peer=False)
            except EventDecodeError as exc:
                raise RecordingError(f"line {lineno}: {exc}", lineno) from None
            yield event


class ReplaySource:
    """An :class:`~ipcevents.source.EventSource` over an NDJSON recording."""

    def __init__(self, path: str | os.PathLike[str], rate: float = 0.0,
                 *, title: str | None = None) -> None:
        self.path = Path(path)
        self.clock = ReplayClock(rate)
        self._title = title or f"replay {self.path.name}"
        self.error: RecordingError | None = None
        """Where the file broke, once ``events()`` reached it."""
        self.total: int | None = None
        """Events in the file (its lines), counted by ``start()``."""
        self._stopped = False
        self._resumed = asyncio.Event()
        self._resumed.set()

    @property
    def rate(self) -> float:
        """0 = as fast as possible, 1 = as recorded, R = R times the recorded speed."""
        return self.clock.rate

    def set_rate(self, rate: float) -> None:
        """Change the pace while playing; raises ValueError for a bad rate."""
        self.clock.set_rate(rate)

    @property
    def paused(self) -> bool:
        return self.clock.paused

    def pause(self) -> None:
        """Stop playing after the event in hand (the consumer keeps what it got)."""
        self.clock.pause()
        self._resumed.clear()

    def resume(self) -> None:
        self.clock.resume()
        self._resumed.set()

    @property
    def title(self) -> str:
        return self._title

    @property
    def recording(self) -> Path:
        """The file replayed (what the monitor's trace export reads)."""
        return self.path

    async def start(self) -> None:
        if not self.path.is_file():
            raise FileNotFoundError(f"no recording at {str(self.path)!r}")
        with open(self.path, "rb") as f:
            self.total = sum(1 for line in f if line.strip())

    async def events(self) -> AsyncIterator[Event]:
        last: Event | None = None
        reader = read_recording(self.path)
        n = 0
        while not self._stopped:
            try:
                event = next(reader)
            except StopIteration:
                return
            except RecordingError as exc:
                self.error = exc
                seq = last.seq + 1 if last else 1
                ts = last.ts if last else 0.0
                yield Event(seq, ts, 0, "monitor.invalid",
                            {"count": 1, "reason": str(exc), "line": exc.line})
                return
            await self._wait_for(event.ts)
            if self._stopped:
                return
            n += 1
            if n % 500 == 0:
                await asyncio.sleep(0)
            self.clock.played(event.ts)
            last = event
            yield event

    async def _wait_for(self, ts: float) -> None:
        """Until the event recorded at ``ts`` is due and the replay is not paused."""
        while not self._stopped:
            if self.clock.paused:
                await self._resumed.wait()
                continue
            delay = self.clock.due_in(ts)
            if delay <= 0:
                return
            await asyncio.sleep(min(delay, SLICE))

    async def send(self, command: Command) -> None:
        raise CommandRefused("a recording cannot be changed")

    async def stop(self) -> None:
        self._stopped = True
        self._resumed.set()
