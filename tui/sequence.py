"""The sequence chart's model: lifelines and rows built from the event stream.

Pure and append-only (no Textual, no clock): :meth:`Sequence.feed` turns each event into
zero, one or two rows, so the chart as of any event ``k`` is simply the rows whose
``index`` is at most ``k`` (a bisection), a message is pending at ``k`` when its read
came later (``done > k``) and a lifeline has ended at ``k`` when ``end <= k``. That is
what makes time travel cheap for this view: nothing is refolded, only cut.

Memory is bounded like the rest of the monitor: rows older than :data:`ROWS_MAX` are
dropped in chunks, unmatched writes per channel are capped, rows refer to each other by
event index (never by object), so a dropped row is really freed.
"""

from __future__ import annotations

import bisect
from collections import deque
from dataclasses import dataclass, field

from ipcevents.events import Event, signal_name
from tui.text import as_int, clip, ending_of, human_bytes

ROWS_MAX = 50_000
"""Rows kept for scrolling and time travel; older ones fall off in chunks."""
PENDING_MAX = 1024
"""Unread writes remembered per channel (a reader that never reads cannot grow it)."""
LABEL_MAX = 48
"""Characters of a preview kept in a row label (the layout clips further to fit)."""
LIFELINES_MAX = 4096
"""Lifelines kept; events naming further pids or queues draw no new column."""

LifelineKey = tuple[str, int]
"""``("proc", pid)``, ``("queue", key)`` or ``("monitor", pid)``."""


# A process's identity fields (role, ident, worker_id) parallel tui.state.ProcView's by
# design: the chart and the panes read them from the same events.
@dataclass(slots=True)
class Lifeline:
    """One column: a process, a SysV queue, or the monitor itself."""

    key: LifelineKey
    start: int
    """Index of the event where it first appears (its fork, for a child)."""
    role: str = ""
    ident: int | None = None
    worker_id: int | None = None
    """A pool worker's id: a restarted worker keeps it on its (new) lifeline."""
    end: int | None = None
    """Index of the event that ended it (exit, kill, reap, removal), once known."""
    ending: str = ""
    mark_width: int = 0
    """Widest mark drawn beside it (the layout leaves room for it)."""

    @property
    def kind(self) -> str:
        return self.key[0]

    @property
    def head(self) -> str:
        """``12064 child #1``, ``queue 0x7088d00b``, ``4100 monitor``."""
        kind, n = self.key
        return f"queue {self.label}" if kind == "queue" else f"{n} {self.label}".rstrip()

    @property
    def label(self) -> str:
        """The part of the head under the pid when heads take two lines."""
        kind, n = self.key
        if kind == "queue":
            return f"{n:#x}"
        if kind == "monitor":
            return "monitor"
        if self.worker_id is not None:
            return f"worker #{self.worker_id}"
        if self.ident is not None and self.role not in ("master", "pool master", ""):
            return f"{self.role} #{self.ident}"
        return self.role

    @property
    def short(self) -> str:
        """The part of the head over the label when heads take two lines."""
        kind, n = self.key
        return "queue" if kind == "queue" else str(n)


@dataclass(slots=True)
class Row:
    """One line of the chart: an arrow between two lifelines, or a mark on one."""

    index: int
    """Number of the event it comes from (1 = the first event of the run)."""
    event: Event
    style: str
    """``pipe``, ``queue``, ``signal``, ``fork`` (arrows) or ``mark``, ``handled``,
    ``timer``, ``exit``, ``killed``, ``error`` (marks)."""
    label: str
    src: LifelineKey
    dst: LifelineKey | None = None
    """None for a mark on ``src``."""
    channel: tuple[object, ...] | None = None
    """Messages on one channel: same writer and reader, same queue, same signal route."""
    previous: int | None = None
    """Index of the previous row on the same channel."""
    done: int | None = None
    """For a pipe write: index of the read that got it (pending until then)."""
    partner: Event | None = None
    """The other end: the read of a write (and the reverse), the pop of a push."""
    partner_index: int | None = None

    @property
    def is_arrow(self) -> bool:
        return self.dst is not None

    def pending_at(self, k: int) -> bool:
        """Written, not yet read, as of event ``k`` (only pipe writes wait for a read)."""
        return self.style == "pipe" and (self.done is None or self.done > k)


@dataclass(slots=True)
class _Pending:
    row: Row
    left: int
    """Messages of an aggregated write not yet matched by reads."""


@dataclass
class Sequence:
    """Rows and lifelines of a whole run, fed one event at a time."""

    rows_max: int = ROWS_MAX
    rows: list[Row] = field(default_factory=list)
    indexes: list[int] = field(default_factory=list)
    """``rows[i].index``, kept beside for bisection."""
    lifelines: dict[LifelineKey, Lifeline] = field(default_factory=dict)
    order: list[LifelineKey] = field(default_factory=list)
    """Lifelines left to right: the monitor, processes in order of appearance, queues."""
    pair_width: dict[tuple[LifelineKey, LifelineKey], int] = field(default_factory=dict)
    """Widest label drawn between two lifelines (the layout spaces columns by it)."""
    t0: float | None = None
    count: int = 0
    """Events fed so far (the index of the last one)."""
    version: int = 0
    """Bumped whenever something drawn changed."""
    _pending: dict[tuple[object, ...], deque[_Pending]] = field(default_factory=dict)
    _last_on: dict[tuple[object, ...], int] = field(default_factory=dict)
    _queued: dict[tuple[int, int], deque[Row]] = field(default_factory=dict)
    _signalled: dict[tuple[int, int], deque[Row]] = field(default_factory=dict)

    # -- reading ----------------------------------------------------------------------

    def upto(self, k: int) -> int:
        """How many kept rows come from the first ``k`` events."""
        return bisect.bisect_right(self.indexes, k)

    def row_for(self, k: int) -> int | None:
        """Position in ``rows`` of the last row at or before event ``k``."""
        n = self.upto(k)
        return n - 1 if n else None

    def find(self, index: int) -> Row | None:
        """The first kept row of event ``index``."""
        i = bisect.bisect_left(self.indexes, index)
        if i < len(self.rows) and self.indexes[i] == index:
            return self.rows[i]
        return None

    def visible(self, k: int) -> list[Lifeline]:
        """Lifelines that exist as of event ``k``, left to right."""
        return [self.lifelines[key] for key in self.order if self.lifelines[key].start <= k]

    def time_of(self, row: Row) -> float:
        return row.event.ts - (self.t0 if self.t0 is not None else row.event.ts)

    # -- feeding ----------------------------------------------------------------------

    def feed(self, event: Event) -> None:
        """Add the rows of one event (most events add none)."""
        self.count += 1
        if self.t0 is None:
            self.t0 = event.ts
        handler = _HANDLERS.get(event.kind)
        if handler is not None:
            handler(self, event)
        elif event.kind in ("proc.hello", "queue.open", "pool.start", "pool.spawn"):
            self._identify(event)

    def _lifeline(self, key: LifelineKey) -> Lifeline | None:
        line = self.lifelines.get(key)
        if line is None:
            if len(self.lifelines) >= LIFELINES_MAX:
                return None
            line = self.lifelines[key] = Lifeline(key, self.count)
            if key[0] == "monitor":
                self.order.insert(0, key)
            elif key[0] == "proc":
                at = len(self.order)
                while at and self.order[at - 1][0] == "queue":
                    at -= 1
                self.order.insert(at, key)
            else:
                self.order.append(key)
            self.version += 1
        return line

    def _identify(self, event: Event) -> None:
        kind = event.kind
        if kind == "queue.open":
            if type(event.get("key")) is int:
                self._lifeline(("queue", event.get("key")))
            return
        if kind in ("pool.start", "pool.spawn"):
            child, wid = event.get("child"), event.get("worker_id")
            if kind == "pool.start":
                line = self._lifeline(("proc", event.pid))
                if line is not None:
                    line.role = "pool master"
            elif type(child) is int and child > 0 and type(wid) is int:
                line = self._lifeline(("proc", child))
                if line is not None:
                    line.worker_id = wid
            self.version += 1
            return
        line = self._lifeline(("proc", event.pid))
        if line is not None:
            line.role = clip(event.get("role", "?"), 12)
            if type(event.get("id")) is int:
                line.ident = event.get("id")

    def _sender(self, event: Event) -> LifelineKey:
        return ("monitor", event.pid) if event.get("via") == "monitor" else ("proc", event.pid)

    def _add(self, row: Row) -> Row | None:
        src = self._lifeline(row.src)
        dst = self._lifeline(row.dst) if row.dst is not None else None
        if src is None or (row.dst is not None and dst is None):
            return None
        width = len(row.label)
        if row.dst is None or row.dst == row.src:
            src.mark_width = max(src.mark_width, width + 2)
        else:
            pair = (row.src, row.dst) if row.src < row.dst else (row.dst, row.src)
            if self.pair_width.get(pair, 0) < width:
                self.pair_width[pair] = width
        if row.channel is not None:
            row.previous = self._last_on.get(row.channel)
            self._last_on[row.channel] = row.index
        self.rows.append(row)
        self.indexes.append(row.index)
        self.version += 1
        if len(self.rows) > self.rows_max + self.rows_max // 8:
            drop = len(self.rows) - self.rows_max
            del self.rows[:drop]
            del self.indexes[:drop]
        return row

    def _end(self, event: Event, key: LifelineKey, ending: str, style: str) -> None:
        """Close a lifeline with a mark, once (a later reap or gone adds nothing)."""
        line = self.lifelines.get(key)
        if line is not None and line.end is not None:
            return
        row = self._add(Row(self.count, event, style, ending, key))
        line = self.lifelines.get(key)
        if row is not None and line is not None:
            line.end, line.ending = self.count, ending

    # -- per kind ---------------------------------------------------------------------

    def _spawn(self, event: Event) -> None:
        child = event.get("child")
        if type(child) is not int or child <= 0:
            return
        parent = self._lifeline(("proc", event.pid))
        if parent is not None and not parent.role:
            parent.role = "master"
        line = self._lifeline(("proc", child))
        if line is not None:
            line.role = line.role or "child"
            if line.ident is None and type(event.get("id")) is int:
                line.ident = event.get("id")
        ident = event.get("id")
        label = f"fork #{ident}" if type(ident) is int else "fork"
        self._add(Row(self.count, event, "fork", label, ("proc", event.pid), ("proc", child)))

    def _write(self, event: Event) -> None:
        to = event.get("to")
        src = self._sender(event)
        dst: LifelineKey = ("proc", to) if type(to) is int and to > 0 else src
        channel = ("pipe", src[1], dst[1])
        row = self._add(Row(self.count, event, "pipe", message_label(event), src, dst, channel))
        if row is not None and dst != src:
            waiting = self._pending.setdefault(channel, deque(maxlen=PENDING_MAX))
            waiting.append(_Pending(row, as_int(event.get("count"), 1)))

    def _read(self, event: Event) -> None:
        writer = event.get("from")
        if as_int(event.get("nbytes")) == 0:
            self._add(Row(self.count, event, "mark", "EOF", ("proc", event.pid)))
            return
        waiting = self._pending.get(("pipe", writer, event.pid))
        if waiting:
            self._match(waiting, event)
            return
        # Nothing written that we saw (dropped, or a STREAM read merging writes).
        src: LifelineKey = ("proc", writer) if type(writer) is int and writer > 0 else (
            "proc", event.pid)
        channel = ("pipe", src[1], event.pid)
        row = Row(self.count, event, "pipe", message_label(event), src, ("proc", event.pid),
                  channel, done=self.count)
        self._add(row)

    def _match(self, waiting: deque[_Pending], event: Event) -> None:
        head = waiting[0]
        head.left -= as_int(event.get("count"), 1)
        if head.left <= 0:
            waiting.popleft()
        row = head.row
        row.done, row.partner, row.partner_index = self.count, event, self.count
        self.version += 1

    def _push(self, event: Event) -> None:
        key = event.get("key")
        if type(key) is not int:
            return
        queue: LifelineKey = ("queue", key)
        label = queue_label(event)
        row = self._add(Row(self.count, event, "queue", label, self._sender(event), queue,
                            ("queue", key)))
        if row is not None:
            waiting = self._queued.setdefault((key, as_int(event.get("mtype"))),
                                              deque(maxlen=PENDING_MAX))
            waiting.append(row)

    def _pop(self, event: Event) -> None:
        key = event.get("key")
        if type(key) is not int:
            return
        row = self._add(Row(self.count, event, "queue", queue_label(event), ("queue", key),
                            ("proc", event.pid), ("queue", key)))
        waiting = self._queued.get((key, as_int(event.get("mtype"))))
        if row is None or not waiting:
            return
        push = waiting.popleft()
        push.partner, push.partner_index = event, self.count
        row.partner, row.partner_index = push.event, push.index

    def _free(self, event: Event) -> None:
        key = event.get("key")
        if type(key) is int:
            self._end(event, ("queue", key), f"removed by {event.pid}", "exit")

    def _signal(self, event: Event) -> None:
        to = event.get("to")
        if type(to) is not int or to <= 0:
            return
        name = signal_name(event.get("signal"))
        count = as_int(event.get("count"), 1)
        label = (f"×{count} " if count > 1 else "") + name
        if not event.get("ok", True):
            label += " failed"
        src = self._sender(event)
        row = self._add(Row(self.count, event, "signal", label, src, ("proc", to),
                            ("signal", src[1], to)))
        if row is not None and event.get("ok", True):
            key = (to, as_int(event.get("signal")))
            self._signalled.setdefault(key, deque(maxlen=PENDING_MAX)).append(row)

    def _mark(self, event: Event) -> None:
        kind, f = event.kind, event.get
        count = as_int(f("count"), 1)
        times = f" ×{count}" if count > 1 else ""
        if kind == "signal.handle":
            text, style = f"{signal_name(f('signal'))} handled{times}", "handled"
        elif kind == "timer.fire":
            text, style = f"timer {f('timer')} fired{times}", "timer"
        else:
            text, style = clip(f"{f('op')}: {f('error')}", 40), "error"
        row = self._add(Row(self.count, event, style, text, ("proc", event.pid)))
        waiting = self._signalled.get((event.pid, as_int(f("signal"))))
        if kind == "signal.handle" and row is not None and waiting:
            send = waiting.popleft()
            send.partner, send.partner_index = event, self.count
            row.partner, row.partner_index = send.event, send.index

    def _exit(self, event: Event) -> None:
        code = event.get("code")
        text = f"exit {code}" if type(code) is int else "exit"
        self._end(event, ("proc", event.pid), text, "exit")

    def _reap(self, event: Event) -> None:
        child = event.get("child")
        if type(child) is not int or child <= 0:
            return
        self._end(event, ("proc", child), ending_text(event.get("code"), event.get("signal")),
                  "killed" if as_int(event.get("signal")) else "exit")
        self._add(Row(self.count, event, "mark", f"reaped {child}", ("proc", event.pid)))

    def _gone(self, event: Event) -> None:
        signum = as_int(event.get("signal"))
        self._end(event, ("proc", event.pid), ending_text(event.get("code"), signum),
                  "killed" if signum else "exit")


_HANDLERS = {
    "proc.spawn": Sequence._spawn,
    "pipe.write": Sequence._write,
    "pipe.read": Sequence._read,
    "queue.push": Sequence._push,
    "queue.pop": Sequence._pop,
    "queue.free": Sequence._free,
    "signal.send": Sequence._signal,
    "signal.handle": Sequence._mark,
    "timer.fire": Sequence._mark,
    "error": Sequence._mark,
    "proc.exit": Sequence._exit,
    "proc.reap": Sequence._reap,
    "proc.gone": Sequence._gone,
}


def ending_text(code: object, signum: object) -> str:
    """``exit 0`` / ``killed by SIGKILL``: the short form of :func:`tui.text.ending_of`."""
    text = ending_of(code, signum)
    return text.replace("exited with code ", "exit ")


def message_label(event: Event) -> str:
    """``13 B "12065, hello!"`` (``×5 1.2 KiB "..."`` for an aggregate of 5)."""
    count = as_int(event.get("count"), 1)
    size = human_bytes(as_int(event.get("nbytes")))
    preview = event.get("preview")
    text = f'"{clip(preview, LABEL_MAX)}"' if isinstance(preview, str) else ""
    return " ".join(p for p in (f"×{count}" if count > 1 else "", size, text) if p)


def queue_label(event: Event) -> str:
    """``mtype 3 12 B "Hello World!"``."""
    return f"mtype {event.get('mtype')} {message_label(event)}"
