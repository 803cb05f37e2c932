"""A recording as a Perfetto / Chrome trace (Trace Event Format, JSON object form).

``python -m ipccore export FILE.ndjson -o trace.json`` writes a file that ui.perfetto.dev and
chrome://tracing open as it is. What goes where:

- every process gets a ``process_name`` (``PID role``: ``12064 child #1``; for a program
  watched with ``--run``/``--pid``, ``PID command``: ``12070 python3 prog.py``) and a
  ``process_sort_index`` in the order processes appeared (the master first, then the children
  as they were spawned);
- ``pipe.write``/``pipe.read``/``queue.push``/``queue.pop`` and ``signal.send``/``signal.handle``
  are complete slices (``"ph": "X"``) on the process's track, with the event's fields in
  ``args``. Perfetto binds flow arrows to slices only (its JSON importer ignores ``bind_id`` on
  ``"i"`` events, and makes a thread instant a zero-length slice anyway), so the signal events
  are zero-length slices too;
- a flow arrow (v2: ``bind_id`` + ``flow_out`` on the sender's slice, ``flow_in`` on the
  receiver's) from each write to the read that took it, each push to its pop and each
  ``signal.send`` to its ``signal.handle``: only when both ends are in the recording and in two
  different processes, so every arrow has both ends;
- every other event (forks, exits, reaps, names, timers, output lines, errors, monitor notes)
  is a process-scoped instant (``"ph": "i"``, ``"s": "p"``);
- ``proc.stats`` and ``queue.depth`` become counters (``"ph": "C"``): cpu and rss per process,
  messages and bytes per queue;
- an aggregated event (``count`` >= 2: a burst of one kind recorded as one event, ``ts0`` its
  first operation, ``ts`` its last) is one slice from ``ts0`` to ``ts`` named ``KIND ×N``, on a
  track of its own per process and kind (bursts overlap the single operations around them,
  and Perfetto drops slices that overlap without nesting). It carries no arrow: which message
  of a burst went where is not recorded.

Deterministic: the output is a function of the recording alone (no clock, no hash order), so
the same recording gives the same bytes. Streaming: events are read one at a time and written
as they are decided; what is held is a bounded number of sends waiting for their receiver
(:data:`PENDING_MAX`) and one name per process, so memory does not grow with the recording.
A sender's slice is written when its receiver turns up (it must carry ``flow_out``), so the
file is not in time order; both viewers sort on import.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections import OrderedDict, deque
from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii as _esc
from pathlib import Path
from typing import IO, Any

from ipcevents.errors import RecordingError, command_failed
from ipcevents.events import Event, json_value
from ipcevents.replay import read_recording

PENDING_MAX = 32768
"""Sends (writes, pushes, signals) held at most while waiting for their receiver. A queue of
the kernel's default 16 KiB holds at most 16,384 one-byte messages and a socketpair a few
hundred, so a message still unread after this many newer unmatched ones is taken as never
read (its reader died, or a STREAM read merged it): its slice is written without an arrow.
Held slices are kept as their rendered JSON (~300 bytes), about 10 MB at most."""

_AGG_TRACK = {"pipe.write": 1, "pipe.read": 2, "queue.push": 3, "queue.pop": 4}
"""Aggregates of a kind go on thread ``pid + n * 2**22`` (pids are below 2**22 on Linux), so
tids stay unique across processes: Perfetto keys threads by tid alone."""
_TID_STRIDE = 1 << 22
_SLICE_KINDS = frozenset({*_AGG_TRACK, "signal.send", "signal.handle"})
_SKIPPED = frozenset({"proc.hello", "monitor.ring"})
"""Plumbing: a hello only names its process; a ring note never reaches a recording."""


@dataclass(slots=True)
class ExportStats:
    """What one export wrote."""

    events: int = 0
    """Events read from the recording."""
    trace_events: int = 0
    """Trace events written (slices, instants, counters, metadata)."""
    flows: int = 0
    """Arrows (each with both ends)."""
    processes: int = 0


def _us(ts: float, base: float) -> str:
    """Microseconds since ``base`` with nanosecond digits, as fixed text (deterministic)."""
    return repr(round((ts - base) * 1e6, 3))


def _args(event: Event) -> str:
    parts = [f'"seq":{event.seq}']
    parts.extend(f"{_esc(k)}:{json_value(v)}" for k, v in event.fields.items()
                 if k != "ts0")
    return "{" + ",".join(parts) + "}"


def _pipe_key(event: Event) -> Hashable | None:
    """How the collector pairs a read with its write (``ipccore.monitor.order``): receiver,
    size and preview, oldest first; the read's ``from`` then names the writer."""
    f = event.fields
    nbytes, prev = f.get("nbytes"), f.get("preview")
    if type(nbytes) is not int or nbytes <= 0 or type(prev) is not str:
        return None
    receiver = f.get("to") if event.kind == "pipe.write" else event.pid
    if type(receiver) is not int:
        return None
    return ("pipe", receiver, nbytes, prev)


def _queue_key(event: Event) -> Hashable | None:
    """A pop takes the oldest message of its type: queue, type, size and preview."""
    f = event.fields
    msqid, mtype, nbytes, prev = f.get("msqid"), f.get("mtype"), f.get("nbytes"), f.get("preview")
    if type(msqid) is not int or type(mtype) is not int or type(nbytes) is not int:
        return None
    if type(prev) is not str:
        return None
    return ("queue", msqid, mtype, nbytes, prev)


def _signal_key(event: Event) -> Hashable | None:
    f = event.fields
    signum = f.get("signal")
    if type(signum) is not int:
        return None
    if event.kind == "signal.handle":
        return ("signal", event.pid, signum)
    to = f.get("to")
    if type(to) is not int or f.get("ok") is False or to == event.pid:
        return None
    return ("signal", to, signum)


class _Pending:
    """Sender slices waiting for their receiver: per key oldest first, and bounded overall
    (the globally oldest goes first, written without an arrow)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._items: OrderedDict[int, tuple[Hashable, int, str]] = OrderedDict()
        self._by_key: dict[Hashable, deque[int]] = {}
        self._serial = 0

    def __len__(self) -> int:
        return len(self._items)

    def add(self, key: Hashable, pid: int, head: str) -> str | None:
        """Hold ``head`` (a slice without its closing brace); returns an evicted one."""
        self._serial += 1
        self._items[self._serial] = (key, pid, head)
        self._by_key.setdefault(key, deque()).append(self._serial)
        if len(self._items) <= self.limit:
            return None
        _serial, (old_key, _pid, old_head) = self._items.popitem(last=False)
        self._forget(old_key)
        return old_head

    def _forget(self, key: Hashable) -> None:
        serials = self._by_key[key]
        serials.popleft()
        if not serials:
            del self._by_key[key]

    def take(self, key: Hashable) -> tuple[int, str] | None:
        """The oldest held sender of ``key`` (its pid and head), no longer held."""
        serials = self._by_key.get(key)
        if not serials:
            return None
        serial = serials[0]
        self._forget(key)
        _key, pid, head = self._items.pop(serial)
        return pid, head

    def drop_key(self, key: Hashable) -> list[str]:
        """Every sender of ``key`` still held (signals merged into one delivery)."""
        out = []
        for serial in self._by_key.pop(key, ()):
            out.append(self._items.pop(serial)[2])
        return out

    def drain(self) -> list[str]:
        out = [head for _key, _pid, head in self._items.values()]
        self._items.clear()
        self._by_key.clear()
        return out


class _Names:
    """One name per process, in the order processes appeared (spawn order)."""

    def __init__(self) -> None:
        self.order: dict[int, int] = {}
        self.role: dict[int, str] = {}
        self.ident: dict[int, int] = {}
        self.command: dict[int, str] = {}
        """For a process that never said hello (``--run``/``--pid``): its command."""
        self.tracks: dict[tuple[int, int], str] = {}

    def see(self, pid: int) -> None:
        if pid not in self.order:
            self.order[pid] = len(self.order)

    def learn(self, event: Event) -> None:
        f, kind = event.fields, event.kind
        if kind == "proc.hello":
            self.see(event.pid)
            if type(f.get("role")) is str:
                self.role[event.pid] = f["role"][:32]
            if type(f.get("id")) is int:
                self.ident.setdefault(event.pid, f["id"])
        elif kind == "proc.spawn" and type(f.get("child")) is int and f["child"] > 0:
            child = f["child"]
            self.see(event.pid)
            self.see(child)
            self.role.setdefault(event.pid, "master")
            self.role.setdefault(child, "child")
            if type(f.get("id")) is int:
                self.ident.setdefault(child, f["id"])
        elif kind == "proc.seen" and type(f.get("cmd")) is str:
            self.see(event.pid)
            words = [word.rpartition("/")[2] for word in f["cmd"].split()[:2]]
            self.command.setdefault(event.pid, " ".join(words)[:40])
        elif event.category == "monitor" or f.get("via") == "monitor":
            self.see(event.pid)
            self.role.setdefault(event.pid, "monitor")

    def label(self, pid: int) -> str:
        role = self.role.get(pid) or self.command.get(pid) or "process"
        ident = self.ident.get(pid)
        if ident is not None and role != "master":
            return f"{pid} {role} #{ident}"
        return f"{pid} {role}"

    def metadata(self) -> Iterator[str]:
        for pid, index in self.order.items():
            name = _esc(self.label(pid))
            yield (f'{{"ph":"M","name":"process_name","pid":{pid},"tid":{pid},'
                   f'"args":{{"name":{name}}}}}')
            yield (f'{{"ph":"M","name":"process_sort_index","pid":{pid},"tid":{pid},'
                   f'"args":{{"sort_index":{index}}}}}')
        for (pid, tid), what in sorted(self.tracks.items()):
            yield (f'{{"ph":"M","name":"thread_name","pid":{pid},"tid":{tid},'
                   f'"args":{{"name":{_esc(what)}}}}}')


class TraceWriter:
    """Turns events, in ``seq`` order, into trace events written to ``out`` as they go."""

    def __init__(self, out: IO[str], *, pending_max: int = PENDING_MAX) -> None:
        self.out = out
        self.stats = ExportStats()
        self._base: float | None = None
        self._last = 0.0
        self._pending = _Pending(pending_max)
        self._names = _Names()
        self._first = True
        self._bind = 0
        out.write('{"traceEvents":[\n')

    def _emit(self, text: str) -> None:
        if not self._first:
            self.out.write(",\n")
        self._first = False
        self.out.write(text)
        self.stats.trace_events += 1

    def add(self, event: Event) -> None:
        self.stats.events += 1
        if self._base is None:
            # Whole seconds, one before the first event: a writer may stamp a little earlier
            # than the event before it, and times stay small enough for nanosecond digits.
            self._base = float(math.floor(event.ts) - 1)
        self._last = event.ts
        kind, pid = event.kind, event.pid
        names = self._names
        if kind in _SKIPPED or kind.startswith(("proc.", "monitor.")):
            names.learn(event)
        if kind in ("proc.hello", "monitor.ring"):
            return
        names.see(pid)
        if kind == "proc.stats":
            self._counters(event)
        elif kind == "queue.depth":
            self._queue_counters(event)
        elif kind in _SLICE_KINDS:
            if event.fields.get("via") == "monitor":
                names.learn(event)
            self._slice(event)
        else:
            self._instant(event)

    def _head(self, event: Event, tid: int, start: float, dur: float, name: str) -> str:
        assert self._base is not None
        return (f'{{"ph":"X","name":{_esc(name)},"cat":{_esc(event.category)},'
                f'"pid":{event.pid},"tid":{tid},"ts":{_us(start, self._base)},'
                f'"dur":{round(max(dur, 0.0) * 1e6, 3)!r},"args":{_args(event)}')

    def _slice(self, event: Event) -> None:
        kind, pid = event.kind, event.pid
        count = event.count
        if count > 1:
            ts0 = event.fields.get("ts0")
            start = float(ts0) if isinstance(ts0, int | float) and ts0 <= event.ts else event.ts
            tid = pid + _AGG_TRACK.get(kind, 0) * _TID_STRIDE
            self._names.tracks[(pid, tid)] = f"{kind} bursts"
            self._emit(self._head(event, tid, start, event.ts - start, f"{kind} ×{count}") + "}")
            return
        head = self._head(event, pid, event.ts, 0.0, kind)
        if kind in ("pipe.write", "pipe.read"):
            key = _pipe_key(event)
        elif kind in ("queue.push", "queue.pop"):
            key = _queue_key(event)
        else:
            key = _signal_key(event)
        if key is None:
            self._emit(head + "}")
        elif kind in ("pipe.write", "queue.push", "signal.send"):
            evicted = self._pending.add(key, pid, head)
            if evicted is not None:
                self._emit(evicted + "}")
        else:
            self._receive(key, pid, head, merge=kind == "signal.handle")

    def _receive(self, key: Hashable, pid: int, head: str, *, merge: bool) -> None:
        sender = self._pending.take(key)
        if merge:
            # Standard signals sent before one delivery merge into it: the first set the
            # pending bit, the others get no arrow of their own.
            for other in self._pending.drop_key(key):
                self._emit(other + "}")
        if sender is None:
            self._emit(head + "}")
            return
        sender_pid, sender_head = sender
        if sender_pid == pid:
            self._emit(sender_head + "}")
            self._emit(head + "}")
            return
        self._bind += 1
        self.stats.flows += 1
        self._emit(f'{sender_head},"bind_id":{self._bind},"flow_out":true}}')
        self._emit(f'{head},"bind_id":{self._bind},"flow_in":true}}')

    def _instant(self, event: Event) -> None:
        assert self._base is not None
        self._emit(f'{{"ph":"i","s":"p","name":{_esc(event.kind)},"cat":{_esc(event.category)},'
                   f'"pid":{event.pid},"tid":{event.pid},"ts":{_us(event.ts, self._base)},'
                   f'"args":{_args(event)}}}')

    def _counter(self, pid: int, ts: float, name: str, key: str, value: Any) -> None:
        assert self._base is not None
        if not isinstance(value, int | float) or isinstance(value, bool):
            return
        self._emit(f'{{"ph":"C","name":{_esc(name)},"pid":{pid},"tid":{pid},'
                   f'"ts":{_us(ts, self._base)},"args":{{{_esc(key)}:{json_value(value)}}}}}')

    def _counters(self, event: Event) -> None:
        f = event.fields
        self._counter(event.pid, event.ts, "cpu", "percent", f.get("cpu"))
        self._counter(event.pid, event.ts, "rss", "bytes", f.get("rss"))

    def _queue_counters(self, event: Event) -> None:
        f = event.fields
        key = f.get("key")
        name = f"queue {key:#x}" if type(key) is int else "queue ?"
        self._counter(event.pid, event.ts, f"{name} depth", "messages", f.get("qnum"))
        self._counter(event.pid, event.ts, f"{name} bytes", "cbytes", f.get("cbytes"))

    def note(self, text: str) -> None:
        """A global instant at the last time seen (e.g. where a broken recording stopped)."""
        ts = _us(self._last, self._base) if self._base is not None else "0.0"
        self._emit(f'{{"ph":"i","s":"g","name":{_esc(text)},"pid":0,"tid":0,"ts":{ts}}}')

    def close(self) -> ExportStats:
        """Write the sends that never met their receiver, the names, and the end."""
        for head in self._pending.drain():
            self._emit(head + "}")
        for line in self._names.metadata():
            self._emit(line)
        self.stats.processes = len(self._names.order)
        self.out.write('\n],"displayTimeUnit":"ns"}\n')
        return self.stats


def export(events: Iterable[Event], out: IO[str]) -> ExportStats:
    """Write the trace of ``events`` (in ``seq`` order) to ``out``."""
    writer = TraceWriter(out)
    for event in events:
        writer.add(event)
    return writer.close()


def default_output(recording: str | os.PathLike[str]) -> Path:
    """``run.ndjson`` -> ``run.trace.json``, beside it."""
    path = Path(recording)
    return path.with_name(path.stem + ".trace.json")


def export_file(recording: str | os.PathLike[str],
                output: str | os.PathLike[str] | None = None) -> tuple[Path, ExportStats]:
    """Export a recording file; the trace appears whole or not at all (written beside it
    under a temporary name, then renamed). A recording broken at line N is exported up to
    there, with a global instant that says where, and :class:`RecordingError` is raised
    after the file is in place."""
    target = Path(output) if output is not None else default_output(recording)
    error: RecordingError | None = None
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    # O_EXCL: never write through a link planted at the temporary name; mode 0666 less the
    # umask, like any file the user writes.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="ascii", newline="\n") as out:
            writer = TraceWriter(out)
            try:
                for event in read_recording(recording):
                    writer.add(event)
            except RecordingError as exc:
                error = exc
                writer.note(f"recording broken: {exc}")
            stats = writer.close()
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if error is not None:
        raise RecordingError(f"{error} (the trace has every event before it: {target})",
                             error.line)
    return target, stats


USAGE = "usage: python -m ipccore export FILE.ndjson [-o TRACE.json]"


def main(argv: list[str]) -> int:
    """``python -m ipccore export FILE.ndjson [-o TRACE.json]``."""
    import sys

    args = list(argv)
    output: str | None = None
    for flag in ("-o", "--output"):
        if flag in args:
            i = args.index(flag)
            if i + 1 >= len(args):
                print(USAGE, file=sys.stderr)
                return 2
            output = args[i + 1]
            del args[i:i + 2]
    if len(args) != 1 or args[0].startswith("-"):
        print(USAGE, file=sys.stderr)
        return 0 if args in (["-h"], ["--help"]) else 2
    try:
        target, stats = export_file(args[0], output)
    except (RecordingError, OSError) as exc:
        return command_failed("export", getattr(exc, "filename", None) or args[0], exc)
    print(f"wrote {target}: {stats.events} events, {stats.processes} processes, "
          f"{stats.flows} arrows; open it at https://ui.perfetto.dev or chrome://tracing")
    return 0
