"""Sampling a process tree from the kernel and reporting what changed as events.

The watcher is hosted by a live source next to its collector: about 10 times a second
it walks the tree (the launched program or the watched pid, their descendants, and every
process that said hello), reads each process's descriptors, signal masks and I/O
counters, pairs the descriptors into channels and injects an event for each change:
``proc.seen`` for a new process (again when it execs), ``proc.chan`` for a channel that
appeared, changed or closed, ``proc.signals`` when the masks change, ``proc.io`` when the
counters move.
Unchanged samples cost nothing in the stream, so a recording stays small.

The reading half of a sample runs in a worker thread (the monitor's UI shares this
event loop); the comparing and reporting half runs on the loop, so the watcher's memory,
the registry and the collector are only ever touched from the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from dataclasses import dataclass, field
from typing import Any

from ipccore import _sysv
from ipccore._sysv import QueueRow
from ipccore.monitor.collector import Collector
from ipccore.monitor.registry import QueueInfo
from ipccore.observe import channels, procfs
from ipccore.observe.backlog import pipe_backlog
from ipccore.observe.tasks import cancel_and_wait
from ipccore.observe.unixdiag import UnixDiag

INTERVAL_S = 0.09
"""Between two samples: at least 10 a second, with room for a late wake-up."""
CMD_MAX = 200
INODES_MAX = 4096
"""Pipe and socket inodes whose holders are remembered for the tracer."""


def _start_time(pid: int) -> int | None:
    """Clock ticks since boot at which ``pid`` started: with the pid, a process identity."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read()
        return int(raw[raw.rindex(b")") + 2:].split()[19])
    except (OSError, ValueError, IndexError):
        return None


@dataclass(frozen=True, slots=True)
class _Plan:
    """What one sample reads: the trees under ``seeds``, without the ``skip`` pids."""

    seeds: list[int]
    skip: frozenset[int]
    known: frozenset[int]
    """Pids already identified (their start time is not read again)."""


@dataclass(slots=True)
class _Reading:
    """What the kernel said in one sample, before it is compared with the last one."""

    status: dict[int, procfs.Status] = field(default_factory=dict)
    started: dict[int, int | None] = field(default_factory=dict)
    cmds: dict[int, str] = field(default_factory=dict)
    io: dict[int, dict[str, int]] = field(default_factory=dict)
    fds: dict[int, list[procfs.FdEnd]] = field(default_factory=dict)
    foreign: list[int] = field(default_factory=list)
    queues: dict[int, QueueRow] = field(default_factory=dict)
    holders: dict[int, list[tuple[int, procfs.FdEnd]]] = field(default_factory=dict)
    joined: dict[int, dict[str, dict[str, Any]]] = field(default_factory=dict)


class TreeWatcher:
    """Samples ``roots``, their descendants and the collector's known pids."""

    def __init__(self, collector: Collector, roots: list[int] | None = None,
                 interval: float = INTERVAL_S) -> None:
        self.collector = collector
        self.roots = list(roots or [])
        self.interval = interval
        self.hidden = frozenset({os.getpid()})
        self.known: dict[int, int | None] = {}
        """Every pid seen, with its start time (so a reused pid is not taken for it)."""
        self.foreign: set[int] = set()
        """Descendants of another uid: never sampled."""
        self.samples = 0
        self.busy_s = 0.0
        """Time spent sampling, for the cost per sample."""
        self.transparent: set[int] = set()
        """Pids walked through but not reported (strace between the monitor and the
        program)."""
        self.by_ino: dict[int, list[tuple[int, procfs.FdEnd]]] = {}
        """Who held each pipe or socket inode at the last sample (a tracer's resolver)."""
        self._chans: dict[int, dict[str, dict[str, Any]]] = {}
        self._masks: dict[int, procfs.SignalMasks] = {}
        self._cmds: dict[int, str] = {}
        self._io: dict[int, dict[str, int]] = {}
        self._unix = UnixDiag()
        self._task: asyncio.Task[None] | None = None
        self._reading: asyncio.Future[_Reading] | None = None
        """The read running in a worker thread, if any."""

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None
        if self._reading is not None:
            # A read cancelled with its task still runs in its thread: the sock_diag
            # socket it may be using is closed only once it is done.
            with contextlib.suppress(Exception):
                await self._reading
            self._reading = None
        self._unix.close()

    async def _run(self) -> None:
        next_at = time.monotonic()
        while True:
            await self.sample_off_loop()
            next_at = max(next_at + self.interval, time.monotonic() + 0.01)
            await asyncio.sleep(next_at - time.monotonic())

    def alive(self) -> list[int]:
        """Known pids still running as the same process (zombies count until reaped)."""
        return [p for p, t in self.known.items() if t is not None and _start_time(p) == t]

    def sample(self) -> None:
        """One sample, all of it here (the first one, before the stream is served)."""
        started = time.perf_counter()
        self._apply(self._read(self._plan()), started)

    async def sample_off_loop(self) -> None:
        """One sample whose reading (``/proc``, sock_diag, the SysV table: 1.6-4.5 ms for
        one to five processes) runs in a worker thread, so the event loop it shares with
        the monitor's UI stays free; what it found is compared and reported back here, on
        the loop, so the watcher's memory and the collector are only touched from it."""
        started = time.perf_counter()
        plan = self._plan()
        self._reading = asyncio.ensure_future(asyncio.to_thread(self._read, plan))
        reading = await asyncio.shield(self._reading)
        self._reading = None
        self._apply(reading, started)

    def _plan(self) -> _Plan:
        """What to read, decided on the loop from what the watcher knows."""
        seeds = [*self.roots, *sorted(self.collector.registry.alive), *self.alive()]
        skip = frozenset({os.getpid(), *self.foreign, *self.transparent})
        return _Plan(seeds, skip, frozenset(self.known))

    def _read(self, plan: _Plan) -> _Reading:
        """Every kernel read of one sample; touches nothing of the watcher's but the
        sock_diag socket (which serialises its own calls), so it may run in a thread."""
        me = os.getpid()
        reading = _Reading()
        for pid in procfs.descendants(plan.seeds):
            if pid in plan.skip:
                continue
            status = procfs.read_status(pid)
            if status is None:
                continue
            if status.uid != os.getuid():
                reading.foreign.append(pid)
                continue
            reading.status[pid] = status
            if pid not in plan.known:
                reading.started[pid] = _start_time(pid)
            reading.cmds[pid] = (procfs.read_cmdline(pid) or "")[:CMD_MAX]
            io = procfs.read_io(pid)
            if io is not None:
                reading.io[pid] = io
            ends = procfs.read_fds(pid)
            if ends is not None:
                reading.fds[pid] = ends
        mine = procfs.read_fds(me)
        if mine is not None:
            reading.fds[me] = mine
        fds = reading.fds
        unix = self._unix.dump() if any(e.kind == "socket" for v in fds.values()
                                        for e in v) else {}
        table = _sysv.read_table()
        watched = set(fds)
        reading.queues = {m: r for m, r in table.items()
                          if r.lspid in watched or r.lrpid in watched}
        reading.holders = channels.holders(fds)
        reading.joined = channels.join(fds, unix, reading.queues, hidden=self.hidden,
                                       backlog=pipe_backlog)
        return reading

    def _apply(self, reading: _Reading, started: float) -> None:
        """Report what changed since the last sample (on the loop)."""
        collector, inject = self.collector, self.collector.inject
        self.foreign.update(reading.foreign)
        for pid, status in reading.status.items():
            if pid not in self.known:
                self.known[pid] = reading.started.get(pid)
                collector.registry.add_pid(pid)
            cmd = reading.cmds[pid]
            if self._cmds.get(pid) != cmd:  # new, or it exec'd (a shell's child)
                self._cmds[pid] = cmd
                inject("proc.seen", {"ppid": status.ppid, "cmd": cmd}, pid=pid)
            if self._masks.get(pid) != status.masks:
                self._masks[pid] = m = status.masks
                inject("proc.signals", {"caught": m.caught, "blocked": m.blocked,
                                        "ignored": m.ignored, "pending": m.pending}, pid=pid)
            io = reading.io.get(pid)
            if io is not None and self._io.get(pid) != io:
                self._io[pid] = io
                inject("proc.io", dict(io), pid=pid)
        for row in reading.queues.values():
            if row.msqid not in collector.registry.queues:
                collector.registry.queues[row.msqid] = QueueInfo(row.key, row.msqid, False)
        self._remember(reading.holders)
        self._report(reading.joined)
        self.samples += 1
        self.busy_s += time.perf_counter() - started

    def refresh_holders(self) -> None:
        """Re-read who holds which inode (no events): for a tracer that met a pipe
        created since the last sample."""
        me = os.getpid()
        seeds = [*self.roots, *sorted(self.collector.registry.alive), *self.alive()]
        fds: dict[int, list[procfs.FdEnd]] = {}
        for pid in [*procfs.descendants(seeds), me]:
            if pid in self.foreign:
                continue
            ends = procfs.read_fds(pid)
            if ends is not None:
                fds[pid] = ends
        self._remember(channels.holders(fds))

    def _remember(self, fresh: dict[int, list[tuple[int, procfs.FdEnd]]]) -> None:
        """Who holds each inode, added to what was known before: strace's lines can be
        parsed after an end of a pipe was closed (or both), and its last holders are still
        its peers. Pipe and socket inodes come from a counter, so one is not soon reused.
        Bounded: the inodes seen longest ago are forgotten first."""
        merged = self.by_ino
        for ino, now in fresh.items():
            known = merged.pop(ino, [])
            merged[ino] = known + [h for h in now if h not in known]
        while len(merged) > INODES_MAX:
            del merged[next(iter(merged))]

    def peer_of(self, ino: int, pid: int, writing: bool, pipe: bool) -> int | None:
        """The pid at the other end of inode ``ino`` (a pipe's, or a socket's peer's) as
        last sampled; for a pipe, a holder of the opposite direction."""
        want = (0, 2) if writing else (1, 2)
        holders = [p for p, end in self.by_ino.get(ino, [])
                   if not pipe or end.mode in want]
        others = sorted(set(holders) - {pid})
        return others[0] if others else (pid if holders else None)

    def _report(self, joined: dict[int, dict[str, dict[str, Any]]]) -> None:
        inject = self.collector.inject
        for pid, chans in joined.items():
            before = self._chans.get(pid, {})
            for cid, fields in chans.items():
                if before.get(cid) != fields:
                    inject("proc.chan", {"chan": cid, **fields, "open": True}, pid=pid)
            for cid in before.keys() - chans.keys():
                inject("proc.chan", {"chan": cid, "open": False}, pid=pid)
            self._chans[pid] = chans
        for pid in list(self._chans):
            if pid not in joined:
                del self._chans[pid]
                self._masks.pop(pid, None)
                self._io.pop(pid, None)
                self._cmds.pop(pid, None)

    @property
    def cost_ms(self) -> float:
        """Mean time of one sample, in milliseconds."""
        return 1000 * self.busy_s / self.samples if self.samples else 0.0
