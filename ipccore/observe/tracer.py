"""``--trace``: follow a program with strace and feed what it sees to the collector.

strace writes to a file in the collector's private directory (0700); a task tails it
every 20 ms, parses the lines (:mod:`ipccore.observe.strace`) and hands each event to
the collector in a lane of its own. A process that is attached to the collector (an
ipccore program) already reports every operation itself, richer, so its traced events
are dropped: the two streams merge without doubles. ptrace stops the program at every
traced system call: it runs several times slower, which the UI says.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import os
import shutil
from pathlib import Path

from ipccore import _sysv
from ipccore.monitor.collector import Collector
from ipccore.observe.strace import STRING_MAX, TRACED_CALLS, FdRef, StraceParser, Traced
from ipccore.observe.tasks import cancel_and_wait
from ipccore.observe.watcher import TreeWatcher
from ipcevents.events import Event

POLL_S = 0.02
SETTLE_S = 0.05
"""Traced events wait until strace has printed lines this much later (its own clock) and
are handed on in time order: a reader woken by a write can have its line printed before
the writer's, and a read must never come before its write in the stream."""
SLOWDOWN_NOTE = "traced with strace: ptrace slows the program down"


class TraceUnavailable(RuntimeError):
    """strace is not installed (or cannot be run here)."""


def strace_path() -> str:
    path = shutil.which("strace")
    if path is None:
        raise TraceUnavailable("--trace needs strace, which is not installed "
                               "(Debian/Ubuntu: apt-get install strace)")
    return path


def strace_argv(output: Path, *, command: list[str] | None = None,
                pids: list[int] | None = None) -> list[str]:
    """strace's command line: follow forks, wall-clock times, fd kinds, bounded strings."""
    argv = [strace_path(), "-f", "-qq", "-ttt", "-yy", "-s", str(STRING_MAX),
            "-e", "trace=" + ",".join(TRACED_CALLS), "-o", str(output)]
    for pid in pids or []:
        argv += ["-p", str(pid)]
    if command:
        argv += ["--", *command]
    return argv


def explain(line: str) -> str:
    """strace's own complaint, with what to do about it."""
    if "Operation not permitted" in line and "ptrace" in line:
        return (f"{line}: ptrace is not permitted here (another tracer, "
                "/proc/sys/kernel/yama/ptrace_scope, or a container without CAP_SYS_PTRACE)")
    return line


class Tracer:
    """Tails strace's output file into ``collector``; peers come from ``watcher``."""

    def __init__(self, collector: Collector, watcher: TreeWatcher | None) -> None:
        self.collector = collector
        self.watcher = watcher
        self.output = collector.path.parent / "trace.out"
        self.events = 0
        self.dropped_attached = 0
        self._parser = StraceParser(self._resolve, self._queue_key)
        self._keys: dict[int, int] = {}
        self._task: asyncio.Task[None] | None = None
        self._file: int | None = None
        self._tail = b""
        self._held: list[Traced] = []
        self._latest = 0.0

    def _resolve(self, ref: FdRef, pid: int, writing: bool) -> int | None:
        if self.watcher is None:
            return None
        if ref.pipe:
            return self.watcher.peer_of(ref.ino, pid, writing, pipe=True)
        if ref.peer_ino is None:
            return None
        return self.watcher.peer_of(ref.peer_ino, pid, writing, pipe=False)

    def _queue_key(self, msqid: int) -> int | None:
        if msqid not in self._keys:
            row = _sysv.read_table().get(msqid)
            if row is None:
                return None
            self._keys[msqid] = row.key
        return self._keys[msqid]

    def prepare(self) -> None:
        """Create the output file (ours, 0600) before strace opens it."""
        fd = os.open(self.output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.close(fd)
        self._file = os.open(self.output, os.O_RDONLY | os.O_CLOEXEC)

    def start(self) -> None:
        if self._file is None:
            self.prepare()
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            self.poll()
            await asyncio.sleep(POLL_S)

    def poll(self, final: bool = False) -> None:
        """Parse what strace wrote since the last poll; ``final``: strace is done."""
        if self._file is None:
            return
        while True:
            chunk = os.read(self._file, 1 << 16)
            if not chunk:
                break
            self._tail += chunk
        lines = self._tail.split(b"\n")
        self._tail = lines.pop()
        attached, inject = self.collector.attached, self.collector.inject_traced
        hidden = self.watcher.hidden if self.watcher is not None else frozenset()
        for raw in lines:
            for item in self._parser.feed(raw.decode("utf-8", "surrogateescape")):
                if item.pid in attached:
                    self.dropped_attached += 1
                    continue
                self._held.append(item)
                self._latest = max(self._latest, item.ts)
        self._held.sort(key=lambda item: item.ts)
        cut = len(self._held) if final else bisect.bisect_right(
            [item.ts for item in self._held], self._latest - SETTLE_S)
        ready, self._held = self._held[:cut], self._held[cut:]
        self.events += len(ready)
        refreshed = False
        for item in ready:
            fields = item.fields
            if item.ref is not None:
                side = "to" if item.kind == "pipe.write" else "from"
                if fields.get(side) is None and self.watcher is not None:
                    if not refreshed:  # the pipe is newer than the last sample: look again
                        self.watcher.refresh_holders()
                        refreshed = True
                    fields = {**fields, side: self._resolve(item.ref, item.pid,
                                                            item.kind == "pipe.write")}
                if fields.get(side) in hidden:
                    self.events -= 1
                    continue  # its output to the monitor: already io.stdout/io.stderr
            inject(Event(0, item.ts, item.pid, item.kind, fields))

    async def stop(self) -> None:
        """Take the last lines, then close."""
        await cancel_and_wait(self._task)
        self._task = None
        self.poll(final=True)
        if self._file is not None:
            os.close(self._file)
            self._file = None
        with contextlib.suppress(OSError):
            self.output.unlink()
