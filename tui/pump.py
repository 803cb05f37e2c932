"""The event pump: one :class:`~ipcevents.source.EventSource` at a time, folded into a
:class:`~tui.travel.Travel` by a worker of the app, and the way commands go back to it.

The app owns one pump and asks it to start, stop, send and pace; the pump never draws.
Its worker records every event (a paused display keeps recording underneath) and yields
to the event loop every ``YIELD_EVERY`` events so keys stay responsive. How a source
ended comes back as an app message (:class:`~tui.messages.SourceEnded`,
:class:`~tui.messages.SourceFailed`); a refused or failed command becomes a notice, never
a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path

from textual.app import App

from ipcevents.errors import CommandRefused
from ipcevents.source import Command, EventSource, PacedSource
from tui.messages import SourceEnded, SourceFailed
from tui.trace_export import recording_of
from tui.travel import Travel, next_rate

SourceFactory = Callable[[], EventSource]
YIELD_EVERY = 512
"""Events folded between two yields to the event loop, so keys stay responsive."""


class SourcePump:
    """Runs the current source into :attr:`travel` in a worker of ``app``."""

    def __init__(self, app: App[int]) -> None:
        self._app = app
        self.factory: SourceFactory | None = None
        """What made the current source (``r`` makes a fresh one from it)."""
        self.source: EventSource | None = None
        self.travel = Travel()
        """The run kept for time travel, and where the display stands in it."""
        self.recording: Path | None = None
        """The current run's recording: what *Export Perfetto trace* reads."""

    @property
    def title(self) -> str:
        return self.source.title if self.source is not None else "no source"

    @property
    def paced(self) -> PacedSource | None:
        """The source if it is a replay (it has a pace and can pause), else None."""
        return self.source if isinstance(self.source, PacedSource) else None

    def start(self, factory: SourceFactory) -> None:
        """Watch a fresh source from ``factory`` in a fresh :class:`Travel` (also how
        restart works); a factory that fails becomes a notice."""
        self.factory = factory
        self.travel = Travel()
        try:
            self.source = factory()
        except Exception as exc:
            self._app.notify(f"cannot start: {exc}", severity="error", timeout=10, markup=False)
            self.source = None
            return
        self.recording = recording_of(self.source)
        self._app.run_worker(
            self._ingest(self.source, self.travel),
            name="ingest",
            group="source",
            exclusive=True,
            exit_on_error=False,
        )

    async def _ingest(self, source: EventSource, travel: Travel) -> None:
        try:
            await source.start()
            n = 0
            async for event in source.events():
                travel.feed(event)
                n += 1
                if n % YIELD_EVERY == 0:
                    await asyncio.sleep(0)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._app.post_message(SourceFailed(f"{type(exc).__name__}: {exc}"))
        else:
            if source is self.source:
                self._app.post_message(SourceEnded())

    async def stop(self) -> None:
        """Stop what the source started (processes, queues); safe to call twice."""
        source, self.source = self.source, None
        self._app.workers.cancel_group(self._app, "source")
        if source is not None:
            with contextlib.suppress(Exception):
                await source.stop()

    def send(self, commands: list[Command]) -> None:
        """Hand ``commands`` to the source in a worker; their effect comes back as events."""
        self._app.run_worker(
            self._send_all(commands), name="send", group="commands", exit_on_error=False
        )

    async def _send_all(self, commands: list[Command]) -> None:
        source, notify = self.source, self._app.notify
        if source is None:
            notify("Nothing is running: press r to restart.", severity="warning")
            return
        for command in commands:
            try:
                await source.send(command)
            except CommandRefused as exc:
                notify(str(exc), title="refused", severity="error", markup=False)
            except Exception as exc:
                notify(f"{type(exc).__name__}: {exc}", title="failed", severity="error",
                       markup=False)

    def follow_display(self) -> None:
        """The display's cursor moved: a replay pauses with it and plays on with it (a
        live program runs on, recorded underneath)."""
        paced = self.paced
        if paced is not None:
            if self.travel.paused:
                paced.pause()
            else:
                paced.resume()

    def change_rate(self, direction: int) -> bool:
        """``[``/``]``: halve / double a replay's pace; False for a live source."""
        paced = self.paced
        if paced is None:
            self._app.notify("The rate paces a replay (--replay FILE); a live program runs "
                             "at its own pace.", severity="warning")
            return False
        paced.set_rate(next_rate(paced.rate, direction))
        return True
