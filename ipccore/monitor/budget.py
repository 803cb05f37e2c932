"""The per-process event budget, and the aggregates a channel falls back to above it.

Why: in Python a ring record costs the monitored process ~1.4 us and the collector
~2.5 us more, against ~0.6 us for a 64-byte pipe write or read itself, so a flood with
one event per operation ran 4-8x slower under the monitor. A person cannot read 100,000
events a second anyway; what must stay exact is the count.

So each process may publish :data:`DEFAULT_RATE` events a second (``IPCCORE_MONITOR_RATE``),
counted in windows of :data:`WINDOW_S`. Past a window's allowance, a pipe or queue
operation is folded into its channel's open aggregate (a :class:`Tally`: a few
attribute updates, no record), published as one event of the same kind with ``count``,
total ``nbytes``, ``ts0``/``ts``: when its window ends, before any other event of the
process (lifecycle, signal, timer, error... stay in order around it), and at exit. A
channel whose aggregate saw fewer than a window's allowance of operations, or that went
quiet, goes back to one event per operation. At demo rates nothing is ever aggregated.

While its aggregate is open a channel's caller counts most operations itself, on the
tally as a grant (``ipccore._trace.Grant``); the emitter reads the clock only every
:data:`GRANT` + 1 operations, which is what bounds ``ts`` and the switch back after a
pause (see :data:`GRANT`).

``IPCCORE_MONITOR_FULL=1`` turns aggregation off: every operation is its own event.
"""

from __future__ import annotations

import os

from ipccore._trace import Grant

DEFAULT_RATE = 10_000
"""Events a second per process before aggregation: far above what a person reads (and
above every demo), far below a flood (100,000-900,000 operations a second here)."""
WINDOW_S = 0.1
"""Budget window, and the longest an aggregate stays open while its channel is busy."""
GRANT = 32
"""Operations a channel's caller counts on its own (no call, no clock reading) before the
emitter looks at the clock again: ~0.03 us each instead of ~0.2 us for a call. It
bounds what is known of an aggregate's times: ``ts`` may be the time the aggregate was
closed rather than its last operation's (see ``docs/events.md``), and after a pause a
channel may count up to this many more operations into its open aggregate before it
goes back to one event per operation (at once if the process does anything else)."""
QUIET_S = 0.05
"""A channel idle this long goes back to one event per operation (a burst, then a quiet
exchange, is recorded message by message again). Not 10 ms: the clock is now looked at
every :data:`GRANT` operations, and on a loaded machine a flooding process is often off
its CPU for 10-40 ms; each such false pause sent the flood back to single events for a
whole window's allowance (1,000, ~7 ms of writer and collector work), common in the
pinned benchmark at load 4-8 (1 run in 56 at 50 ms)."""

ENV_RATE = "IPCCORE_MONITOR_RATE"
ENV_FULL = "IPCCORE_MONITOR_FULL"


def rate_from_env() -> int:
    """``IPCCORE_MONITOR_RATE`` as a positive int, else :data:`DEFAULT_RATE` (a monitored
    program must never fail because of a bad monitor setting)."""
    raw = os.environ.get(ENV_RATE, "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else DEFAULT_RATE


def full_from_env() -> bool:
    """``IPCCORE_MONITOR_FULL`` set to ``1`` (or ``yes``/``true``): no aggregation."""
    return os.environ.get(ENV_FULL, "").strip().lower() in ("1", "yes", "true")


class Tally(Grant):
    """One channel's open aggregate: a pipe end's writes or reads, a queue's pushes or
    pops of one message type. Plain slots: the hot path only adds to them.

    While an aggregate is open the tally is also the channel's :class:`Grant`: the
    caller counts up to :data:`GRANT` operations into ``left``/``nbytes`` itself, and the
    emitter reads the clock again only when they are used up (:meth:`renew`) or when it
    closes the aggregate (:meth:`settle`). ``n`` and ``nbytes`` only ever grow by what
    was counted and shrink by what was published, so the totals stay exact whatever
    order those happen in.
    """

    __slots__ = ("a", "code", "granted", "late", "n", "on", "peer", "preview", "ts",
                 "ts0", "until", "via")

    def __init__(
        self, code: int, via: int, a: int, peer: int | None, c: int,
    ) -> None:
        super().__init__(c)
        # A plain attribute list (the hot path only adds to these slots); the duplicate
        # finder pairs it with the collector parts' constructors by shape.
        self.code = code
        """The ring record type of one such operation (``ring.HOT[kind]``)."""
        self.via = via
        self.a = a
        """``fd`` (pipe) or ``key`` (queue)."""
        self.peer = peer
        """``to``/``from`` (pipe) or ``msqid`` (queue): a different one is a new channel."""
        # c: ``mtype`` (queue) or ``ring.NONE``.
        self.on = False
        """Aggregating (else each operation is its own event)."""
        self.n = 0
        """Operations in the open aggregate, settled grants included (0: none open)."""
        self.granted = 0
        """Size of the current grant (``granted - left`` of it were used)."""
        self.ts0 = 0.0
        self.ts = 0.0
        """The last clock reading: the time of the aggregate's last operation, unless
        ``late``."""
        self.late = False
        """Operations were counted on a grant after ``ts`` (their times were not read)."""
        self.until = 0.0
        """When the open aggregate is due to close."""
        self.preview = b""

    def start(self, now: float, nbytes: int, preview: bytes) -> None:
        """Open an aggregate with its first operation, and grant the next ones."""
        self.on = True
        self.n += 1
        self.nbytes += nbytes
        self.ts0 = self.ts = now
        self.late = False
        self.until = now + WINDOW_S
        self.preview = preview
        self.granted = self.left = GRANT

    def renew(self, now: float, nbytes: int) -> None:
        """The grant is used up and the aggregate still open: count this operation (its
        time read now) and grant the next ones."""
        self.n += self.granted - self.left + 1
        self.nbytes += nbytes
        self.ts = now
        self.late = False
        self.granted = self.left = GRANT

    def settle(self) -> None:
        """Take the grant back: what the caller counted on it joins ``n``."""
        used = self.granted - self.left
        self.granted = self.left = 0
        if used:
            self.n += used
            self.late = True

    def keeps_going(self, now: float, allowance: int) -> bool:
        """After its aggregate closed at ``now``: still a flood (more operations than a
        whole window's allowance, and no pause), so the next one opens at once?"""
        return self.n > allowance and now - self.ts < QUIET_S


class Budget:
    """Events left in the current window."""

    __slots__ = ("allowance", "left", "window_end")

    def __init__(self, rate: int) -> None:
        self.allowance = max(1, int(rate * WINDOW_S))
        self.left = self.allowance
        self.window_end = 0.0

    def take(self, now: float) -> bool:
        """One event may go out on its own (and is counted)."""
        if now >= self.window_end:
            self.window_end = now + WINDOW_S
            self.left = self.allowance
        if self.left > 0:
            self.left -= 1
            return True
        return False
