"""Shared helpers for the TUI tests: recordings, synthetic events and waiting on the app."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot

from ipcevents.events import Event
from ipcevents.replay import read_recording

RECORDINGS = Path(__file__).parent.parent / "data" / "recordings"
T0 = 1764336000.0


def recording(name: str, handwritten: bool = False) -> list[Event]:
    """A committed recording: real (``record`` CLI) or hand-written with the seed's timing."""
    folder = RECORDINGS / "handwritten" if handwritten else RECORDINGS
    return list(read_recording(folder / f"{name}.ndjson"))


def ev(pid: int, kind: str, dt: float = 0.0, **fields: object) -> Event:
    return Event(0, T0 + dt, pid, kind, fields)


def family(master: int = 4100, children: tuple[int, ...] = (4101, 4102)) -> list[Event]:
    """A master and its children said hello (what every demo starts with)."""
    out = [ev(master, "proc.hello", role="master", ppid=1, name="master", id=None)]
    for i, child in enumerate(children, 1):
        out.append(ev(master, "proc.spawn", child=child, id=i, pipe_type=2, fd=5))
        out.append(ev(child, "proc.hello", role="child", ppid=master, name=f"w{i}", id=i))
    return out


async def wait_for(pilot: Pilot[int], cond: Callable[[], bool], timeout: float = 10.0) -> None:
    """Let the app run until ``cond()`` holds (a deadline, not a sleep)."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached before the deadline")
        await pilot.pause(0.02)


def family_of(events: list[Event]) -> tuple[int, list[int]]:
    """The master's pid and its children's in ``Process.id`` order, read from a recording
    (re-recording changes every pid: tests never write them down)."""
    spawns = sorted((e.get("id"), e.get("child"), e.pid) for e in events
                    if e.kind == "proc.spawn")
    return spawns[0][2], [child for _, child, _ in spawns]
