"""Ring draining: what each process wrote into its shared-memory ring, into its lane.

A process announces its ring once (``monitor.ring`` on its connection); the collector
maps it (``ring.py`` checks owner, size and format) and drains it every pump tick, and
a last time when the connection ends, then removes the file.

With ``spool`` (the consumer is a recording, ``spool.py``) a drain copies the ring's
bytes to the connection's spool instead of decoding them, and reads only the JSON
records (lifecycle, reaps, queues: the registry must know them while the program runs);
:meth:`Rings.unspool` decodes every spool into the lanes when the run is over.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from ipccore.monitor.intake import Intake, Rejects
from ipccore.monitor.order import Draft
from ipccore.monitor.ring import RingError, RingReader
from ipccore.monitor.spool import Spool
from ipccore.monitor.stream import Stream


class Rings:
    """The rings of the open connections, by connection number."""

    def __init__(
        self, directory: Path, uid: int, stream: Stream, rejects: Rejects, intake: Intake,
        *, spool: bool = False,
    ) -> None:
        # Parallel attribute lists: each part of the collector keeps the collaborators it
        # is wired with (the duplicate finder pairs these constructors by shape).
        self.directory = directory
        self.uid = uid
        self.stream = stream
        self.rejects = rejects
        self._intake = intake
        """Checks and queues a JSON record (``take``), or learns from it (``learn``)."""
        self.spooling = spool
        self._rings: dict[int, tuple[RingReader, int]] = {}
        """Per connection: its ring and its peer's pid."""
        self._spools: dict[int, Spool] = {}
        """Per connection (also after it closed, until :meth:`unspool`): its spool."""
        self.last_closed_at = 0.0
        """Wall-clock time when a ring was last drained at its connection's end: once
        every connection closed, when the collector had taken in everything."""

    def open(self, conn: int, pid: int, name: str) -> None:
        if conn in self._rings:
            self.rejects.add("a second ring")
            return
        try:
            self._rings[conn] = (RingReader(self.directory, name, self.uid), pid)
        except (RingError, OSError):
            self.rejects.add("bad ring")
            return
        if self.spooling:
            with contextlib.suppress(OSError):  # then drained live, as without spooling
                self._spools[conn] = Spool(self.directory, conn, pid)

    def drain_all(self) -> None:
        for conn in list(self._rings):
            self.drain(conn)

    def drain(self, conn: int) -> None:
        """Move what a process wrote into its ring since the last drain into its lane
        (or its spool)."""
        got = self._rings.get(conn)
        if got is None:
            return
        reader, peer = got
        before = reader.corrupt
        now = time.time()
        spool = self._spools.get(conn)
        if spool is not None:
            try:
                lines = spool.take(reader, now)
            except OSError:
                # The disk is full: what is spooled goes into the lane now, and this
                # ring is drained live from here on (its order is kept).
                self._unspool_one(conn)
                self._decode_live(conn, reader, peer, now)
            else:
                for line in lines:
                    self._intake.learn(line, peer)
        else:
            self._decode_live(conn, reader, peer, now)
        for _ in range(reader.corrupt - before):
            self.rejects.add("corrupt ring record")

    def _decode_live(self, conn: int, reader: RingReader, peer: int, now: float) -> None:
        self._into_lane(conn, peer, now, reader.drain(peer), learn=True)

    def _into_lane(self, conn: int, peer: int, now: float, items: list[Draft | bytes],
                   *, learn: bool) -> None:
        stream = self.stream
        batch: list[Draft] = []
        for item in items:
            if isinstance(item, bytes):
                # A JSON record (any kind but a pipe or queue message) goes through the
                # same checks as a line on the socket, in its place in the lane.
                stream.extend(conn, batch, now)
                batch = []
                self._intake.take(item, peer, conn, learn=learn)
                continue
            batch.append(item)
        stream.extend(conn, batch, now)

    def close(self, conn: int) -> None:
        """The writer is gone (EOF): take its last records, then remove the file."""
        if conn in self._rings:
            self.drain(conn)
            self._rings.pop(conn)[0].close()
            self.last_closed_at = time.time()

    def close_all(self) -> None:
        for conn in list(self._rings):
            self.close(conn)

    # -- the end of a spooled run ---------------------------------------------------------

    def unspool(self, release: Callable[[float], None]) -> None:
        """Decode every spool into its lane, a chunk (one drain) at a time, releasing
        as it goes: events up to the lowest key a spool still to be read could bring
        are complete, so memory holds about a chunk per connection, not the run."""
        feeds = {conn: spool.chunks() for conn, spool in sorted(self._spools.items())}
        for conn in list(feeds):
            self._feed(conn, feeds)
        while feeds:
            conn = min(feeds, key=self.stream.lane_key)
            release(math.nextafter(self.stream.lane_key(conn), -math.inf))
            self._feed(conn, feeds)
        for conn in list(self._spools):
            self._spools.pop(conn).remove()

    def _feed(self, conn: int, feeds: dict[int, Iterator[tuple[float, list[Draft | bytes], int]]]
              ) -> None:
        """The next chunk of ``conn``'s spool into its lane; forget it when done."""
        spool = self._spools[conn]
        got = next(feeds[conn], None)
        if got is None:
            del feeds[conn]
            return
        now, items, corrupt = got
        for _ in range(corrupt):
            self.rejects.add("corrupt ring record")
        self._into_lane(conn, spool.pid, now, items, learn=False)

    def _unspool_one(self, conn: int) -> None:
        """One spool into its lane at once (the disk is full)."""
        spool = self._spools.pop(conn)
        for now, items, corrupt in spool.chunks():
            for _ in range(corrupt):
                self.rejects.add("corrupt ring record")
            self._into_lane(conn, spool.pid, now, items, learn=False)
        spool.remove()

    def discard_spools(self) -> None:
        """Remove every spool unread (the collector stops without a recording to write)."""
        for conn in list(self._spools):
            self._spools.pop(conn).remove()
