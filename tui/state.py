"""The monitor's pure state model: every event folded into what the widgets show.

No Textual import, no I/O, no clock: ``apply(state, event)`` is a plain function of its
inputs, so the model is unit- and property-tested without a terminal, and a replayed
recording always yields the same screen. Everything that grows is bounded (log ring,
depth history, per-process signal names), so a long flood keeps memory flat.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from ipcevents.events import Event, signal_name
from tui.kernel import KINDS as KERNEL_KINDS
from tui.kernel import KernelView, apply_kernel
from tui.text import as_int, as_num, clip, describe, ending_of, meaningful_name

LOG_MAX = 5000
"""Log lines kept; older ones fall off the ring."""
DEPTH_HISTORY = 120
"""Queue depth samples kept per queue for the sparkline."""
SIGNAL_NAMES_MAX = 16
"""Distinct signal names tracked per process (a hostile stream cannot grow it)."""


@dataclass(slots=True)
class ProcView:
    """One process as the panes show it; it stays after the process ends."""

    pid: int
    role: str = "?"
    ident: int | None = None
    """The Process id (``Process.id``: 1, 2, ...) from ``proc.spawn``/``proc.hello``."""
    worker_id: int | None = None
    """A pool worker's id (``pool.spawn``): it outlives the pid across restarts."""
    previous: int | None = None
    """The pid this pool worker replaced, when it is a restart."""
    name: str = ""
    """Shown only when meaningful: set by ``name()``, or a comm that is not the interpreter."""
    named: bool = False
    """The name came from ``proc.name`` (the program chose it); samples never override it."""
    queue_key: int | None = None
    """The SysV queue this process last pushed to or popped from."""
    ppid: int | None = None
    status: str = "running"
    """psutil status string from the last ``proc.stats`` sample."""
    ending: str | None = None
    """``exited with code N`` / ``killed by SIGKILL`` once the end is known."""
    exit_code: int | None = None
    cpu: float | None = None
    """cpu % over the last sampling interval; None until two samples exist (psutil's
    first reading of a process is a baseline, not a rate)."""
    rss: int = 0
    """Resident bytes at the last sample; the peak (``maxrss``) once the process is reaped."""
    samples: int = 0
    cpu_time: float | None = None
    """User + system seconds from the parent's ``wait4``: the final figure of an ended process."""
    msgs_in: int = 0
    bytes_in: int = 0
    msgs_out: int = 0
    bytes_out: int = 0
    last_message: str | None = None
    last_nbytes: int = 0
    signals: dict[str, int] = field(default_factory=dict)
    """Signals received, by name: sends aimed at it plus handled ones nobody announced."""
    _pending: dict[str, int] = field(default_factory=dict)
    kernel: KernelView | None = None
    """What the kernel says (channels, dispositions, I/O), once the watcher reported it."""
    version: int = 0

    @property
    def ended(self) -> bool:
        return self.ending is not None

    @property
    def state_text(self) -> str:
        if self.ending is not None:
            return self.ending
        return self.status

    @property
    def label(self) -> str:
        """``master`` / ``child #1`` / ``worker #0``: how the code refers to the process."""
        if self.worker_id is not None:
            return f"worker #{self.worker_id}"
        if self.ident is not None and self.role not in ("master", "pool master"):
            return f"{self.role} #{self.ident}"
        return self.role


@dataclass(slots=True)
class QueueView:
    """One SysV queue: identity, last kernel sample and traffic counts."""

    key: int
    msqid: int | None = None
    mode: int | None = None
    qnum: int = 0
    cbytes: int = 0
    qbytes: int = 0
    pushes: int = 0
    pops: int = 0
    freed: bool = False
    history: deque[int] = field(default_factory=lambda: deque(maxlen=DEPTH_HISTORY))
    version: int = 0


@dataclass(frozen=True, slots=True)
class LogLine:
    """One event as one log line (built once; the view only filters and draws it)."""

    seq: int
    t: float
    """Seconds since the first event of the stream."""
    pid: int
    kind: str
    text: str

    @property
    def category(self) -> str:
        return self.kind.partition(".")[0]

    def render(self) -> str:
        return f"{self.t:9.3f} {self.pid:>7} {self.kind:<15} {self.text}"


@dataclass(slots=True)
class MonitorState:
    """Everything the screen shows. Mutated only by :func:`apply`."""

    procs: dict[int, ProcView] = field(default_factory=dict)
    queues: dict[int, QueueView] = field(default_factory=dict)
    log: deque[LogLine] = field(default_factory=lambda: deque(maxlen=LOG_MAX))
    t0: float | None = None
    events: int = 0
    dropped: int = 0
    ended: bool = False
    end_code: int | None = None
    end_signal: int | None = None
    version: int = 0
    """Bumped by every event, so the UI redraws only when something changed."""
    log_version: int = 0
    """Bumped when a log line is appended."""

    def proc(self, pid: int) -> ProcView:
        view = self.procs.get(pid)
        if view is None:
            view = self.procs[pid] = ProcView(pid)
        return view

    def queue(self, key: int) -> QueueView:
        view = self.queues.get(key)
        if view is None:
            view = self.queues[key] = QueueView(key)
        return view

    def shown_name(self, view: ProcView) -> str:
        """The name a pane shows: one set with ``name()`` always; a command name only
        when it differs from the parent's (a forked child inherits its parent's command
        line, and ``python -m ipccore`` on every pane of a demo says nothing)."""
        if view.named or not view.name or view.ppid is None:
            return view.name
        parent = self.procs.get(view.ppid)
        return "" if parent is not None and parent.name == view.name else view.name

    def children(self) -> list[int]:
        """Live pids that are not a master, in pid order (targets of "all children")."""
        return sorted(p.pid for p in self.procs.values() if p.role != "master" and not p.ended)


def _bump_signal(table: dict[str, int], name: str) -> None:
    if name in table or len(table) < SIGNAL_NAMES_MAX:
        table[name] = table.get(name, 0) + 1


def _message(view: ProcView, event: Event, incoming: bool) -> None:
    n = as_int(event.get("nbytes"))
    if event.category == "queue" and type(event.get("key")) is int:
        view.queue_key = event.get("key")
    count = event.count  # an aggregate stands for `count` messages, `n` bytes in all
    if incoming:
        if n == 0 and event.kind == "pipe.read":
            return
        view.msgs_in += count
        view.bytes_in += n
    else:
        view.msgs_out += count
        view.bytes_out += n
    view.last_message = clip(event.get("preview", ""), 80)
    view.last_nbytes = n


def _apply_stats(view: ProcView, event: Event) -> None:
    """A sample: cpu % only from the second one on; a reaped process keeps its final
    figures (a late sample of a zombie says rss 0)."""
    f = event.get
    if view.cpu_time is not None:
        return
    view.samples += 1
    view.cpu = as_num(f("cpu")) if view.samples >= 2 else None
    view.rss = as_int(f("rss")) or view.rss
    if isinstance(f("state"), str):
        view.status = f("state")
    if not view.named and not view.name and meaningful_name(f("name"), view.role):
        view.name = clip(f("name"), 60)
    view.version += 1


def _apply_end(view: ProcView, event: Event) -> None:
    """``proc.reap``/``proc.gone``: how it ended, and the final figures from ``wait4``."""
    f = event.get
    view.ending = ending_of(f("code"), f("signal"))
    view.status = "dead"
    if type(f("maxrss")) is int and f("maxrss") > 0:
        view.rss = f("maxrss")
    if isinstance(f("cpu_time"), int | float) and type(f("cpu_time")) is not bool:
        view.cpu_time = max(0.0, float(f("cpu_time")))
    view.version += 1


def _apply_kernel(state: MonitorState, event: Event) -> None:
    """The watcher's samples: a process seen (perhaps one that never says hello), its
    channels, signal masks and I/O."""
    view = state.proc(event.pid)
    if view.kernel is None:
        view.kernel = KernelView()
    apply_kernel(view.kernel, event)
    if event.kind == "proc.seen":
        ppid = event.get("ppid")
        if view.ppid is None and type(ppid) is int:
            view.ppid = ppid
        if view.role == "?":
            view.role = "process"
    view.version += 1


def _apply_proc(state: MonitorState, event: Event) -> None:
    kind, f = event.kind, event.get
    if kind == "proc.stats":
        _apply_stats(state.proc(event.pid), event)
        return
    if kind == "proc.hello":
        view = state.proc(event.pid)
        view.role = clip(f("role", "?"), 12)
        view.ppid = f("ppid") if type(f("ppid")) is int else None
        if type(f("id")) is int:
            view.ident = f("id")
        if not view.named and meaningful_name(f("name"), view.role):
            view.name = clip(f("name"), 60)
    elif kind == "proc.spawn":
        child = f("child")
        if type(child) is int and child > 0:
            view = state.proc(child)
            view.ppid = event.pid
            if view.role == "?":
                view.role = "child"
            if view.ident is None and type(f("id")) is int:
                view.ident = f("id")
            view.version += 1
        view = state.proc(event.pid)
        if view.role == "?":
            view.role = "master"
    elif kind == "proc.name":
        view = state.proc(event.pid)
        view.name = clip(f("name", ""), 60)
        view.named = True
    elif kind == "proc.exit":
        view = state.proc(event.pid)
        code = f("code")
        view.exit_code = code if type(code) is int else None
        if view.ending is None:
            view.ending = ending_of(code, None)
    elif kind in ("proc.reap", "proc.gone"):
        target = f("child") if kind == "proc.reap" else event.pid
        if type(target) is not int or target <= 0:
            return
        _apply_end(state.proc(target), event)
        return
    else:
        return
    view.version += 1


NOT_LOGGED = frozenset({"proc.stats", "queue.depth", "proc.chan", "proc.signals", "proc.io"})
"""Samples: they change the panes, not the log (a busy tree reports them 10 times a second)."""


def apply(state: MonitorState, event: Event) -> MonitorState:
    """Fold one event into ``state`` (in place) and return it."""
    state.events += 1
    state.version += 1
    if state.t0 is None:
        state.t0 = event.ts
    kind, cat = event.kind, event.category
    if cat == "queue":
        _apply_queue(state, event)
    if kind in KERNEL_KINDS:
        _apply_kernel(state, event)
    elif cat == "proc":
        _apply_proc(state, event)
    elif kind in ("pipe.write", "queue.push"):
        # What the user injected from the UI carries the monitor's pid: not a pane.
        if event.get("via") != "monitor" or event.pid in state.procs:
            _message(state.proc(event.pid), event, incoming=False)
            state.procs[event.pid].version += 1
    elif kind in ("pipe.read", "queue.pop"):
        _message(state.proc(event.pid), event, incoming=True)
        state.procs[event.pid].version += 1
    elif kind == "signal.send":
        target = event.get("to")
        if event.get("ok", True) and type(target) is int and target > 0:
            view = state.proc(target)
            name = signal_name(event.get("signal"))
            _bump_signal(view.signals, name)
            _bump_signal(view._pending, name)
            view.version += 1
    elif kind == "signal.handle":
        view = state.proc(event.pid)
        name = signal_name(event.get("signal"))
        if view._pending.get(name, 0) > 0:
            view._pending[name] -= 1
        else:
            _bump_signal(view.signals, name)
        view.version += 1
    elif cat == "pool":
        _apply_pool(state, event)
    elif kind == "monitor.dropped":
        state.dropped += as_int(event.get("count"))
    elif kind == "monitor.end":
        state.ended = True
        state.end_code = event.get("code") if type(event.get("code")) is int else None
        sig = event.get("signal")
        state.end_signal = sig if type(sig) is int else None
    if kind not in NOT_LOGGED:
        state.log.append(LogLine(event.seq, event.ts - state.t0, event.pid, kind, describe(event)))
        state.log_version += 1
    return state


def _apply_pool(state: MonitorState, event: Event) -> None:
    """Pool events name roles: the pool's master, and workers by their worker id."""
    if event.kind == "pool.spawn":
        _apply_pool_spawn(state, event)
    elif event.kind == "pool.start":
        view = state.proc(event.pid)
        view.role = "pool master"
        view.version += 1
    elif event.kind == "pool.message":
        view = state.proc(event.pid)
        view.last_message = clip(event.get("preview", ""), 80)
        view.last_nbytes = as_int(event.get("nbytes"))
        view.version += 1


def _apply_pool_spawn(state: MonitorState, event: Event) -> None:
    child, wid = event.get("child"), event.get("worker_id")
    if type(child) is not int or child <= 0 or type(wid) is not int:
        return
    view = state.proc(child)
    view.worker_id = wid
    previous = event.get("previous")
    view.previous = previous if type(previous) is int else None
    view.ppid = event.pid
    if view.role in ("?", "child"):
        view.role = "worker"
    view.version += 1


def _apply_queue(state: MonitorState, event: Event) -> None:
    key = event.get("key")
    if type(key) is not int:
        return
    view = state.queue(key)
    msqid = event.get("msqid")
    if type(msqid) is int:
        view.msqid = msqid
    kind = event.kind
    if kind == "queue.open":
        view.mode = as_int(event.get("mode")) or None
        view.freed = False
    elif kind == "queue.depth":
        view.qnum = as_int(event.get("qnum"))
        view.cbytes = as_int(event.get("cbytes"))
        view.qbytes = as_int(event.get("qbytes"))
        view.history.append(view.qnum)
    elif kind in ("queue.push", "queue.pop"):
        # Exact for the monitored processes' own traffic; the next sample corrects the rest.
        count = event.count
        step = 1 if kind == "queue.push" else -1
        if step > 0:
            view.pushes += count
        else:
            view.pops += count
        view.qnum = max(0, view.qnum + step * count)
        view.cbytes = max(0, view.cbytes + step * as_int(event.get("nbytes")))
        view.history.append(view.qnum)
    elif kind == "queue.free":
        view.freed = True
        view.qnum = view.cbytes = 0
        view.history.append(0)
    view.version += 1
