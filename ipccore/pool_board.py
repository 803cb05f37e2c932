"""The pool's shared board: per worker, its current pid and the message in its hands.

One anonymous ``MAP_SHARED`` mapping made by the master before the first fork, so the
master and every worker see the same bytes with no system call. Two facts live here:

- **the current pid of each worker id**, written by the master at each (re)spawn and
  read by every ``get_process(worker_id).pid``: a held Process object names the worker
  that runs *now* (Swoole's ``getProcess()`` kept the old pid after a restart, #4231);
- **the message a worker is handling**: the worker copies each message here before its
  ``Message`` callback and clears the slot after, so when a worker dies by a signal with
  a message in hand the master can give that message back (at-least-once). Only the
  few bytecodes between the kernel handing the message over and this copy are
  unprotected (``docs/pool.md``, "Delivery").

The mapping is lazy: a slot's pages are touched only by messages that big.
"""

from __future__ import annotations

import mmap
import struct

_HEAD = struct.Struct("=qiiqq")
"""pid, state, length, mtype, ready (the pid whose SIGTERM handler is in place)."""
IDLE = 0
"""Not waiting for a message (starting, in WorkerStart, stopping)."""
WAITING = 1
"""Blocked waiting for the next message: a SIGTERM may land just before the wait."""
HOLDING = 2
"""A message is in the slot and its callback runs."""


class Board:
    """Per-worker pid, state and in-hand message in shared memory."""

    def __init__(self, workers: int, slot: int) -> None:
        self.workers = workers
        self.slot = slot
        self._stride = _HEAD.size + slot
        self._map = mmap.mmap(-1, workers * self._stride)

    def _at(self, worker_id: int) -> int:
        return worker_id * self._stride

    def pid(self, worker_id: int) -> int:
        """The worker's current pid, 0 before its first start and after the pool ended."""
        if self._map.closed:
            return 0
        return int(_HEAD.unpack_from(self._map, self._at(worker_id))[0])

    def set_pid(self, worker_id: int, pid: int) -> None:
        """Name the process that is ``worker_id`` now. Master and worker both write it
        (the same value) and nothing else, so neither can wipe the other's state."""
        struct.pack_into("=q", self._map, self._at(worker_id), pid)

    def ready(self, worker_id: int) -> int:
        """The pid that has its SIGTERM handler in place (a SIGTERM before would kill
        it outright, so the master holds the signal back until then)."""
        return int(_HEAD.unpack_from(self._map, self._at(worker_id))[4])

    def set_ready(self, worker_id: int, pid: int) -> None:
        struct.pack_into("=q", self._map, self._at(worker_id) + 24, pid)

    def state(self, worker_id: int) -> int:
        return int(_HEAD.unpack_from(self._map, self._at(worker_id))[1])

    def set_state(self, worker_id: int, state: int) -> None:
        struct.pack_into("=i", self._map, self._at(worker_id) + 8, state)

    def hold(self, worker_id: int, data: bytes, mtype: int) -> bool:
        """Record the message about to be handled; False if it is too big to record."""
        if len(data) > self.slot:
            return False
        at = self._at(worker_id)
        self._map[at + _HEAD.size:at + _HEAD.size + len(data)] = data
        struct.pack_into("=iq", self._map, at + 12, len(data), mtype)
        struct.pack_into("=i", self._map, at + 8, HOLDING)
        return True

    def release(self, worker_id: int) -> None:
        """The callback returned (or raised): nothing is in hand any more."""
        struct.pack_into("=i", self._map, self._at(worker_id) + 8, IDLE)

    def in_hand(self, worker_id: int) -> tuple[bytes, int] | None:
        """(message, mtype) if the worker died holding one, else None."""
        _pid, state, length, mtype, _ready = _HEAD.unpack_from(self._map, self._at(worker_id))
        if state != HOLDING:
            return None
        at = self._at(worker_id) + _HEAD.size
        return bytes(self._map[at:at + length]), mtype

    def close(self) -> None:
        self._map.close()
