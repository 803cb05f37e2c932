"""How events read as text: one bounded, single-line, plain string per event.

Pure and markup-free: what a process wrote is kept as is (only bounded and made one line),
and the widgets wrap it in ``rich.text.Text`` without ever parsing it.
"""

from __future__ import annotations

from typing import TypeVar, overload

from ipcevents.events import Event, signal_name
from ipcevents.procname import is_interpreter

_D = TypeVar("_D")
TEXT_MAX = 160
"""Characters of untrusted text (previews, output lines) kept per log line or pane."""


@overload
def as_int(value: object) -> int: ...


@overload
def as_int(value: object, default: _D) -> int | _D: ...


def as_int(value: object, default: object = 0) -> object:
    """An event field that should be an int (not a bool), else ``default`` (0, or e.g.
    None where a missing field must stay missing)."""
    return value if type(value) is int else default


def as_num(value: object, default: float = 0.0) -> float:
    """An event field that should be a number (not a bool), else ``default``."""
    return float(value) if isinstance(value, int | float) and type(value) is not bool else default


def clip(text: object, limit: int = TEXT_MAX) -> str:
    """Untrusted text bounded and made single-line (it is never parsed as markup)."""
    s = text if isinstance(text, str) else str(text)
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    if s.isprintable():
        return s
    # Every non-printable character (ESC, CSI, NUL, newlines...) becomes a visible
    # Python escape, so a process can never move the cursor or restyle the terminal.
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in s)


def meaningful_name(name: object, role: str = "") -> bool:
    """A name worth showing (``prog.py``, ``python -m tui``, one set with ``name()``):
    not empty, not a path (a cut ``argv[0]`` in the comm of older recordings), not the
    bare interpreter (every Python process is ``python`` to the kernel), not the role."""
    if not isinstance(name, str) or not name.strip() or name.startswith(("/", "./", "../")):
        return False
    return not is_interpreter(name) and name != role


def describe(event: Event) -> str:
    """The log text of an event: plain, bounded, single-line."""
    # One branch per kind, alike in shape: a table of formats in code form (each kind
    # reads different fields), which the duplicate finder pairs by shape.
    f = event.get
    kind = event.kind
    if kind in ("pipe.write", "pipe.read", "queue.push", "queue.pop"):
        n = as_int(f("nbytes"))
        peer = ""
        if kind == "pipe.write" and f("to") is not None:
            peer = f" -> {f('to')}"
        elif kind == "pipe.read" and f("from") is not None:
            peer = f" <- {f('from')}"
        elif kind.startswith("queue"):
            peer = f" key {_hex(f('key'))} type {f('mtype')}"
        via = f("via")
        via_s = f" via {via}" if via not in (None, "pipe") else ""
        if kind == "pipe.read" and n == 0:
            return f"EOF{peer}{via_s}"
        if event.count > 1:  # one line for a burst: how many, their bytes, one preview
            return (f"×{event.count:,} {n:,} B{peer}{via_s}: "
                    f"{clip(repr_preview(f('preview')))}")
        return f"{n} B{peer}{via_s}: {clip(repr_preview(f('preview')))}"
    if kind in ("io.stdout", "io.stderr"):
        return clip(f("line", ""))
    if kind == "proc.hello":
        role = clip(f("role", "?"), 12)
        who = f"{role} #{f('id')}" if type(f("id")) is int else role
        name = f" {clip(f('name'), 40)}" if meaningful_name(f("name"), role) else ""
        return f"{who}{name} says hello (ppid {f('ppid')})"
    if kind == "proc.spawn":
        return f"started child {f('child')} (id {f('id')}, pipe_type {f('pipe_type')})"
    if kind == "proc.seen":
        return f"seen (ppid {f('ppid')}): {clip(f('cmd', ''))}"
    if kind == "proc.name":
        return f"named {clip(f('name', ''), 60)}"
    if kind == "proc.exec":
        return clip(f"exec {f('path')} {f('args', '')}".rstrip())
    if kind == "pipe.close":
        return f"closed pipe fd {f('fd')}"
    if kind == "proc.exit":
        return f"exit code {f('code')}"
    if kind in ("proc.reap", "proc.gone"):
        who = f" child {f('child')}" if kind == "proc.reap" else ""
        return f"{'reaped' if who else 'gone'}{who}: {ending_of(f('code'), f('signal'))}"
    if kind == "proc.stats":
        return f"cpu {as_num(f('cpu')):.1f}% rss {human_bytes(as_int(f('rss')))} {f('state')}"
    if kind == "signal.send":
        ok = "" if f("ok", True) else " (failed)"
        return f"{signal_name(f('signal'))} -> {f('to')}{ok}"
    if kind in ("signal.handle", "signal.install"):
        extra = "" if kind == "signal.handle" or f("handler", True) else " (default)"
        return f"{signal_name(f('signal'))}{extra}"
    if kind == "queue.open":
        return f"key {_hex(f('key'))} msqid {f('msqid')} mode {f('mode')}"
    if kind == "queue.free":
        return f"key {_hex(f('key'))} msqid {f('msqid')} removed"
    if kind == "queue.depth":
        return f"key {_hex(f('key'))} {f('qnum')} msgs {f('cbytes')}/{f('qbytes')} B"
    if kind.startswith("pool."):
        return _describe_pool(event)
    if kind == "error":
        return f"{f('op')}: {f('error')}: {clip(f('message', ''))}"
    if kind == "monitor.command":
        ok = "ok" if f("ok") else f"refused: {clip(f('error', ''), 80)}"
        target = _hex(f("target")) if f("command") == "push" else f("target")
        return f"{f('command')} -> {target} {ok}"
    if kind == "monitor.end":
        return f"program ended: {ending_of(f('code'), f('signal'))}"
    return clip(" ".join(f"{k}={v}" for k, v in event.fields.items()))


def _describe_pool(event: Event) -> str:
    """Pool events: worker ids first, since a worker id outlives its pids."""
    f, kind = event.get, event.kind
    who = f"worker #{f('worker_id')}"
    if kind == "pool.spawn":
        if f("restart"):
            return f"{who} restarted: pid {f('previous')} -> {f('child')}"
        return f"{who} started: pid {f('child')}"
    if kind == "pool.exit":
        back = ", its message given back" if f("requeued") else ""
        return f"{who} pid {f('child')} {ending_of(f('code'), f('signal'))}{back}"
    if kind == "pool.message":
        return (f"{who} takes {as_int(f('nbytes'))} B from its {clip(f('via', ''), 10)}: "
                f"{clip(repr_preview(f('preview')))}")
    if kind == "pool.requeue":
        return f"{who}'s message given back: {clip(repr_preview(f('preview')))}"
    if kind == "pool.detach":
        return f"{who} pid {f('child')} detached"
    if kind == "pool.start":
        ipc = {0: "no ipc", 1: "unix sockets", 2: f"queue {_hex(f('key'))}"}.get(
            f("ipc_type"), str(f("ipc_type")))
        return f"pool of {f('workers')} workers, {ipc}"
    if kind == "pool.stop":
        return f"stopping {f('workers')} workers (waits up to {as_num(f('wait')):g} s)"
    if kind == "pool.end":
        killed = as_int(f("killed"))
        return "pool ended" + (f", {killed} SIGKILLed after the wait" if killed else "")
    return clip(" ".join(f"{k}={v}" for k, v in event.fields.items()))


def _hex(key: object) -> str:
    return f"{key:#x}" if type(key) is int else str(key)


def repr_preview(preview: object) -> str:
    """A preview in quotes; already escaped for non-UTF-8 bytes by the producer."""
    return f'"{preview if isinstance(preview, str) else ""}"'


def ending_of(code: object, signum: object) -> str:
    if type(signum) is int and signum:
        return f"killed by {signal_name(signum)}"
    if type(code) is int:
        return f"exited with code {code}"
    return "ended"


def human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"


