"""Putting events from many connections into one order.

Each connection is a lane whose events keep their arrival order (per-process order is
never broken). Lanes are merged by timestamp once an event is older than the reorder
window. One causal fix on top: a process's ``ts`` is taken after its syscall returns,
so the reader of a datagram can report before its writer does; a ``pipe.read`` whose
matching ``pipe.write`` (same receiver, size and preview) has not been released yet is
held back until that write is out, for at most :attr:`Reorder.hold` (then it goes anyway, so
an unmatched read — a merged STREAM read, a write from outside — never stalls the
stream for longer). The same rule holds a ``queue.pop`` until a ``queue.push`` of the
same message (queue, type, size and preview) is out (``queues``, on unless turned off).

When a read is matched that way, its ``from`` is set to the pid that really wrote the
message: a pipe end can be shared (in the ``sibling`` demo child 2 writes through the
master's end of child 1's pipe), so the reader alone cannot know who wrote.

Times are each process's own, stamped after its system call returned: a writer that
gets the CPU back after its reader may stamp a little later than the read. The order
(``seq``) is causal; ``ts`` is monotonic per process, not across processes.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping
from typing import Any

Draft = tuple[float, int, str, Mapping[str, Any]]
"""An event before release: ``(ts, pid, kind, fields)``. A plain tuple (50 ns to build,
against 0.3-0.6 us for an Event): the Event is built once, when it is released, complete
with its ``seq``."""
_Msg = tuple[Any, ...]
"""A message's key: ``(receiver pid, nbytes, preview)`` for a pipe, ``(msqid, mtype,
nbytes, preview)`` for a queue (the lengths differ, so the two never meet)."""
_READS = frozenset({"pipe.read", "queue.pop"})
_WRITES = frozenset({"pipe.write", "queue.push"})
_Entry = tuple[float, Draft, "_Msg | None"]
"""A lane's item: key, draft, and its message key (pipe events), computed once."""
_CYCLE_BREAK = 10
"""A read waits for a queued write at most this many holds (repeated identical
messages could otherwise make two lanes wait for each other)."""


_MAX_UNMATCHED = 256
"""Writes remembered per distinct message while no read matches them (STREAM reads
merge writes, so some never match)."""
_MAX_MESSAGES = 4096
"""Distinct messages with released, still unread writes that are remembered. Beyond
this the oldest is forgotten, so a long run of writes no read ever matches (STREAM
merges them) cannot grow memory; forgetting one costs at most a ``hold`` for a late
read of it."""


def _write_key(draft: Draft) -> _Msg | None:
    """A write's message key; none for an aggregate (its reads are aggregated on their
    own schedule, so nothing matches one to one)."""
    fields = draft[3]
    to, nbytes, prev = fields.get("to"), fields.get("nbytes"), fields.get("preview")
    if (isinstance(to, int) and isinstance(nbytes, int) and isinstance(prev, str)
            and "count" not in fields):
        return (to, nbytes, prev)
    return None


def _queue_key(draft: Draft) -> _Msg | None:
    """A push's or pop's message key; none for an aggregate."""
    fields = draft[3]
    nbytes, prev = fields.get("nbytes"), fields.get("preview")
    if isinstance(nbytes, int) and isinstance(prev, str) and "count" not in fields:
        return (fields.get("msqid"), fields.get("mtype"), nbytes, prev)
    return None


def _read_key(draft: Draft) -> _Msg | None:
    fields = draft[3]
    nbytes, prev = fields.get("nbytes"), fields.get("preview")
    if isinstance(nbytes, int) and nbytes > 0 and isinstance(prev, str) \
            and "count" not in fields:
        return (draft[1], nbytes, prev)
    return None


class Reorder:
    """Lanes in, one ordered stream out."""

    def __init__(self, window: float, hold: float | None = None, *,
                 queues: bool = True) -> None:
        self.window = window
        self.queues = queues
        """Also hold a ``queue.pop`` for its ``queue.push`` (off: by time only, for a
        comparison in the tests)."""
        self.hold = 3 * window if hold is None else hold
        """Longest extra wait of a read for its write (a loaded machine can delay a
        writer's report by tens of milliseconds after its syscall returned)."""
        self._lanes: dict[int, deque[_Entry]] = {}
        # Plain dicts, not Counters: a Counter's missing key is a Python-level call.
        self._waiting_writes: dict[_Msg, int] = {}
        self._writers: dict[_Msg, list[tuple[int, float]]] = {}
        """Released writes not yet matched by a released read, per message: writer pid
        and time (bounded: ``_MAX_UNMATCHED`` per message, ``_MAX_MESSAGES`` messages).
        A key is present exactly while such a write is out, so a read of it need not
        wait."""
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def push(self, lane: int, key: float, draft: Draft) -> None:
        """Add an event; ``key`` must not decrease within a lane."""
        kind = draft[2]
        msg: _Msg | None = None
        if kind == "pipe.write":
            msg = _write_key(draft)
            if msg is not None:
                waiting = self._waiting_writes
                waiting[msg] = waiting.get(msg, 0) + 1
        elif kind == "pipe.read":
            msg = _read_key(draft)
        elif self.queues and kind in ("queue.push", "queue.pop"):
            msg = _queue_key(draft)
            if msg is not None and kind == "queue.push":
                waiting = self._waiting_writes
                waiting[msg] = waiting.get(msg, 0) + 1
        lane_q = self._lanes.get(lane)
        if lane_q is None:
            lane_q = self._lanes[lane] = deque()
        lane_q.append((key, draft, msg))
        self._size += 1

    def extend(self, lane: int, entries: list[tuple[float, Draft]]) -> None:
        """:meth:`push` for a batch of ``(key, event)`` of one lane (a ring drain)."""
        lane_q = self._lanes.get(lane)
        if lane_q is None:
            lane_q = self._lanes[lane] = deque()
        append, waiting, queues = lane_q.append, self._waiting_writes, self.queues
        for key, draft in entries:
            kind = draft[2]
            msg: _Msg | None = None
            if kind == "pipe.write":
                msg = _write_key(draft)
                if msg is not None:
                    waiting[msg] = waiting.get(msg, 0) + 1
            elif kind == "pipe.read":
                msg = _read_key(draft)
            elif queues and kind in ("queue.push", "queue.pop"):
                msg = _queue_key(draft)
                if msg is not None and kind == "queue.push":
                    waiting[msg] = waiting.get(msg, 0) + 1
            append((key, draft, msg))
        self._size += len(entries)

    def close_lane(self, lane: int) -> None:
        """Forget a lane once it is empty (its connection closed)."""
        lane_q = self._lanes.get(lane)
        if lane_q is not None and not lane_q:
            del self._lanes[lane]

    def _held(self, key: float, msg: _Msg, upto: float) -> bool:
        """Whether a ``pipe.read`` (message key ``msg``) with no released write to match
        waits for one; :meth:`pop_ready` tests those cheap conditions itself first."""
        final = math.isinf(upto)
        if not final and key <= upto - _CYCLE_BREAK * self.hold:
            return False
        # A write already queued is waited for whatever its age (a busy collector
        # releases old batches at once); one not seen yet, only for ``hold``.
        return msg in self._waiting_writes or (not final and key > upto - self.hold)

    def pop_ready(self, upto: float) -> list[Draft]:
        """Events with a key up to ``upto``, smallest key first across lanes (on equal
        keys, the lane created first)."""
        out: list[Draft] = []
        append, account, held_by, writers = out.append, self._account, self._held, self._writers
        lanes = [lane_q for lane_q in self._lanes.values() if lane_q]
        final = math.isinf(upto)
        while lanes:
            best: deque[_Entry] | None = None
            held: deque[_Entry] | None = None
            best_key = held_key = 0.0
            # The lowest key of the other lanes' heads: they stay where they are while
            # ``best`` is popped, so its events below ``bound`` go out without another
            # scan (an event released meanwhile can only unhold a head; held heads and
            # those past ``upto`` count too, which only ends a run early).
            bound = math.inf
            for lane_q in lanes:
                key, event, msg = lane_q[0]
                if key > upto or (best is not None and key >= best_key):
                    bound = min(bound, key)
                    continue
                if (msg is not None and event[2] in _READS and msg not in writers
                        and held_by(key, msg, upto)):
                    bound = min(bound, key)
                    if held is None or key < held_key:
                        held, held_key = lane_q, key
                    continue
                if best is not None:
                    bound = min(bound, best_key)
                best, best_key = lane_q, key
            if best is None:
                if held is None or not final:
                    break
                best = held  # the final flush: lanes waiting for each other
            while True:
                _key, event, msg = best.popleft()
                append(event if msg is None else account(event, msg))
                if not best:
                    lanes = [lane_q for lane_q in lanes if lane_q]
                    break
                key, event, msg = best[0]
                if key >= bound or key > upto or (
                        msg is not None and event[2] in _READS
                        and msg not in writers and held_by(key, msg, upto)):
                    break
        self._size -= len(out)
        return out

    def _account(self, event: Draft, msg: _Msg) -> Draft:
        """Count a released message event (``msg`` is its message key) and, for a pipe
        read, name the pid whose write it matched."""
        ts, pid, kind, fields = event
        if kind in _WRITES:
            waiting = self._waiting_writes
            left = waiting.get(msg, 0) - 1
            if left > 0:
                waiting[msg] = left
            else:
                waiting.pop(msg, None)
            known = self._writers
            pids = known.get(msg)
            if pids is None:
                if len(known) >= _MAX_MESSAGES:
                    del known[next(iter(known))]  # the oldest (insertion order)
                # A list, not a deque: most messages are read before the next write
                # of the same bytes, and a one-item list is much cheaper to build.
                known[msg] = [(pid, ts)]
            else:
                if len(pids) >= _MAX_UNMATCHED:
                    del pids[0]
                pids.append((pid, ts))
            return event
        writers = self._writers.get(msg)
        if writers:
            writer, _written = writers.pop(0)
            if not writers:
                del self._writers[msg]
            if kind == "pipe.read" and fields.get("from") != writer:
                return (ts, pid, kind, {**fields, "from": writer})
        return event
