"""Ring draining: what each process wrote into its shared-memory ring, into its lane.

A process announces its ring once (``monitor.ring`` on its connection); the collector
maps it (``ring.py`` checks owner, size and format) and drains it every pump tick, and
a last time when the connection ends, then removes the file.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from ipccore.monitor.intake import Rejects
from ipccore.monitor.order import Draft
from ipccore.monitor.ring import RingError, RingReader
from ipccore.monitor.stream import Stream


class Rings:
    """The rings of the open connections, by connection number."""

    def __init__(
        self, directory: Path, uid: int, stream: Stream, rejects: Rejects,
        take_line: Callable[[bytes, int, int], None],
    ) -> None:
        self.directory = directory
        self.uid = uid
        self.stream = stream
        self.rejects = rejects
        self._take_line = take_line
        """Checks and queues a JSON record (the intake's ``take``)."""
        self._rings: dict[int, tuple[RingReader, int]] = {}
        """Per connection: its ring and its peer's pid."""

    def open(self, conn: int, pid: int, name: str) -> None:
        if conn in self._rings:
            self.rejects.add("a second ring")
            return
        try:
            self._rings[conn] = (RingReader(self.directory, name, self.uid), pid)
        except (RingError, OSError):
            self.rejects.add("bad ring")

    def drain_all(self) -> None:
        for conn in list(self._rings):
            self.drain(conn)

    def drain(self, conn: int) -> None:
        """Move what a process wrote into its ring since the last drain into its lane."""
        got = self._rings.get(conn)
        if got is None:
            return
        reader, peer = got
        before = reader.corrupt
        now = time.time()
        stream = self.stream
        batch: list[Draft] = []
        for item in reader.drain(peer):
            if isinstance(item, bytes):
                # A JSON record (any kind but a pipe or queue message) goes through the
                # same checks as a line on the socket, in its place in the lane.
                stream.extend(conn, batch, now)
                batch = []
                self._take_line(item, peer, conn)
                continue
            batch.append(item)
        stream.extend(conn, batch, now)
        for _ in range(reader.corrupt - before):
            self.rejects.add("corrupt ring record")

    def close(self, conn: int) -> None:
        """The writer is gone (EOF): take its last records, then remove the file."""
        if conn in self._rings:
            self.drain(conn)
            self._rings.pop(conn)[0].close()

    def close_all(self) -> None:
        for conn in list(self._rings):
            self.close(conn)
