"""The ring emitter: events into a shared-memory ring, aggregates above the budget.

Each monitored process has a connection to the collector (``connection.py``: who we
are, and by its end of file that we are gone) and, next to it, a shared-memory ring
(``ring.py``) that carries the events: no system call and no reader wake-up per event,
and a record is in shared memory before the operation returns, so a SIGKILL right after
the call loses nothing but an open aggregate. Above the process's event budget, pipe and
queue operations are counted into aggregates instead (``budget.py``): this is the hot
path of every monitored ``write()``/``read()``/``push()``/``pop()``. A full ring drops
whole events and counts them (``monitor.dropped``), except in full mode, where the
writer waits for the collector. Without a ring (it could not be mapped, or ``ring=False``)
the events go over the connection itself, as lines.
"""

from __future__ import annotations

import contextlib
import struct
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ipccore.monitor.budget import QUIET_S, Budget, Tally, full_from_env, rate_from_env
from ipccore.monitor.connection import StreamEmitter, encode
from ipccore.monitor.ring import HOT, NONE, VIA_CODE, RingWriter
from ipcevents.events import PREVIEW_MAX

__all__ = ["SocketEmitter", "encode"]

ALIVE_EVERY = 1024
"""In ring mode, look at the socket for the collector's end of file every this many
events: one cheap syscall per thousand events."""
FULL_WAIT_S = 0.0005
"""Full mode, ring full: sleep this long, then look again (the collector drains every
10 ms; pinned to one CPU the sleep is what lets it run)."""
FULL_STALL_S = 10.0
"""Full mode: a collector that takes nothing from the ring for this long (stopped, or
wedged) no longer holds the program: the event is dropped and counted, as in the default
mode. A monitor must not be able to wedge what it watches."""

_time = time.time
_NO_TALLIES: dict[int, Tally] = {}
_PIPE_WRITE, _PIPE_READ, _QUEUE_PUSH = HOT["pipe.write"], HOT["pipe.read"], HOT["queue.push"]
_QUEUE_POP = HOT["queue.pop"]


class SocketEmitter(StreamEmitter):
    """Implements ``ipccore._trace.Emitter`` over a ring announced on the connection."""

    def __init__(self, path: str, *, ring: bool = True, full: bool | None = None,
                 rate: int | None = None) -> None:
        self.use_ring = ring
        """Send events through a shared-memory ring (the socket then only says hello)."""
        self.full = full_from_env() if full is None else full
        """Every operation its own event, none dropped: wait for room in the ring."""
        self.rate = rate_from_env() if rate is None else max(1, rate)
        """Events a second before pipe and queue operations are aggregated."""
        self._budget = Budget(self.rate)
        self._tallies: dict[int, dict[int, Tally]] = {}
        """Per ring record type: channel (``fd``, or ``mtype`` for a queue) -> tally."""
        self._open: list[Tally] = []
        """Tallies with an open aggregate: closed before any other event goes out."""
        self._last: list[Tally | None] = [None] * 5
        """Per ring record type: the tally used last (a flood uses one channel: this
        saves the hot path two dict lookups, a sixth of its cost)."""
        self._ring: RingWriter | None = None
        self._since_check = 0
        if self.full:
            # No budget and no aggregate to look at: each call is one record (a third
            # of the writer's cost per event less than the general path).
            self.pipe_io = self._pipe_io_full  # type: ignore[method-assign]
            self.queue_io = self._queue_io_full  # type: ignore[method-assign]
        super().__init__(path)

    def _connect(self) -> bool:
        if not super()._connect():
            return False
        if self.use_ring:
            self._open_ring()
        return True

    def _open_ring(self) -> None:
        """Map a ring next to the socket and announce it; on any failure stay on the socket."""
        try:
            ring = RingWriter(Path(self.path).parent)
        except OSError:
            return
        line = encode(self._pid, "monitor.ring", {"name": ring.name}, None)
        if self._try(line) != len(line):
            ring.close()
            return
        self._ring = ring

    def reconnect_after_fork(self) -> None:
        """In a fresh child: drop the parent's ring, tallies and connection, open our own."""
        self._revoke_grants()  # the child's copies of them: its objects must not count there
        if self._ring is not None:
            with contextlib.suppress(Exception):
                self._ring.close()  # our copy of the parent's mapping; its file is its own
            self._ring = None
        self._budget = Budget(self.rate)
        self._tallies = {}  # the parent's operations are the parent's to publish
        self._open = []
        self._last = [None] * 5
        super().reconnect_after_fork()

    def _disable(self) -> None:
        self.enabled = False
        self._revoke_grants()
        if self._ring is not None:
            with contextlib.suppress(Exception):
                self._ring.close()
            self._ring = None
        super()._disable()

    def emit(self, kind: str, fields: dict[str, Any], data: bytes | None = None) -> None:
        if not self.enabled:
            return
        ring = self._ring
        if ring is not None:
            self._emit_ring(ring, kind, fields, data)
            return
        self._emit_line(kind, fields, data)

    def _emit_ring(self, ring: RingWriter, kind: str, fields: dict[str, Any],
                   data: bytes | None) -> None:
        try:
            if self._open:
                self._close_aggregates(_time())
            if self.dropped:
                line = encode(self._pid, "monitor.dropped", {"count": self.dropped}, None)
                if not ring.put_line(line[:-1]):
                    self.dropped += 1
                    self.dropped_total += 1
                    return
                self.dropped = 0
            code = HOT.get(kind)
            line = b""
            if code is not None:
                try:
                    ok = ring.put_hot(code, fields, data)
                except (KeyError, TypeError, struct.error, OverflowError):
                    code = None
            if code is None:
                line = encode(self._pid, kind, fields, data)[:-1]
                ok = ring.put_line(line)
            if not ok and self.full:
                hot = code
                ok = self._wait_for(lambda: ring.put_line(line) if hot is None
                                    else ring.put_hot(hot, fields, data))
        except Exception:  # a monitor must never break the program
            ok = False
        self._counted(ok)

    def pipe_io(  # noqa: PLR0917 - the hot path: positional, no dict to build
        self, kind: str, fd: int | None, peer: int | None, nbytes: int, via: str,
        data: bytes,
    ) -> Tally | None:
        """An aggregating channel counts the operation and hands out its next grant
        (:meth:`Tally.renew`: a clock reading and a few attribute updates); anything
        else takes :meth:`_one`. Returns the channel's grant, if it has one."""
        code = _PIPE_WRITE if kind == "pipe.write" else _PIPE_READ
        tally = self._last[code]
        if tally is None or tally.a != fd:
            tally = self._tallies.get(code, _NO_TALLIES).get(fd)  # type: ignore[arg-type]
        if tally is not None and tally.n and tally.peer == peer:
            now = _time()
            if now < tally.until and now - tally.ts < QUIET_S:
                tally.renew(now, nbytes)
                self._last[code] = tally
                return tally
        return self._one(kind, code, fd, peer, NONE, nbytes, via, data, tally)

    def queue_io(  # noqa: PLR0917 - the hot path: positional, no dict to build
        self, kind: str, key: int | None, msqid: int | None, mtype: int, nbytes: int,
        data: bytes,
    ) -> Tally | None:
        """Like :meth:`pipe_io`, for ``queue.push``/``queue.pop`` (a channel per queue and
        message type: pops of several producers' types are counted apart)."""
        code = _QUEUE_PUSH if kind == "queue.push" else HOT.get(kind, 0)
        tally = self._last[code]
        if tally is None or tally.c != mtype:
            tally = self._tallies.get(code, _NO_TALLIES).get(mtype)
        if tally is not None and tally.n and tally.peer == msqid:
            now = _time()
            if now < tally.until and now - tally.ts < QUIET_S:
                tally.renew(now, nbytes)
                self._last[code] = tally
                return tally
        return self._one(kind, code, key, msqid, mtype, nbytes, "pipe", data, tally)

    def _pipe_io_full(  # noqa: PLR0917 - the hot path: positional, no dict to build
        self, kind: str, fd: int | None, peer: int | None, nbytes: int, via: str,
        data: bytes,
    ) -> None:
        """Full mode's :meth:`pipe_io`: the record straight into the ring."""
        ring = self._ring
        if ring is not None and not self.dropped:
            code = _PIPE_WRITE if kind == "pipe.write" else _PIPE_READ
            now, b, preview = _time(), NONE if peer is None else peer, data[:PREVIEW_MAX]
            try:
                ok = ring.put(code, VIA_CODE.get(via, 0), now, fd, b,  # type: ignore[arg-type]
                              NONE, nbytes, preview)
            except (TypeError, struct.error, OverflowError):
                ok = None  # values the ring cannot hold: the general path
            except Exception:  # a monitor must never break the program
                ok = False
            if ok and self._since_check < ALIVE_EVERY - 1:
                self._since_check += 1
                return
            if ok is not None:
                self._full_done(ring, ok, (code, VIA_CODE.get(via, 0), now, fd, b, NONE,
                                           nbytes, preview))
                return
        SocketEmitter.pipe_io(self, kind, fd, peer, nbytes, via, data)

    def _queue_io_full(  # noqa: PLR0917 - the hot path: positional, no dict to build
        self, kind: str, key: int | None, msqid: int | None, mtype: int, nbytes: int,
        data: bytes,
    ) -> None:
        """Full mode's :meth:`queue_io`: the record straight into the ring.

        Written out like :meth:`_pipe_io_full`, not shared with it: a helper would be one
        more call per operation on the hot path (the duplicate finder pairs the two)."""
        ring = self._ring
        if ring is not None and not self.dropped:
            code = _QUEUE_PUSH if kind == "queue.push" else _QUEUE_POP
            now, b, preview = _time(), NONE if msqid is None else msqid, data[:PREVIEW_MAX]
            try:
                ok = ring.put(code, 0, now, key, b, mtype, nbytes, preview)  # type: ignore[arg-type]
            except (TypeError, struct.error, OverflowError):
                ok = None  # values the ring cannot hold: the general path
            except Exception:  # a monitor must never break the program
                ok = False
            if ok and self._since_check < ALIVE_EVERY - 1:
                self._since_check += 1
                return
            if ok is not None:
                self._full_done(ring, ok, (code, 0, now, key, b, mtype, nbytes, preview))
                return
        SocketEmitter.queue_io(self, kind, key, msqid, mtype, nbytes, data)

    def _full_done(self, ring: RingWriter, ok: bool, record: tuple[Any, ...]) -> None:
        """After a full-mode record: wait for room when the ring was full, then the
        periodic liveness check and the drop count."""
        if not ok:
            try:
                ok = self._wait_for(lambda: ring.put(*record))
            except Exception:  # a monitor must never break the program
                ok = False
        self._counted(ok)

    def _one(  # noqa: PLR0917 - the hot path's arguments, passed on
        self, kind: str, code: int, a: int | None, peer: int | None, c: int | None,
        nbytes: int, via: str, data: bytes, tally: Tally | None,
    ) -> Tally | None:
        """One operation as its own record, or the start of its channel's aggregate
        (then the channel's grant is returned)."""
        ring = self._ring  # set only while enabled
        if ring is None or self.dropped or not code:
            self._general(kind, a, peer, c, nbytes, via, data)
            return None
        for other in self._open:
            # The process does something else: every channel reads the clock at its next
            # operation (so a pause since is seen there, not after a whole grant).
            other.settle()
        now = _time()
        if tally is not None and tally.on:
            # Its aggregate is due (window over, or a pause), or another event closed it
            # while the channel was flooding (n == 0), or the fd now leads to another peer.
            keep = tally.peer == peer
            if tally.n:
                tally.settle()
                keep = keep and tally.keeps_going(now, self._budget.allowance)
                self._publish(tally, now)
            if keep:
                tally.start(now, nbytes, data[:PREVIEW_MAX])
                self._open.append(tally)
                self._last[code] = tally
                return tally
            tally.on = False
        if not self.full and not self._budget.take(now):
            if tally is None or tally.peer != peer:
                tally = Tally(code, VIA_CODE.get(via, 0), a, peer,  # type: ignore[arg-type]
                              NONE if c is None else c)
                self._tallies.setdefault(code, {})[a if code < 3 else c] = tally  # type: ignore[index]
            tally.start(now, nbytes, data[:PREVIEW_MAX])
            self._open.append(tally)
            self._last[code] = tally
            return tally
        if tally is not None:
            tally.on = False
        try:
            ok = ring.put(code, VIA_CODE.get(via, 0), now, a,  # type: ignore[arg-type]
                          NONE if peer is None else peer, NONE if c is None else c,
                          nbytes, data[:PREVIEW_MAX])
            if not ok and self.full:
                record = (code, VIA_CODE.get(via, 0), now, a, NONE if peer is None else peer,
                          NONE if c is None else c, nbytes, data[:PREVIEW_MAX])
                ok = self._wait_for(lambda: ring.put(*record))  # type: ignore[arg-type]
        except (TypeError, struct.error, OverflowError):
            self._general(kind, a, peer, c, nbytes, via, data)
            return None
        except Exception:  # a monitor must never break the program
            ok = False
        if ok and self._since_check < ALIVE_EVERY - 1:
            self._since_check += 1
        else:
            self._counted(ok)
        return None

    def _general(  # noqa: PLR0917 - the typed call's arguments
        self, kind: str, a: int | None, peer: int | None, c: int | None, nbytes: int,
        via: str, data: bytes,
    ) -> None:
        """The typed call through :meth:`emit` (no ring, drops to report, odd values)."""
        if kind.startswith("queue"):
            super().queue_io(kind, a, peer, c, nbytes, data)  # type: ignore[arg-type]
        else:
            super().pipe_io(kind, a, peer, nbytes, via, data)

    def _publish(self, tally: Tally, now: float) -> None:
        """Write a tally's open aggregate (one record) and empty it; ``now`` is its
        ``ts`` when operations were counted on a grant after the last clock reading."""
        tally.settle()
        n, nbytes, ring = tally.n, tally.nbytes, self._ring
        tally.n -= n
        tally.nbytes -= nbytes
        with contextlib.suppress(ValueError):
            self._open.remove(tally)
        if ring is None or not n:
            return
        peer = NONE if tally.peer is None else tally.peer
        ts = now if tally.late else tally.ts
        try:
            if n == 1:
                ok = ring.put(tally.code, tally.via, ts, tally.a, peer, tally.c, nbytes,
                              tally.preview)
            else:
                ok = ring.put_agg(tally.code, tally.via, ts, tally.a, peer, tally.c,
                                  nbytes, n, tally.ts0, tally.preview)
        except Exception:  # a monitor must never break the program
            ok = False
        if not ok and self.enabled:
            self.dropped += n
            self.dropped_total += n

    def _close_aggregates(self, now: float) -> None:
        """Publish every open aggregate (another event follows them, or the end)."""
        for tally in list(self._open):
            tally.settle()
            keep = tally.keeps_going(now, self._budget.allowance)
            self._publish(tally, now)
            tally.on = keep  # a flood goes on aggregating; a pause ends it
            tally.until = 0.0  # its next operation opens the next aggregate

    def _revoke_grants(self) -> None:
        """No caller may count on a grant any more (fork, disable): the counts stay in
        the tallies, for whoever publishes them."""
        for by_channel in self._tallies.values():
            for tally in by_channel.values():
                tally.settle()
        for tally in self._open:
            tally.settle()

    def _wait_for(self, attempt: Callable[[], bool]) -> bool:
        """Full mode: retry a record until the collector made room; False if it went
        away (then the emitter is disabled and the program runs on unmonitored)."""
        waited = 0
        ring = self._ring
        backlog = ring.backlog() if ring is not None else 0
        stall_end = time.monotonic() + FULL_STALL_S
        while self._ring is not None and self.enabled:
            time.sleep(FULL_WAIT_S)
            if attempt():
                return True
            waited += 1
            if waited % 200 == 0:
                self._check_alive()
                now_backlog = self._ring.backlog() if self._ring is not None else 0
                if now_backlog < backlog:
                    stall_end = time.monotonic() + FULL_STALL_S
                elif time.monotonic() > stall_end:
                    return False
                backlog = now_backlog
        return False

    def _counted(self, ok: bool) -> None:
        """After a ring record: the periodic liveness check, and the drop count."""
        self._since_check += 1
        if self._since_check >= ALIVE_EVERY:
            self._since_check = 0
            self._check_alive()
        if not ok and self.enabled:
            self.dropped += 1
            self.dropped_total += 1

    def _before_close(self) -> None:
        """Publish the open aggregates before the last flush."""
        if self._open:
            with contextlib.suppress(Exception):
                self._close_aggregates(_time())
