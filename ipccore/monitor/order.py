"""Putting events from many connections into one order.

Each connection is a lane whose events keep their arrival order (per-process order is
never broken). Lanes are merged by timestamp once an event is older than the reorder
window. One causal fix on top: a process's ``ts`` is taken after its syscall returns,
so the reader of a datagram can report before its writer does; a ``pipe.read`` whose
matching ``pipe.write`` (same receiver, size and preview) has not been released yet is
held back until that write is out, for at most :attr:`Reorder.hold` (then it goes anyway, so
an unmatched read — a merged STREAM read, a write from outside — never stalls the
stream for longer).

When a read is matched that way, its ``from`` is set to the pid that really wrote the
message: a pipe end can be shared (in the ``sibling`` demo child 2 writes through the
master's end of child 1's pipe), so the reader alone cannot know who wrote.

Times are each process's own, stamped after its system call returned: a writer that
gets the CPU back after its reader may stamp a little later than the read. The order
(``seq``) is causal; ``ts`` is monotonic per process, not across processes.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from collections.abc import Iterator

from ipccore.monitor.events import Event

_Msg = tuple[int, int, str]
_CYCLE_BREAK = 10
"""A read waits for a queued write at most this many holds (repeated identical
messages could otherwise make two lanes wait for each other)."""


_MAX_UNMATCHED = 256
"""Writes remembered per distinct message while no read matches them (STREAM reads
merge writes, so some never match)."""


def _write_key(event: Event) -> _Msg | None:
    to, nbytes, prev = event.get("to"), event.get("nbytes"), event.get("preview")
    if isinstance(to, int) and isinstance(nbytes, int) and isinstance(prev, str):
        return (to, nbytes, prev)
    return None


def _read_key(event: Event) -> _Msg | None:
    nbytes, prev = event.get("nbytes"), event.get("preview")
    if isinstance(nbytes, int) and nbytes > 0 and isinstance(prev, str):
        return (event.pid, nbytes, prev)
    return None


class Reorder:
    """Lanes in, one ordered stream out."""

    def __init__(self, window: float, hold: float | None = None) -> None:
        self.window = window
        self.hold = 3 * window if hold is None else hold
        """Longest extra wait of a read for its write (a loaded machine can delay a
        writer's report by tens of milliseconds after its syscall returned)."""
        self._lanes: dict[int, deque[tuple[float, Event]]] = {}
        self._waiting_writes: Counter[_Msg] = Counter()
        self._out_writes: Counter[_Msg] = Counter()
        self._out_reads: Counter[_Msg] = Counter()
        self._writers: dict[_Msg, deque[tuple[int, float]]] = {}
        """Pids of released writes not yet matched by a read, per message (bounded)."""
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def push(self, lane: int, key: float, event: Event) -> None:
        """Add an event; ``key`` must not decrease within a lane."""
        self._lanes.setdefault(lane, deque()).append((key, event))
        self._size += 1
        if event.kind == "pipe.write":
            msg = _write_key(event)
            if msg is not None:
                self._waiting_writes[msg] += 1

    def close_lane(self, lane: int) -> None:
        """Forget a lane once it is empty (its connection closed)."""
        lane_q = self._lanes.get(lane)
        if lane_q is not None and not lane_q:
            del self._lanes[lane]

    def _held(self, key: float, event: Event, upto: float) -> bool:
        if event.kind != "pipe.read":
            return False
        final = math.isinf(upto)
        if not final and key <= upto - _CYCLE_BREAK * self.hold:
            return False
        msg = _read_key(event)
        if msg is None or self._out_reads[msg] < self._out_writes[msg]:
            return False
        # A write already queued is waited for whatever its age (a busy collector
        # releases old batches at once); one not seen yet, only for ``hold``.
        return self._waiting_writes[msg] > 0 or (not final and key > upto - self.hold)

    def pop_ready(self, upto: float) -> Iterator[Event]:
        """Events with a key up to ``upto``, smallest key first across lanes."""
        while True:
            best: deque[tuple[float, Event]] | None = None
            held: deque[tuple[float, Event]] | None = None
            best_key = held_key = 0.0
            for lane_q in self._lanes.values():
                if not lane_q:
                    continue
                key, event = lane_q[0]
                if key > upto or (best is not None and key >= best_key):
                    continue
                if self._held(key, event, upto):
                    if held is None or key < held_key:
                        held, held_key = lane_q, key
                    continue
                best, best_key = lane_q, key
            if best is None:
                if held is None or not math.isinf(upto):
                    return
                best = held  # the final flush: lanes waiting for each other
            _key, event = best.popleft()
            self._size -= 1
            yield self._account(event)

    def _account(self, event: Event) -> Event:
        if event.kind == "pipe.write":
            msg = _write_key(event)
            if msg is not None:
                self._waiting_writes[msg] -= 1
                if not self._waiting_writes[msg]:
                    del self._waiting_writes[msg]
                self._out_writes[msg] += 1
                self._writers.setdefault(msg, deque(maxlen=_MAX_UNMATCHED)).append(
                    (event.pid, event.ts))
        elif event.kind == "pipe.read":
            msg = _read_key(event)
            if msg is not None:
                self._out_reads[msg] += 1
                writers = self._writers.get(msg)
                if writers:
                    writer, _written = writers.popleft()
                    if not writers:
                        del self._writers[msg]
                    if event.get("from") != writer:
                        fields = {**event.fields, "from": writer}
                        return Event(event.seq, event.ts, event.pid, event.kind, fields)
        return event
