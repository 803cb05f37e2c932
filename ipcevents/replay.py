"""Replaying a recording: the same events, same order, same pids, times and stats.

A truncated or corrupted file yields every good event before the break, then one final
``monitor.invalid`` event (``reason``, ``line`` = 1-based line number) and ends; the
:class:`~ipccore.errors.RecordingError` is also kept in :attr:`ReplaySource.error` for
callers that want to fail (the ``replay`` CLI exits 1). An event is the simplest thing
for the UI to show, and the stream contract (it just ends) stays the same.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from ipcevents.errors import CommandRefused, RecordingError
from ipcevents.events import Event, EventDecodeError, check_fields
from ipcevents.source import Command

PACES = ("instant", "realtime")
MAX_LINE = 1 << 20


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

    def __init__(self, path: str | os.PathLike[str], pace: str = "instant",
                 *, title: str | None = None) -> None:
        if pace not in PACES:
            raise ValueError(f"pace must be one of {PACES}, not {pace!r}")
        self.path = Path(path)
        self.pace = pace
        self._title = title or f"replay {self.path.name}"
        self.error: RecordingError | None = None
        """Where the file broke, once ``events()`` reached it."""
        self._stopped = False

    @property
    def title(self) -> str:
        return self._title

    async def start(self) -> None:
        if not self.path.is_file():
            raise FileNotFoundError(f"no recording at {str(self.path)!r}")

    async def events(self) -> AsyncIterator[Event]:
        first_ts: float | None = None
        t0 = time.monotonic()
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
            if self.pace == "realtime":
                if first_ts is None:
                    first_ts = event.ts
                delay = (event.ts - first_ts) - (time.monotonic() - t0)
                if delay > 0:
                    await asyncio.sleep(delay)
            else:
                n += 1
                if n % 500 == 0:
                    await asyncio.sleep(0)
            last = event
            yield event

    async def send(self, command: Command) -> None:
        raise CommandRefused("a recording cannot be changed")

    async def stop(self) -> None:
        self._stopped = True
