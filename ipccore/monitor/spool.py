"""A ring's records copied to disk as they lie in the ring, decoded when the run ends.

When the only consumer is a recording (``python -m ipccore record --full``), nothing
needs an event while the program runs, so the collector does not decode one: each
drain copies the ring's new bytes (whole records: the writer publishes its position
after a record) into this private file (0600, in the collector's 0700 directory) and
frees the room for the writer. That is one ``pwrite`` per drain instead of ~10 us of
Python per event, so a flood under the monitor is slowed by its writer's records, not
by the collector. When the run ends the spool is read back through the ring's own
decoder (:func:`ring.decode`, every record's bounds checked then), merged with the other
lanes (``order.py``) and written to the recording; the file is removed.

Like ``perf record`` + ``perf script``: the cost moves after the run. Disk use is the
ring's record size, 112 bytes per 64-byte message event.
"""

from __future__ import annotations

import contextlib
import mmap
import os
from collections.abc import Iterator
from pathlib import Path

from ipccore.monitor.order import Draft
from ipccore.monitor.ring import LINEAR, RingReader, decode

PREFIX = "spool-"


class Spool:
    """One connection's ring, copied chunk by chunk (one chunk per drain)."""

    def __init__(self, directory: Path, conn: int, pid: int) -> None:
        self.path = directory / f"{PREFIX}{conn}-{pid}"
        self.pid = pid
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
                           | os.O_CLOEXEC, 0o600)
        self._size = 0
        self._chunks: list[tuple[int, int, int, float]] = []
        """Per drain: ring positions ``start``, ``end``, where ``start`` is in the file,
        and the time of the drain (no record in it is later: a lane's clamp)."""

    @property
    def size(self) -> int:
        """Bytes spooled so far."""
        return self._size

    def take(self, reader: RingReader, now: float) -> list[bytes]:
        """Copy what the ring holds since the last drain; its JSON records (to learn
        from now). ``OSError`` (a full disk) leaves the ring as it was."""
        start, end, lines = reader.spool(self._fd, self._size)
        if end > start:
            self._chunks.append((start, end, self._size, now))
            self._size += end - start
        return lines

    def chunks(self) -> Iterator[tuple[float, list[Draft | bytes], int]]:
        """Each drain's records, decoded: ``(time of the drain, drafts or JSON lines,
        records that broke the format)``."""
        if not self._size:
            return
        with open(self.path, "rb") as f, \
                mmap.mmap(f.fileno(), self._size, access=mmap.ACCESS_READ) as mm:
            for start, end, at, now in self._chunks:
                items, _reached, corrupt = decode(mm, start, end, LINEAR, at - start, self.pid)
                yield now, items, corrupt

    def remove(self) -> None:
        """Close and delete the file (idempotent)."""
        if self._fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = -1
        with contextlib.suppress(OSError):
            self.path.unlink()
        self._chunks = []
