"""The in-process side of the event stream: a connection and a ring per process.

The Unix stream connection says who we are (the collector reads our pid from
SO_PEERCRED), announces our shared-memory ring (``ring.py``) and, by its end of file,
that we are gone. The events go into the ring: no system call and no reader wake-up per
event, and a record is in shared memory before the operation returns, so a SIGKILL right
after the call loses nothing. Above the process's event budget, pipe and queue
operations are counted into aggregates instead (``budget.py``). A full ring drops whole
events and counts them (``monitor.dropped``), except in full mode, where the writer
waits for the collector; a vanished collector disables the emitter.

Without a ring the lines go over the socket itself. Why a stream and not datagrams:
``net.unix.max_dgram_qlen`` is 10 here, so datagram sockets drop under any burst. Sends
are non-blocking; when the socket is full the unsent tail of *one* line is kept (lines
are never split or interleaved) and whole later events are dropped and counted.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import struct
import time
from collections.abc import Callable
from json.encoder import encode_basestring_ascii as _esc
from pathlib import Path
from typing import Any

from ipccore._trace import EmitterBase
from ipccore.monitor.budget import Budget, Tally, full_from_env, rate_from_env
from ipccore.monitor.ring import HOT, NONE, VIA_CODE, RingWriter
from ipcevents.events import PREVIEW_MAX, json_value

CLOSE_FLUSH_S = 0.5
"""How long ``close()`` may block to hand the last bytes to the kernel."""

STALL_S = 0.0
"""Longest wait for room in the socket per congestion episode (then drop and count).

0: never wait. Measured: even 5 ms per episode throttled a pipe flood to the
collector's pace (about 20 us per event in Python) and made it 1.5x slower than
dropping; the 2 MiB send buffer already absorbs bursts of about 2000 events."""
SNDBUF = 1 << 20
"""Asked-for send buffer (the kernel doubles it, capped by ``net.core.wmem_max``): a
small event costs about 1 KiB of it, so the default 208 KiB held only ~200 events."""

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

_KEYS: dict[str, str] = {}


def encode(pid: int, kind: str, fields: dict[str, Any], data: bytes | None) -> bytes:
    """One NDJSON line (with the newline), hand-built: about 2x cheaper than json.dumps.

    ``seq`` is 0 (the collector assigns it); ``preview`` comes from ``data`` when given.
    """
    parts = [f'{{"v":1,"seq":0,"ts":{time.time()!r},"pid":{pid},"kind":{_esc(kind)}']
    for key, value in fields.items():
        ekey = _KEYS.get(key)
        if ekey is None:
            ekey = _KEYS.setdefault(key, str(_esc(key)))
        parts.append(f",{ekey}:{json_value(value)}")
    if data is not None:
        parts.append(',"preview":')
        parts.append(_esc(data[:PREVIEW_MAX].decode("utf-8", "backslashreplace")))
    parts.append("}\n")
    return "".join(parts).encode("ascii")


class SocketEmitter(EmitterBase):
    """Implements ``ipccore._trace.Emitter`` over a non-blocking Unix stream socket."""

    def __init__(self, path: str, *, ring: bool = True, full: bool | None = None,
                 rate: int | None = None) -> None:
        self.path = path
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
        self.dropped = 0
        """Events dropped since the last ``monitor.dropped`` report."""
        self.dropped_total = 0
        self._pending = b""
        self._congested = False
        self._sock: socket.socket | None = None
        self._pid = os.getpid()
        self.foreign_uid: int | None = None
        """Set when the listener belongs to another user: we refused to talk to it."""
        self.enabled = self._connect()

    def _connect(self) -> bool:
        try:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SNDBUF)
            sock.connect(self.path)
            sock.setblocking(False)
            cred = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        except OSError:
            return False
        _pid, uid, _gid = struct.unpack("3i", cred)
        if uid != os.getuid():
            # Message previews must never go to a socket someone else listens on.
            self.foreign_uid = uid
            sock.close()
            return False
        self._sock = sock
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
        """In a fresh child: drop the parent's connection and state, open our own."""
        if self._ring is not None:
            with contextlib.suppress(Exception):
                self._ring.close()  # our copy of the parent's mapping; its file is its own
            self._ring = None
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
            self._sock = None
        self._pending = b""
        self._congested = False
        self.dropped = 0
        self.dropped_total = 0
        self._budget = Budget(self.rate)
        self._tallies = {}  # the parent's operations are the parent's to publish
        self._open = []
        self._last = [None] * 5
        self._pid = os.getpid()
        self.enabled = self._connect()

    def _disable(self) -> None:
        self.enabled = False
        self._pending = b""
        if self._ring is not None:
            with contextlib.suppress(Exception):
                self._ring.close()
            self._ring = None
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
            self._sock = None

    def _try(self, data: bytes) -> int | None:
        """Bytes the kernel took, or None when full (or the collector is gone).

        A full socket gets one short bounded wait per congestion episode, so a burst
        that merely outruns the collector is not dropped, while a collector that stopped
        reading costs at most :data:`STALL_S` before events are dropped without waiting.
        """
        sock = self._sock
        if sock is None:
            return None
        try:
            try:
                return sock.send(data)
            except BlockingIOError:
                if self._congested or STALL_S <= 0:
                    return None
                select.select([], [sock], [], STALL_S)
                return sock.send(data)
        except BlockingIOError:
            self._congested = True
            return None
        except OSError:
            self._disable()
            return None

    def _catch_up(self) -> bool:
        """Flush the unsent tail, then the drop count; True when the way is clear."""
        if self._pending:
            sent = self._try(self._pending)
            if sent is None:
                return False
            self._pending = self._pending[sent:]
            if self._pending:
                return False
        if self.dropped:
            line = encode(self._pid, "monitor.dropped", {"count": self.dropped}, None)
            sent = self._try(line)
            if sent is None:
                return False
            self.dropped = 0
            self._pending = line[sent:]
            if self._pending:
                return False
        self._congested = False
        return True

    def emit(self, kind: str, fields: dict[str, Any], data: bytes | None = None) -> None:
        if not self.enabled:
            return
        ring = self._ring
        if ring is not None:
            self._emit_ring(ring, kind, fields, data)
            return
        if (self._pending or self.dropped) and not self._catch_up():
            if self.enabled:
                self.dropped += 1
                self.dropped_total += 1
            return
        try:
            line = encode(self._pid, kind, fields, data)
        except Exception:  # a monitor must never break the program
            self.dropped += 1
            self.dropped_total += 1
            return
        sent = self._try(line)
        if sent is None:
            if self.enabled:
                self.dropped += 1
                self.dropped_total += 1
        elif sent < len(line):
            self._pending = line[sent:]

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
    ) -> None:
        """An aggregating channel only counts (a clock reading and a few attribute
        updates); anything else takes :meth:`_one`."""
        writes = kind == "pipe.write"
        tally = self._last[_PIPE_WRITE if writes else _PIPE_READ]
        if tally is not None and tally.on and tally.a == fd and tally.peer == peer:
            now = _time()
            if now < tally.until:
                tally.n += 1
                tally.nbytes += nbytes
                tally.ts = now
                return
        code = _PIPE_WRITE if writes else _PIPE_READ
        tally = self._tallies.get(code, _NO_TALLIES).get(fd)  # type: ignore[arg-type]
        self._one(kind, code, fd, peer, NONE, nbytes, via, data, tally)

    def queue_io(  # noqa: PLR0917 - the hot path: positional, no dict to build
        self, kind: str, key: int | None, msqid: int | None, mtype: int, nbytes: int,
        data: bytes,
    ) -> None:
        """Like :meth:`pipe_io`, for ``queue.push``/``queue.pop`` (a channel per queue and
        message type: pops of several producers' types are counted apart)."""
        code = _QUEUE_PUSH if kind == "queue.push" else HOT.get(kind, 0)
        tally = self._last[code]
        if tally is not None and tally.on and tally.c == mtype and tally.peer == msqid:
            now = _time()
            if now < tally.until:
                tally.n += 1
                tally.nbytes += nbytes
                tally.ts = now
                return
        tally = self._tallies.get(code, _NO_TALLIES).get(mtype)
        self._one(kind, code, key, msqid, mtype, nbytes, "pipe", data, tally)

    def _one(  # noqa: PLR0917 - the hot path's arguments, passed on
        self, kind: str, code: int, a: int | None, peer: int | None, c: int | None,
        nbytes: int, via: str, data: bytes, tally: Tally | None,
    ) -> None:
        """One operation as its own record, or the start of its channel's aggregate."""
        ring = self._ring  # set only while enabled
        if ring is None or self.dropped or not code:
            self._general(kind, a, peer, c, nbytes, via, data)
            return
        now = _time()
        if tally is not None and tally.on:
            # Its aggregate is due (window over), or another event closed it while the
            # channel was flooding (n == 0), or the fd now leads to another peer.
            keep = tally.peer == peer
            if tally.n:
                keep = keep and tally.keeps_going(now, self._budget.allowance)
                self._publish(tally)
            if keep:
                tally.start(now, nbytes, data[:PREVIEW_MAX])
                self._open.append(tally)
                self._last[code] = tally
                return
            tally.on = False
        if not self.full and not self._budget.take(now):
            if tally is None or tally.peer != peer:
                tally = Tally(code, VIA_CODE.get(via, 0), a, peer,  # type: ignore[arg-type]
                              NONE if c is None else c)
                self._tallies.setdefault(code, {})[a if code < 3 else c] = tally  # type: ignore[index]
            tally.start(now, nbytes, data[:PREVIEW_MAX])
            self._open.append(tally)
            self._last[code] = tally
            return
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
            return
        except Exception:  # a monitor must never break the program
            ok = False
        if ok and self._since_check < ALIVE_EVERY - 1:
            self._since_check += 1
        else:
            self._counted(ok)

    def _general(  # noqa: PLR0917 - the typed call's arguments
        self, kind: str, a: int | None, peer: int | None, c: int | None, nbytes: int,
        via: str, data: bytes,
    ) -> None:
        """The typed call through :meth:`emit` (no ring, drops to report, odd values)."""
        if kind.startswith("queue"):
            super().queue_io(kind, a, peer, c, nbytes, data)  # type: ignore[arg-type]
        else:
            super().pipe_io(kind, a, peer, nbytes, via, data)

    def _publish(self, tally: Tally) -> None:
        """Write a tally's open aggregate (one record) and empty it."""
        n, ring = tally.n, self._ring
        tally.n = 0
        with contextlib.suppress(ValueError):
            self._open.remove(tally)
        if ring is None or not n:
            return
        peer = NONE if tally.peer is None else tally.peer
        try:
            if n == 1:
                ok = ring.put(tally.code, tally.via, tally.ts0, tally.a, peer, tally.c,
                              tally.nbytes, tally.preview)
            else:
                ok = ring.put_agg(tally.code, tally.via, tally.ts, tally.a, peer, tally.c,
                                  tally.nbytes, n, tally.ts0, tally.preview)
        except Exception:  # a monitor must never break the program
            ok = False
        if not ok and self.enabled:
            self.dropped += n
            self.dropped_total += n

    def _close_aggregates(self, now: float) -> None:
        """Publish every open aggregate (another event follows them, or the end)."""
        for tally in list(self._open):
            keep = tally.keeps_going(now, self._budget.allowance)
            self._publish(tally)
            tally.on = keep  # a flood goes on aggregating; a pause ends it
            tally.until = 0.0  # its next operation opens the next aggregate

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

    def _check_alive(self) -> None:
        """Ring mode sends nothing, so ask the socket now and then whether the collector
        is still there (end of file or reset: disable, as a failed send would)."""
        sock = self._sock
        if sock is None:
            return
        try:
            if sock.recv(1, socket.MSG_DONTWAIT | socket.MSG_PEEK) == b"":
                self._disable()
        except BlockingIOError:
            pass
        except OSError:
            self._disable()

    def close(self) -> None:
        """Flush within :data:`CLOSE_FLUSH_S`, then close; never raises."""
        if not self.enabled or self._sock is None:
            return
        if self._open:
            with contextlib.suppress(Exception):
                self._close_aggregates(_time())
        deadline = time.monotonic() + CLOSE_FLUSH_S
        with contextlib.suppress(OSError):
            while (self._pending or self.dropped) and self.enabled:
                self._congested = True
                if self._catch_up():
                    break
                left = deadline - time.monotonic()
                if left <= 0 or self._sock is None:
                    break
                select.select([], [self._sock], [], left)
        self._disable()
