"""The end barrier: ``monitor.end`` only once every process of the program has closed.

When the launched program is reaped, connections of its last children may still wait
in the listen backlog. The collector connects to itself once: accepts are FIFO, so once
that "barrier" connection is accepted every earlier one has been counted, and the end
is due as soon as no connection is open.
"""

from __future__ import annotations

import socket
from pathlib import Path


class EndBarrier:
    """Knows whether the program ended and whether the backlog has been counted."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.ended: tuple[int | None, int | None] | None = None
        """The launched program's exit code and signal, once reaped."""
        self._barrier: socket.socket | None = None

    def program_ended(self, code: int | None, sig: int | None) -> None:
        """Remember the exit status and connect the barrier."""
        self.ended = (code, sig)
        barrier = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            barrier.connect(str(self.path))
        except OSError:
            barrier.close()
            return
        self._barrier = barrier

    def take(self, pid: int) -> bool:
        """Whether a new connection from our own ``pid`` is the barrier (then it is done)."""
        if self._barrier is None:
            return False
        self._barrier.close()
        self._barrier = None
        return True

    def due(self, open_connections: int) -> bool:
        """The program ended, the backlog is counted and every connection closed."""
        return self.ended is not None and not open_connections and self._barrier is None

    def close(self) -> None:
        if self._barrier is not None:
            self._barrier.close()
            self._barrier = None
