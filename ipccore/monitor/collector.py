"""The collector: accepts every process's connection, orders, samples and serves events.

Every byte that arrives is untrusted: peers of another uid are refused (SO_PEERCRED), and
over-long, binary, malformed, mistyped or unknown-kind lines are counted and skipped,
reported as ``monitor.invalid``. The peer's pid (from the kernel) is the truth for
``pid``: a forked child opens its own connection, so they agree for honest peers.
Events wait a short reorder window, are released by timestamp (clamped so each
connection's order is kept) and numbered with ``seq``; the recording gets exactly the
lines that ``events()`` serves.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import struct
import time
from collections import deque
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO, Any

from ipccore.monitor.order import Reorder
from ipccore.monitor.privdir import make_private_dir, reclaim_stale_dirs
from ipccore.monitor.ring import RingError, RingReader
from ipccore.monitor.sampler import ProcSampler, QueueSampler
from ipccore.monitor.tree import Tree
from ipcevents.events import Event, EventDecodeError, check_fields

MAX_LINE = 16384
"""Longest accepted line in bytes; emitters bound previews and io lines well below."""
GONE_GRACE_S = 0.3
"""How long a vanished pid waits for its parent's ``proc.reap`` before ``proc.gone``."""
_CRED = struct.Struct("3i")
_SET_SEQ = Event.__dict__["seq"].__set__
"""The frozen Event's ``seq`` slot, set in place when an event is released."""


def check_private_dir(path: Path) -> None:
    """Refuse a socket path whose directory is not ours with mode 0700 (ValueError)."""
    try:
        st = path.parent.stat()
    except OSError as exc:
        raise ValueError(f"cannot use {str(path)!r}: {exc.strerror}") from None
    if st.st_uid != os.getuid() or st.st_mode & 0o077:
        raise ValueError(
            f"refusing {str(path)!r}: its directory must belong to you and have mode 0700 "
            f"(it has owner uid {st.st_uid}, mode {oct(st.st_mode & 0o777)})"
        )


class Collector:
    """One socket, any number of processes, one ordered stream."""

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        record: str | os.PathLike[str] | None = None,
        reorder_s: float = 0.04,
        stats_interval: float = 0.5,
        depth_interval: float = 0.09,
        uid: int | None = None,
        buffer_max: int = 200_000,
    ) -> None:
        self._own_dir: Path | None = None
        if path is None:
            reclaim_stale_dirs()
            self._own_dir = make_private_dir()
            self.path = self._own_dir / "events.sock"
        else:
            self.path = Path(path)
            check_private_dir(self.path)
        self._record_path = Path(record) if record is not None else None
        self._record: IO[str] | None = None
        self.reorder_s = reorder_s
        self.stats_interval = stats_interval
        self.depth_interval = depth_interval
        self.uid = os.getuid() if uid is None else uid
        self.buffer_max = buffer_max
        self.tree = Tree()
        self.attached: set[int] = set()
        """Every pid that ever connected (its output is already reported by its tee)."""
        self.invalid = 0
        self.refused = 0
        self.dropped = 0
        self._invalid_pending: dict[str, int] = {}
        self._order = Reorder(reorder_s)
        self._done_lanes: list[int] = []
        self._counter = 0
        self._seq = 0
        self._out: deque[Event | None] = deque()
        """Released events not yet served; ``None`` ends the stream. A plain deque filled
        in batches: an ``asyncio.Queue`` put and get cost more per event than ordering."""
        self._ready = asyncio.Event()
        """Set when something was added to :attr:`_out`."""
        self._conns: dict[int, int] = {}
        self._rings: dict[int, RingReader] = {}
        """Per connection: the shared-memory ring its process writes its events to."""
        self._lane_key: dict[int, float] = {}
        self._writers: dict[int, asyncio.StreamWriter] = {}
        self._vanished: dict[int, float] = {}
        self._sampled: set[int] = set()
        """Pids sampled at least once: a new pid is sampled at the next tick."""
        self._ended: tuple[int | None, int | None] | None = None
        self._finished = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._procs = ProcSampler()
        self._queues = QueueSampler()
        self._closed = False
        self._barrier: socket.socket | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_unix_server(self._serve, path=str(self.path))
        self.path.chmod(0o600)
        if self._record_path is not None:
            self._record = open(self._record_path, "w", encoding="ascii")  # noqa: SIM115
        self._tasks = [asyncio.create_task(self._pump()), asyncio.create_task(self._sample())]

    # -- intake -------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        try:
            pid, uid, _gid = _CRED.unpack(
                sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _CRED.size)
            )
        except (OSError, struct.error):
            pid, uid = 0, -1
        if pid == os.getpid() and self._barrier is not None:
            self._barrier.close()
            self._barrier = None
            writer.close()
            self._maybe_end()
            return
        if uid != self.uid or pid <= 0:
            self.refused += 1
            self._reject(f"peer uid {uid} refused")
            writer.close()
            return
        conn = self._counter = self._counter + 1
        self._conns[conn] = pid
        self.attached.add(pid)
        self._writers[conn] = writer
        self.tree.add_pid(pid)
        self._lane_key[conn] = 0.0
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
                    self._take(line, pid, conn)
                if len(buf) > MAX_LINE:
                    if not skipping:
                        self._reject("line too long")
                    skipping, buf = True, b""
        except (ConnectionError, OSError):
            pass
        finally:
            if buf and not skipping:
                self._reject("peer closed mid-line")
            self._disconnected(conn, writer)

    def _disconnected(self, conn: int, writer: asyncio.StreamWriter) -> None:
        self._close_ring(conn)
        self._lane_key.pop(conn, None)
        del self._conns[conn]
        self._done_lanes.append(conn)
        self._writers.pop(conn, None)
        writer.close()
        self._maybe_end()

    def connected_pids(self) -> set[int]:
        """Pids with an open connection: certainly alive and certainly ours."""
        return set(self._conns.values())

    def _take(self, line: bytes, peer: int, conn: int) -> None:
        if len(line) > MAX_LINE:
            self._reject("line too long")
            return
        try:
            event = Event.from_json(line)
            check_fields(event.kind, event.fields, peer=True)
        except (EventDecodeError, ValueError, RecursionError, UnicodeDecodeError) as exc:
            reason = str(exc).split(":")[0] if not isinstance(exc, EventDecodeError) else str(exc)
            self._reject(reason[:80])
            return
        if event.kind == "monitor.ring":
            self._open_ring(conn, str(event.get("name")))
            return
        if event.pid != peer or event.seq:
            event = Event(0, event.ts, peer, event.kind, event.fields)
        self._push(conn, event)

    def _push(self, conn: int, event: Event) -> None:
        """Into the connection's lane, keeping the lane's keys non-decreasing."""
        self.tree.learn(event)
        key = max(min(event.ts, time.time()), self._lane_key.get(conn, 0.0))
        self._lane_key[conn] = key
        self._order.push(conn, key, event)
        if event.kind == "proc.hello":
            self._sample_first(event.pid)

    # -- rings --------------------------------------------------------------------------

    def _open_ring(self, conn: int, name: str) -> None:
        if conn in self._rings:
            self._reject("a second ring")
            return
        try:
            self._rings[conn] = RingReader(self.path.parent, name, self.uid)
        except (RingError, OSError):
            self._reject("bad ring")

    def _drain(self, conn: int) -> None:
        """Move what a process wrote into its ring since the last drain into its lane."""
        reader, peer = self._rings.get(conn), self._conns.get(conn)
        if reader is None or peer is None:
            return
        before = reader.corrupt
        # Taken before reading the ring: every record in it was stamped earlier, so an
        # honest ts is never clamped (what _push does with the clock per event).
        now = time.time()
        extend = self._order.extend
        last = self._lane_key.get(conn, 0.0)
        batch: list[tuple[float, Event]] = []
        for item in reader.drain(peer):
            if isinstance(item, bytes):
                extend(conn, batch)
                batch = []
                self._lane_key[conn] = last
                self._take(item, peer, conn)
                last = self._lane_key.get(conn, last)
                continue
            # A binary record is a pipe or queue event: nothing for tree.learn().
            ts = item.ts
            if ts > last:
                last = ts if ts < now else max(now, last)
            batch.append((last, item))
        extend(conn, batch)
        self._lane_key[conn] = last
        for _ in range(reader.corrupt - before):
            self._reject("corrupt ring record")

    def _close_ring(self, conn: int) -> None:
        """The writer is gone (EOF): take its last records, then remove the file."""
        if conn in self._rings:
            self._drain(conn)
            self._rings.pop(conn).close()

    def _reject(self, reason: str) -> None:
        self.invalid += 1
        self._invalid_pending[reason] = self._invalid_pending.get(reason, 0) + 1

    def inject(
        self, kind: str, fields: dict[str, Any], pid: int | None = None, ts: float | None = None
    ) -> None:
        """Add an event made by the monitor itself (samples, commands, end).

        ``ts`` is for a command's event, stamped before the command acted: its effects
        (a child's ``signal.handle``) must not sort before their cause.
        """
        now = time.time() if ts is None else ts
        event = Event(0, now, os.getpid() if pid is None else pid, kind, fields)
        self.tree.learn(event)
        self._order.push(0, now, event)

    # -- release ------------------------------------------------------------------------

    def _release(self, upto: float) -> None:
        self._report_invalid()
        record, seq = self._record, self._seq
        ready = self._order.pop_ready(upto)
        # Every Event in the reorder buffer was built here and is seen by no one until
        # now: numbering it in place saves a second frozen-dataclass construction (0.9
        # us, as much as decoding the record).
        for event in ready:
            seq += 1
            _SET_SEQ(event, seq)
        self._seq = seq
        if record is not None:
            record.write("".join([event.to_json() + "\n" for event in ready]))
        room = self.buffer_max - len(self._out)
        if room < len(ready):
            self.dropped += len(ready) - max(room, 0)
            del ready[max(room, 0):]
        if ready:
            self._out.extend(ready)
            self._wake()
        for lane in self._done_lanes:
            self._order.close_lane(lane)
        self._done_lanes.clear()
        if self._record is not None:
            self._record.flush()

    def _report_invalid(self) -> None:
        for reason, count in self._invalid_pending.items():
            self.inject("monitor.invalid", {"count": count, "reason": reason, "line": None})
        self._invalid_pending.clear()

    async def _pump(self) -> None:
        while not self._closed:
            await asyncio.sleep(0.01)
            for conn in list(self._rings):
                self._drain(conn)
            self._release(time.time() - self.reorder_s)

    # -- samples ------------------------------------------------------------------------

    async def _sample(self) -> None:
        next_stats = 0.0
        next_tick = time.monotonic()
        while not self._closed:
            now = time.monotonic()
            self._sample_queues()
            self._check_gone(now, final=False)
            due = now >= next_stats
            if due:
                next_stats = now + self.stats_interval
            for pid in sorted(self.tree.alive):
                if due or pid not in self._sampled:
                    self._sample_pid(pid)
            next_tick = max(next_tick + self.depth_interval, time.monotonic() + 0.01)
            await asyncio.sleep(next_tick - time.monotonic())

    def _sample_pid(self, pid: int) -> None:
        self._sampled.add(pid)
        stats = self._procs.sample(pid)
        if stats is not None:
            self.inject("proc.stats", stats, pid=pid)

    def _sample_first(self, pid: int) -> None:
        """Sample a pid the moment it says hello: a short-lived process may be gone by the
        next tick (a whole demo can end within one ``depth_interval``)."""
        if pid not in self._sampled:
            self._sample_pid(pid)

    def _sample_queues(self) -> None:
        depths, vanished = self._queues.sample(list(self.tree.queues.values()))
        for fields in depths:
            self.inject("queue.depth", fields)
        for info in vanished:
            self.tree.queues.pop(info.msqid, None)

    def _check_gone(self, now: float, *, final: bool) -> None:
        connected = set(self._conns.values())
        for pid in sorted(self.tree.alive):
            if self._procs.exists(pid):
                continue
            first = self._vanished.setdefault(pid, now)
            if not final and (now - first < GONE_GRACE_S or pid in connected):
                continue
            self.tree.alive.discard(pid)
            self._procs.forget(pid)
            if pid not in self.tree.reaped:
                code, sig = self.tree.exits.get(pid, (None, None))
                self.inject("proc.gone", {"code": code, "signal": sig}, pid=pid)

    # -- end ----------------------------------------------------------------------------

    def program_ended(self, pid: int, code: int | None, sig: int | None) -> None:
        """The launched program was reaped; ``monitor.end`` follows once all peers closed."""
        self.tree.exits[pid] = (code, sig)
        self._ended = (code, sig)
        # Connections still in the listen backlog must be counted first: accepts are
        # FIFO, so once our own "barrier" connection is accepted, every earlier one is.
        barrier = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            barrier.connect(str(self.path))
        except OSError:
            barrier.close()
            self._maybe_end()
            return
        self._barrier = barrier

    def _maybe_end(self) -> None:
        if (
            self._ended is None
            or self._conns
            or self._barrier is not None
            or self._finished.is_set()
        ):
            return
        self._check_gone(time.monotonic(), final=True)
        code, sig = self._ended
        self._report_invalid()
        self.inject("monitor.end", {"code": code, "signal": sig})
        self._release(float("inf"))
        self._finished.set()
        self._out.append(None)
        self._wake()

    def _wake(self) -> None:
        self._ready.set()

    async def wait_finished(self) -> None:
        await self._finished.wait()

    async def events(self) -> AsyncIterator[Event]:
        """The ordered events; ends after ``monitor.end`` (or when closed)."""
        out = self._out
        while True:
            # One await per batch: the events already released are served without
            # going back to the event loop between them.
            while out:
                event = out.popleft()
                if event is None:
                    return
                yield event
            self._ready.clear()
            await self._ready.wait()

    async def close(self) -> None:
        """Stop serving, flush what is buffered, remove the socket and private dir."""
        if self._closed:
            return
        self._closed = True
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._barrier is not None:
            self._barrier.close()
            self._barrier = None
        for conn in list(self._rings):
            self._close_ring(conn)
        for writer in list(self._writers.values()):
            writer.close()
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 1.0)
        self._release(float("inf"))
        if not self._finished.is_set():
            self._finished.set()
            self._out.append(None)
            self._wake()
        if self._record is not None:
            self._record.close()
            self._record = None
        with contextlib.suppress(OSError):
            self.path.unlink()
        if self._own_dir is not None:
            shutil.rmtree(self._own_dir, ignore_errors=True)
