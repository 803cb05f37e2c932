"""The collector's own observations, on a timer: process stats, queue depths, and
processes that vanished without their parent's ``proc.reap``.

Queue depths every ``depth_interval`` (a queue fills and drains fast), psutil stats
every ``stats_interval``, and a new process the moment it is first seen: its hello
(the first line after it connects, so a process's own events start with its hello) or
its parent's ``proc.spawn`` (a child that execs never says hello); a short-lived one may
be gone by the next tick.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from ipccore.monitor.registry import Registry
from ipccore.monitor.sampler import ProcSampler, QueueSampler
from ipccore.monitor.stream import Stream

GONE_GRACE_S = 0.3
"""How long a vanished pid waits for its parent's ``proc.reap`` before ``proc.gone``."""


class Sampling:
    """Samples what the registry knows into the stream."""

    def __init__(
        self, registry: Registry, stream: Stream, connected: Callable[[], set[int]],
        stats_interval: float, depth_interval: float,
    ) -> None:
        # Parallel attribute lists: each part of the collector keeps the collaborators it
        # is wired with (the duplicate finder pairs these constructors by shape).
        self.registry = registry
        self.stream = stream
        self._connected = connected
        self.stats_interval = stats_interval
        self.depth_interval = depth_interval
        self._procs = ProcSampler()
        self._queues = QueueSampler()
        self._vanished: dict[int, float] = {}
        self._sampled: set[int] = set()
        """Pids sampled at least once: a new pid is sampled at the next tick."""

    async def run(self) -> None:
        """Sample until cancelled."""
        next_stats = 0.0
        next_tick = time.monotonic()
        while True:
            now = time.monotonic()
            self._sample_queues()
            self.check_gone(now, final=False)
            due = now >= next_stats
            if due:
                next_stats = now + self.stats_interval
            for pid in sorted(self.registry.alive):
                if due or pid not in self._sampled:
                    self._sample_pid(pid)
            next_tick = max(next_tick + self.depth_interval, time.monotonic() + 0.01)
            await asyncio.sleep(next_tick - time.monotonic())

    def _sample_pid(self, pid: int) -> None:
        self._sampled.add(pid)
        stats = self._procs.sample(pid)
        if stats is not None:
            self.stream.inject("proc.stats", stats, pid=pid)

    def sample_first(self, pid: int) -> None:
        """Sample a pid the moment it is first seen: a short-lived process may be gone by
        the next tick (a whole demo can end within one ``depth_interval``)."""
        if pid not in self._sampled:
            self._sample_pid(pid)

    def _sample_queues(self) -> None:
        depths, vanished = self._queues.sample(list(self.registry.queues.values()))
        for fields in depths:
            self.stream.inject("queue.depth", fields)
        for info in vanished:
            self.registry.queues.pop(info.msqid, None)

    def check_gone(self, now: float, *, final: bool) -> None:
        """``proc.gone`` for known pids that no longer exist and were not reaped."""
        connected = self._connected()
        registry = self.registry
        for pid in sorted(registry.alive):
            if self._procs.exists(pid):
                continue
            first = self._vanished.setdefault(pid, now)
            if not final and (now - first < GONE_GRACE_S or pid in connected):
                continue
            registry.alive.discard(pid)
            self._procs.forget(pid)
            if pid not in registry.reaped:
                code, sig = registry.exits.get(pid, (None, None))
                self.stream.inject("proc.gone", {"code": code, "signal": sig}, pid=pid)
