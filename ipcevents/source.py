"""What the UI depends on: the :class:`EventSource` protocol and the commands it takes.

Three implementations live beside this module (live, replay, fake); the UI imports only
this protocol and the command types, never a concrete transport.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from ipcevents.events import Event


@dataclass(frozen=True, slots=True)
class SendSignal:
    """Send ``signum`` to ``pid``, which must belong to the monitored tree."""

    pid: int
    signum: int


@dataclass(frozen=True, slots=True)
class WritePipe:
    """Write ``data`` into the pipe of child ``pid`` (as its master would)."""

    pid: int
    data: bytes


@dataclass(frozen=True, slots=True)
class PushQueue:
    """Push ``data`` into the monitored SysV queue ``key`` with message type ``mtype``."""

    key: int
    data: bytes
    mtype: int = 1


Command = SendSignal | WritePipe | PushQueue


@runtime_checkable
class EventSource(Protocol):
    """A stream of events plus a way to send commands back.

    ``events()`` yields events in ``seq`` order and ends when the source is finished
    (the program and all its processes ended and every event was delivered, or the
    replay reached the end). ``send()`` raises ``ipccore.errors.CommandRefused`` for a
    command that may not be carried out; a command's effect comes back as events.
    """

    @property
    def title(self) -> str:
        """A short human name for what is being watched (e.g. ``demo pipe``)."""
        ...

    async def start(self) -> None:
        """Begin producing events (start the program, open the file...)."""
        ...

    def events(self) -> AsyncIterator[Event]:
        """The events, in order; may be called once."""
        ...

    async def send(self, command: Command) -> None:
        """Carry out a command, or raise ``CommandRefused``."""
        ...

    async def stop(self) -> None:
        """Stop everything this source started (processes, queues, sockets). Idempotent."""
        ...


@runtime_checkable
class PacedSource(EventSource, Protocol):
    """A source that plays something already recorded: it can be paced and paused.

    The UI checks for it (``isinstance(source, PacedSource)``): ``[``/``]`` change the
    rate of a replay, and pausing the display pauses the replay too, while a live
    program keeps running (and being recorded) underneath a paused display.
    """

    @property
    def rate(self) -> float:
        """0 = as fast as possible, 1 = as recorded, R = R times the recorded speed."""
        ...

    def set_rate(self, rate: float) -> None:
        """Change the pace while playing; raises ``ValueError`` for a bad rate."""
        ...

    def pause(self) -> None:
        """Stop playing after the event in hand."""
        ...

    def resume(self) -> None:
        """Play on from where it paused."""
        ...
