"""Helpers for watching programs that do not import ipccore: a stream that keeps every
event, bounded waits for a condition on what was seen (never a sleep), and the latest
state of each process's channels and signal masks folded from the events."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ipcevents.events import Event

PROGRAMS = Path(__file__).resolve().parent.parent / "programs"
PY = sys.executable


def program(name: str, *args: str) -> list[str]:
    """argv running ``tests/programs/NAME.py`` with this interpreter."""
    return [PY, str(PROGRAMS / f"{name}.py"), *args]


class Watched:
    """Every event of a source, read in the background, with waits on what was seen."""

    def __init__(self, source: Any) -> None:
        self.source = source
        self.events: list[Event] = []
        self.chans: dict[int, dict[str, dict[str, Any]]] = {}
        """Latest open channels per pid (from ``proc.chan``)."""
        self.masks: dict[int, dict[str, int]] = {}
        self.seen: dict[int, dict[str, Any]] = {}
        self.ended = asyncio.Event()
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> Watched:
        await self.source.start()
        self._task = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        async for event in self.source.events():
            self.events.append(event)
            if event.kind == "proc.chan":
                chans = self.chans.setdefault(event.pid, {})
                if event.get("open"):
                    chans[event.get("chan")] = dict(event.fields)
                else:
                    chans.pop(event.get("chan"), None)
            elif event.kind == "proc.signals":
                self.masks[event.pid] = dict(event.fields)
            elif event.kind == "proc.seen":
                self.seen[event.pid] = dict(event.fields)
            self._changed.set()
        self.ended.set()
        self._changed.set()

    async def until(self, check: Callable[[Watched], Any], timeout: float = 30.0,
                    what: str = "a condition") -> Any:
        """Wait until ``check(self)`` is truthy (re-checked after each event); return it."""
        async def wait() -> Any:
            while True:
                result = check(self)
                if result:
                    return result
                if self.ended.is_set():
                    raise AssertionError(f"the stream ended before {what}")
                self._changed.clear()
                await self._changed.wait()
        try:
            return await asyncio.wait_for(wait(), timeout)
        except TimeoutError:
            raise AssertionError(f"no {what} within {timeout}s; last events: "
                                 f"{[(e.pid, e.kind) for e in self.events[-8:]]}") from None

    def lines(self, kind: str = "io.stdout") -> list[str]:
        return [str(e.get("line")) for e in self.events if e.kind == kind]

    def of(self, kind: str) -> list[Event]:
        return [e for e in self.events if e.kind == kind]

    async def finish(self, timeout: float = 30.0) -> list[Event]:
        """Wait for the stream's end (the program ended by itself)."""
        await asyncio.wait_for(self.ended.wait(), timeout)
        return self.events

    async def stop(self) -> None:
        await self.source.stop()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task


def bit(signum: int) -> int:
    """The mask bit of signal ``signum`` in /proc/PID/status (bit n - 1)."""
    return 1 << (signum - 1)


async def all_gone(pids: list[int], timeout: float = 10.0) -> bool:
    """Whether every pid has ended (gone, or a zombie its new parent will reap) in time."""
    import psutil

    async def wait() -> None:
        while True:
            alive = []
            for pid in pids:
                try:
                    if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                        alive.append(pid)
                except psutil.Error:
                    pass
            if not alive:
                return
            await asyncio.sleep(0.02)
    try:
        await asyncio.wait_for(wait(), timeout)
    except TimeoutError:
        return False
    return True
