"""Ordering and release: per-connection lanes in, one numbered stream out.

Each connection is a lane whose events keep their order; a lane's keys are its events'
times, clamped so they never decrease and never pass the clock (a peer cannot push its
events ahead of everyone else's). Events wait :attr:`Stream.reorder_s` in the reorder
buffer (``order.py``), then are released: built once as :class:`Event` with their
``seq``, written to the recording, and served by :meth:`Stream.events`. The recording
gets exactly the lines that ``events()`` serves.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import deque
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import IO, Any

from ipccore.monitor.order import Draft, Reorder
from ipcevents.events import Event, make_event

INJECTED = 0
"""The lane of events made by the monitor itself (samples, commands, end)."""
SPOOL_HOLD_S = 2.0
"""A spooled run's longest wait of a read for its write (of a pop for its push)."""


def open_private(path: Path) -> IO[str]:
    """Create (or truncate) a recording readable by us only, whatever the umask: it holds
    what processes said to each other. An existing file keeps its inode, so its mode is
    narrowed too."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        os.fchmod(fd, 0o600)
    except OSError:
        os.close(fd)
        raise
    return os.fdopen(fd, "w", encoding="ascii")


class Stream:
    """The reorder buffer, the numbering, the recording and the served queue."""

    def __init__(self, reorder_s: float, record: Path | None, buffer_max: int, *,
                 spool: bool = False) -> None:
        self.reorder_s = reorder_s
        self.buffer_max = buffer_max
        self.dropped = 0
        """Released events the reader had no room for (recorded, not served)."""
        self.serve = not spool
        """Whether :meth:`events` serves the released events; a spooling collector
        only records them (its one consumer), and :meth:`events` just ends."""
        # Spooled, everything is released once the run is over, with all of each
        # lane known up to a horizon: a read may wait longer for its write (a pop
        # for its push).
        self._order = Reorder(reorder_s, SPOOL_HOLD_S if spool else None)
        self._lane_key: dict[int, float] = {}
        self._done_lanes: list[int] = []
        self._seq = 0
        self._record_path = record
        self._record: IO[str] | None = None
        self._out: deque[Event | None] = deque()
        """Released events not yet served; ``None`` ends the stream. A plain deque filled
        in batches: an ``asyncio.Queue`` put and get cost more per event than ordering."""
        self._ready = asyncio.Event()
        """Set when something was added to :attr:`_out`."""
        self.finished = asyncio.Event()

    def open(self) -> None:
        """Create the recording file, if one was asked for."""
        if self._record_path is not None:
            self._record = open_private(self._record_path)

    # -- in -----------------------------------------------------------------------------

    def open_lane(self, lane: int) -> None:
        self._lane_key[lane] = 0.0

    def close_lane(self, lane: int) -> None:
        """The connection ended; its lane is forgotten once released empty."""
        self._lane_key.pop(lane, None)
        self._done_lanes.append(lane)

    def lane_key(self, lane: int) -> float:
        """The key of the lane's last event: its next one's is no lower."""
        return self._lane_key.get(lane, 0.0)

    def push(self, lane: int, draft: Draft) -> None:
        """One event into its lane, keeping the lane's keys non-decreasing."""
        key = max(min(draft[0], time.time()), self._lane_key.get(lane, 0.0))
        self._lane_key[lane] = key
        self._order.push(lane, key, draft)

    def extend(self, lane: int, drafts: list[Draft], now: float) -> None:
        """A batch of one lane (a ring drain) stamped no later than ``now``.

        ``now`` was taken before the ring was read: every record in it was stamped
        earlier, so an honest ``ts`` is never clamped.
        """
        last = self._lane_key.get(lane, 0.0)
        batch: list[tuple[float, Draft]] = []
        append = batch.append
        for draft in drafts:
            ts = draft[0]
            if ts > last:
                last = ts if ts < now else max(now, last)
            append((last, draft))
        self._order.extend(lane, batch)
        self._lane_key[lane] = last

    def inject(self, kind: str, fields: Mapping[str, Any], pid: int | None = None,
               ts: float | None = None) -> Draft | None:
        """An event made by the monitor itself; returns it as queued, or None once the
        stream is finished: ``monitor.end`` is the last event, and a sample or a reject
        counted after it is dropped (every injector goes through here)."""
        if self.finished.is_set():
            return None
        now = time.time() if ts is None else ts
        draft = (now, os.getpid() if pid is None else pid, kind, fields)
        self._order.push(INJECTED, now, draft)
        return draft

    # -- out ----------------------------------------------------------------------------

    def release(self, upto: float) -> None:
        """Number, record and serve every event whose key is at most ``upto``."""
        seq = self._seq
        ready = [make_event(seq + i, ts, pid, kind, fields)
                 for i, (ts, pid, kind, fields) in enumerate(self._order.pop_ready(upto), 1)]
        self._seq = seq + len(ready)
        record = self._record
        if record is not None:
            record.write("".join([event.to_json() + "\n" for event in ready]))
        if not self.serve:
            ready = []
        room = self.buffer_max - len(self._out)
        if room < len(ready):
            self.dropped += len(ready) - max(room, 0)
            del ready[max(room, 0):]
        if ready:
            self._out.extend(ready)
            self._ready.set()
        for lane in self._done_lanes:
            self._order.close_lane(lane)
        self._done_lanes.clear()
        if record is not None:
            record.flush()

    def finish(self) -> None:
        """End the served stream (after its last release)."""
        if not self.finished.is_set():
            self.finished.set()
            self._out.append(None)
            self._ready.set()

    def take_served(self) -> list[Event]:
        """Everything released and not yet served, taken off the queue."""
        out = [event for event in self._out if event is not None]
        self._out.clear()
        return out

    async def events(self) -> AsyncIterator[Event]:
        """The ordered events; ends after :meth:`finish`."""
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

    def close_record(self) -> None:
        if self._record is not None:
            self._record.close()
            self._record = None
