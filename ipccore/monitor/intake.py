"""Connections and identity: who is talking to the collector, and what they may say.

Every byte that arrives is untrusted: peers of another uid are refused (SO_PEERCRED), and
over-long, binary, malformed, mistyped or unknown-kind lines are counted and skipped,
reported as ``monitor.invalid``. The peer's pid (from the kernel) is the truth for
``pid``: a forked child opens its own connection, so they agree for honest peers. A
connection says hello, announces its ring (``monitor.ring``) and, by its end of file,
that its process is gone.
"""

from __future__ import annotations

import asyncio
import os
import socket
import struct
from collections.abc import Callable, Mapping
from typing import Any

from ipccore.monitor.registry import Registry
from ipccore.monitor.stream import Stream
from ipcevents.events import Event, EventDecodeError, check_fields

MAX_LINE = 16384
"""Longest accepted line in bytes; emitters bound previews and io lines well below."""
_CRED = struct.Struct("3i")


class Rejects:
    """Invalid input, counted by reason until the next release reports it."""

    def __init__(self) -> None:
        self.total = 0
        self._pending: dict[str, int] = {}

    def add(self, reason: str) -> None:
        self.total += 1
        self._pending[reason] = self._pending.get(reason, 0) + 1

    def report(self, stream: Stream) -> None:
        """One ``monitor.invalid`` per reason seen since the last report."""
        for reason, count in self._pending.items():
            stream.inject("monitor.invalid", {"count": count, "reason": reason, "line": None})
        self._pending.clear()


class Intake:
    """Accepts connections, checks who they are, and reads their lines into the stream."""

    def __init__(  # noqa: PLR0917 - wiring: each collaborator by name
        self, uid: int, registry: Registry, stream: Stream, rejects: Rejects,
        on_ring: Callable[[int, int, str], None], on_closed: Callable[[int], None],
        on_seen: Callable[[int], None], is_barrier: Callable[[int], bool],
    ) -> None:
        # Parallel attribute lists: each part of the collector keeps the collaborators it
        # is wired with (the duplicate finder pairs these constructors by shape).
        self.uid = uid
        self.registry = registry
        self.stream = stream
        self.rejects = rejects
        self._on_ring = on_ring
        self._on_closed = on_closed
        self._on_seen = on_seen
        self._is_barrier = is_barrier
        self.refused = 0
        self.attached: set[int] = set()
        """Every pid that ever connected (its output is already reported by its tee)."""
        self.conns: dict[int, int] = {}
        """Open connections: connection number -> peer pid."""
        self._counter = 0
        self._writers: dict[int, asyncio.StreamWriter] = {}

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One connection, from accept to end of file (the server's callback)."""
        sock = writer.get_extra_info("socket")
        try:
            pid, uid, _gid = _CRED.unpack(
                sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _CRED.size)
            )
        except (OSError, struct.error):
            pid, uid = 0, -1
        if pid == os.getpid() and self._is_barrier(pid):
            writer.close()
            return
        if uid != self.uid or pid <= 0:
            self.refused += 1
            self.rejects.add(f"peer uid {uid} refused")
            writer.close()
            return
        conn = self._counter = self._counter + 1
        self.conns[conn] = pid
        self.attached.add(pid)
        self._writers[conn] = writer
        self.registry.add_pid(pid)
        self.stream.open_lane(conn)
        try:
            await self._read_lines(reader, pid, conn)
        finally:
            del self.conns[conn]
            self._writers.pop(conn, None)
            writer.close()
            self._on_closed(conn)

    async def _read_lines(self, reader: asyncio.StreamReader, pid: int, conn: int) -> None:
        buf = b""
        skipping = False
        try:
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    break
                buf += chunk
                lines = buf.split(b"\n")
                buf = lines.pop()
                for line in lines:
                    if skipping:
                        skipping = False
                        continue
                    self.take(line, pid, conn)
                if len(buf) > MAX_LINE:
                    if not skipping:
                        self.rejects.add("line too long")
                    skipping, buf = True, b""
        except (ConnectionError, OSError):
            pass
        if buf and not skipping:
            self.rejects.add("peer closed mid-line")

    def take(self, line: bytes, peer: int, conn: int, *, learn: bool = True) -> None:
        """One NDJSON line of ``peer`` (from its socket or its ring): check, then queue.

        ``learn=False`` for a line already learnt from while the program ran (a spooled
        ring's JSON record, see :meth:`learn`): it is only checked and queued.
        """
        event = self._check(line)
        if event is None:
            return
        kind, fields = event.kind, event.fields
        if kind == "monitor.ring":
            self._on_ring(conn, peer, str(fields.get("name")))
            return
        if learn:
            self.registry.learn(peer, kind, fields)
        self.stream.push(conn, (event.ts, peer, kind, fields))
        if learn:
            self._seen(peer, kind, fields)

    def learn(self, line: bytes, peer: int) -> None:
        """What the collector must know while the program runs (pids, reaps, queues),
        from a JSON record of a spooled ring: the record itself is checked, counted if
        bad and queued when the spool is read back (:meth:`take` with ``learn=False``)."""
        event = self._check(line, count=False)
        if event is not None and event.kind != "monitor.ring":
            self.registry.learn(peer, event.kind, event.fields)
            self._seen(peer, event.kind, event.fields)

    def _check(self, line: bytes, *, count: bool = True) -> Event | None:
        """The line as an accepted peer event, or None (counted as rejected)."""
        if len(line) > MAX_LINE:
            if count:
                self.rejects.add("line too long")
            return None
        try:
            event = Event.from_json(line)
            check_fields(event.kind, event.fields, peer=True)
        except (EventDecodeError, ValueError, RecursionError, UnicodeDecodeError) as exc:
            reason = str(exc).split(":")[0] if not isinstance(exc, EventDecodeError) else str(exc)
            if count:
                self.rejects.add(reason[:80])
            return None
        return event

    def _seen(self, peer: int, kind: str, fields: Mapping[str, Any]) -> None:
        """A process seen for the first time is sampled at once."""
        if kind == "proc.hello":
            self._on_seen(peer)
        elif kind == "proc.spawn" and type(fields.get("child")) is int:
            # A child that never says hello (it execs, or dies first) is sampled too.
            self._on_seen(fields["child"])

    def close_all(self) -> None:
        """Close every open connection (the collector is stopping)."""
        for writer in list(self._writers.values()):
            writer.close()
