"""An in-memory :class:`EventSource` twin for tests (like ``trio.testing``'s streams).

Tests feed events with :meth:`FakeSource.feed` and read back every command the UI sent
from :attr:`FakeSource.commands`. ``refuse`` lists pids for which ``SendSignal`` is
refused, to exercise the UI's error path.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable

from ipcevents.errors import CommandRefused
from ipcevents.events import Event
from ipcevents.source import Command, SendSignal

_END = None


class FakeSource:
    """Events pushed by the test, commands recorded for the test."""

    def __init__(
        self,
        events: Iterable[Event] = (),
        *,
        title: str = "fake",
        refuse: Iterable[int] = (0, 1),
        finish: bool = False,
    ) -> None:
        self._title = title
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self.commands: list[Command] = []
        """Every command accepted by :meth:`send`, in order."""
        self.refused: list[Command] = []
        """Every command refused by :meth:`send`, in order."""
        self.refuse = set(refuse)
        self.started = False
        self.stopped = False
        self._seq = 0
        for event in events:
            self.feed(event)
        if finish:
            self.finish()

    @property
    def title(self) -> str:
        return self._title

    def feed(self, event: Event) -> None:
        """Queue one event; a ``seq`` of 0 is replaced by the next number."""
        self._seq += 1
        if event.seq == 0:
            event = Event(self._seq, event.ts, event.pid, event.kind, event.fields)
        self._queue.put_nowait(event)

    def finish(self) -> None:
        """End the stream after the events fed so far."""
        self._queue.put_nowait(_END)

    async def start(self) -> None:
        self.started = True

    async def events(self) -> AsyncIterator[Event]:
        while True:
            event = await self._queue.get()
            if event is None:
                return
            yield event

    async def send(self, command: Command) -> None:
        if isinstance(command, SendSignal) and (
            command.pid in self.refuse or command.pid <= 0
        ):
            self.refused.append(command)
            raise CommandRefused(f"pid {command.pid} is not part of the monitored tree")
        self.commands.append(command)

    async def stop(self) -> None:
        self.stopped = True
        self.finish()
