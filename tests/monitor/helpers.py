"""Helpers for the event-stream tests: forked writers and bounded waits (no sleeps)."""

from __future__ import annotations

import asyncio
import os
import signal
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from ipccore import _trace
from ipccore.monitor.collector import Collector
from ipccore.monitor.emitter import SocketEmitter
from ipcevents.events import Event

Collectors = Callable[..., Awaitable[Collector]]
"""The ``collectors`` fixture: ``await collectors(...)`` makes a started collector."""


def fork_writer(
    path: str, body: Callable[[SocketEmitter], None], *, close: bool = True, ring: bool = True,
    full: bool | None = None,
) -> int:
    """Fork a child that connects to ``path``, runs ``body`` and exits 0 (1 on error).

    ``ring=False`` keeps every event on the socket (the transport without the ring);
    ``full`` is the emitter's full mode (None: from the environment).
    """
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            emitter = SocketEmitter(path, ring=ring, full=full)
            _trace.emitter = emitter
            body(emitter)
            if close:
                emitter.close()
        except BaseException:
            traceback.print_exc()
            code = 1
        finally:
            os._exit(code)
    return pid


async def reap(pid: int, timeout: float = 20.0) -> int:
    """waitpid without threads, bounded; returns the wait status. Kills on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise AssertionError(f"child {pid} did not end within {timeout}s")
        await asyncio.sleep(0.005)


async def collect(collector: Collector, pid: int, timeout: float = 20.0) -> list[Event]:
    """Reap ``pid`` as the launched program, then gather the stream until monitor.end."""
    status = await reap(pid, timeout)
    code = os.waitstatus_to_exitcode(status)
    collector.program_ended(pid, code if code >= 0 else None, -code if code < 0 else None)
    return await asyncio.wait_for(_all(collector), timeout)


async def _all(collector: Collector) -> list[Event]:
    return [event async for event in collector.events()]


async def events_until(events: AsyncIterator[Event], done: Callable[[Event], bool],
                       timeout: float = 30.0) -> list[Event]:
    """The stream's events up to and including the first for which ``done`` holds; the
    stream must get there within ``timeout`` seconds (a deadline, not a sleep)."""
    seen: list[Event] = []

    async def read() -> None:
        async for event in events:
            seen.append(event)
            if done(event):
                return
        raise AssertionError(f"the stream ended before the event awaited: {seen[-3:]}")

    await asyncio.wait_for(read(), timeout)
    return seen


def of_kind(events: list[Event], kind: str, pid: int | None = None) -> list[Event]:
    return [e for e in events if e.kind == kind and (pid is None or e.pid == pid)]


@pytest.fixture(name="collectors")
async def collectors_fixture() -> AsyncIterator[Collectors]:
    """A factory of started collectors, all closed (socket and private dir removed) at
    teardown even when the test failed; then checks their directories are gone."""
    made: list[Collector] = []

    async def make(*args: object, **kwargs: object) -> Collector:
        collector = Collector(*args, **kwargs)  # type: ignore[arg-type]
        made.append(collector)
        await collector.start()
        return collector

    yield make
    for collector in made:
        await collector.close()
    left = [str(c.path.parent) for c in made if c.path.parent.exists() and c._own_dir]
    assert not left, f"private directories left behind: {left}"


def measured(events: list[Event]) -> set[int]:
    """Pids with a non-zero rss: sampled (``proc.stats``, the moment each is first seen)
    or measured at their end (``proc.reap``'s ``maxrss``, from the parent's wait4). At
    --speed 0.1 a whole demo can end before the collector's next tick: without those two,
    a fast machine saw no sample at all."""
    sampled = {e.pid for e in events if e.kind == "proc.stats" and e.get("rss", 0) > 0}
    final = {e.get("child") for e in events if e.kind == "proc.reap" and e.get("maxrss", 0) > 0}
    return sampled | final
