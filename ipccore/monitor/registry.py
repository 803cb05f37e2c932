"""What the collector knows about the monitored program, learnt from its events.

A registry of pids, pipe ends and queues (not a tree: it keeps no parent links; the
launched program's descendants are asked of psutil when a command needs them). Commands
are checked against it (which pids are ours, which pipe end belongs to which child,
which queues were opened), and the sampling loop reads it (which pids and queues to
sample).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Plain frozen records, one per thing the registry knows: alike in shape by nature (the
# duplicate finder pairs them with other such records).


@dataclass(frozen=True, slots=True)
class PipeEnd:
    """The master's end of a child's pipe, from ``proc.spawn``."""

    master: int
    fd: int
    pipe_type: int


@dataclass(frozen=True, slots=True)
class QueueInfo:
    """A queue seen in ``queue.open``."""

    key: int
    msqid: int
    created: bool


@dataclass
class Registry:
    """Pids, pipe ends and queues of the monitored program."""

    top: int | None = None
    """The launched program's pid (live source only)."""
    pids: set[int] = field(default_factory=set)
    """Every pid that connected, said hello or was spawned; never forgotten."""
    alive: set[int] = field(default_factory=set)
    """Known pids not yet reaped or gone: the ones the samplers look at."""
    reaped: set[int] = field(default_factory=set)
    pipes: dict[int, PipeEnd] = field(default_factory=dict)
    queues: dict[int, QueueInfo] = field(default_factory=dict)
    """By msqid."""
    exits: dict[int, tuple[int | None, int | None]] = field(default_factory=dict)
    """Exit status learnt outside the stream (the launched program's wait)."""

    def add_pid(self, pid: int) -> None:
        if pid > 1 and pid not in self.pids:
            self.pids.add(pid)
            self.alive.add(pid)

    def learn(self, pid: int, kind: str, fields: Mapping[str, Any]) -> None:
        """Update from one accepted event (pipe and queue messages teach nothing)."""
        if kind == "proc.spawn":
            child = fields.get("child")
            if isinstance(child, int):
                self.add_pid(child)
                fd, ptype = fields.get("fd"), fields.get("pipe_type")
                if isinstance(fd, int) and isinstance(ptype, int) and ptype > 0:
                    self.pipes[child] = PipeEnd(pid, fd, ptype)
        elif kind == "proc.reap":
            child = fields.get("child")
            if isinstance(child, int):
                self.reaped.add(child)
                self.alive.discard(child)
        elif kind == "queue.open":
            key, msqid = fields.get("key"), fields.get("msqid")
            if isinstance(key, int) and isinstance(msqid, int):
                old = self.queues.get(msqid)
                created = bool(fields.get("created")) or (old is not None and old.created)
                self.queues[msqid] = QueueInfo(key, msqid, created)
        elif kind == "proc.hello":
            self.add_pid(pid)

    def queue_by_key(self, key: int) -> QueueInfo | None:
        for info in self.queues.values():
            if info.key == key:
                return info
        return None
