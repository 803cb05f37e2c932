"""A recording loaded whole into memory, as an EventSource: for snapshots and screenshots.

Deterministic by construction (no clock, instant pace), and independent of the live
machinery; ``python -m tui --replay`` prefers ``ipcevents.replay.ReplaySource``
when it is installed and falls back to this.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from ipcevents.errors import CommandRefused
from ipcevents.events import Event, EventDecodeError
from ipcevents.source import Command


def load_events(path: Path) -> list[Event]:
    """Every event of an NDJSON recording; raises ValueError naming the bad line."""
    events = []
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                events.append(Event.from_json(line))
            except EventDecodeError as exc:
                raise ValueError(f"{path}:{number}: {exc}") from None
    return events


class RecordedSource:
    """Replays a list of events at once; a recording cannot take commands."""

    def __init__(self, events: list[Event], title: str) -> None:
        self._events = events
        self._title = title
        self.stopped = False

    @classmethod
    def from_file(cls, path: Path) -> RecordedSource:
        return cls(load_events(path), f"replay {path.name}")

    @property
    def title(self) -> str:
        return self._title

    async def start(self) -> None:
        return None

    async def events(self) -> AsyncIterator[Event]:
        for event in self._events:
            if self.stopped:
                return
            yield event

    async def send(self, command: Command) -> None:
        raise CommandRefused("a recording cannot take commands (it already happened)")

    async def stop(self) -> None:
        self.stopped = True
