"""Who is connected to whom: the channels the kernel reports, as links between processes
(and SysV queues), for the strip above the sequence view.

Each channel is reported by every process holding an end of it; here the ends become
one link: a pipe ``5101 → 5102`` (the writer first), a socket pair ``5110 ⇄ 5103``, a
queue ``5110 → queue 0x1a2b → 5111`` (its last sender and receiver). Several alike
between the same two are one link ``×N``. The busiest (most bytes waiting) come first.
Pure: a state in, links and a ``rich.text.Text`` out, from plain strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.text import Text

from tui.kernel import short_size
from tui.state import MonitorState


@dataclass(slots=True)
class Link:
    """One connection: ``a`` and ``b`` are pids, or ``queue 0xKEY``."""

    kind: str
    a: int | str
    b: int | str
    both: bool
    """Both ways (a socket): ``⇄``; else ``a`` writes to ``b``: ``→``."""
    count: int = 1
    queued: dict[tuple[int, str], int] = field(default_factory=dict)
    """Bytes waiting, per reporting end (pid, channel): a pipe's every holder reports the
    same buffer, a socket's each end its own."""

    @property
    def waiting(self) -> int:
        if self.kind == "pipe":
            return max(self.queued.values(), default=0)
        return sum(self.queued.values())

    def text(self) -> str:
        """``5101 → 5102 pipe 64K``, ``5110 ⇄ 5103 socketpair ×2``, ``5110 → queue 0x1
        30B``."""
        out = f"{self.a} {'⇄' if self.both else '→'} {self.b}"
        if self.kind != "queue":  # a queue's end already says so
            out += f" {self.kind}"
        if self.count > 1:
            out += f" ×{self.count}"
        if self.waiting:
            out += f" {short_size(self.waiting)}"
        return out


def _order(a: int, b: int, both: bool) -> tuple[int, int]:
    return (min(a, b), max(a, b)) if both else (a, b)


def links(state: MonitorState) -> list[Link]:
    """Every link among the live processes the kernel reported on."""
    found: dict[tuple[str, int | str, int | str], Link] = {}
    ends: dict[tuple[str, int | str, int | str], set[tuple[int, str]]] = {}

    def add(kind: str, a: int | str, b: int | str, both: bool, *, end: tuple[int, str],
            queued: int) -> None:
        key = (kind, a, b)
        link = found.get(key)
        if link is None:
            link = found[key] = Link(kind, a, b, both, count=0)
        link.queued[end] = queued
        ends.setdefault(key, set()).add(end)

    for pid, view in sorted(state.procs.items()):
        if view.kernel is None or view.ended:
            continue
        for cid, chan in view.kernel.chans.items():
            end = (pid, cid)
            if chan.type == "queue":
                queue = f"queue {chan.key:#x}" if chan.key is not None else "queue ?"
                if chan.last in ("send", "send+recv"):
                    add("queue", pid, queue, False, end=end, queued=chan.queued)
                if chan.last in ("recv", "send+recv"):
                    add("queue", queue, pid, False, end=end, queued=chan.queued)
                continue
            peer = chan.peer
            if peer is None or peer == pid:
                continue
            both = chan.type != "pipe" or chan.dir == "both"
            src, dst = (peer, pid) if chan.dir == "in" and not both else (pid, peer)
            add(chan.type, *_order(src, dst, both), both, end=end, queued=chan.queued)
    for key, link in found.items():
        # Each channel is reported by each of its ends: a pipe or socket pair seen from
        # both sides is one; what is left over are parallel channels (two pipes).
        per_side: dict[int, int] = {}
        for pid, _ in ends[key]:
            per_side[pid] = per_side.get(pid, 0) + 1
        link.count = max(per_side.values(), default=1)
    return sorted(found.values(), key=lambda x: (-x.waiting, _rank(x.a), _rank(x.b), x.kind))


def _rank(end: int | str) -> tuple[int, int, str]:
    """Pids in numeric order, queues after them."""
    return (0, end, "") if isinstance(end, int) else (1, 0, end)


def links_text(found: list[Link], width: int, lines: int) -> Text:
    """``links  5101 → 5102 pipe 64K · 5102 → 5103 pipe`` in at most ``lines`` lines of
    ``width``, never breaking a link; what does not fit is counted (``+3 more``), with
    room kept for that count on the last line."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append("links ", "dim")
    indent = 6
    used, line = indent, 1
    for i, link in enumerate(found):
        item = link.text()
        left = len(found) - i - 1
        tail = len(f" · +{left} more") if left and line == lines else 0
        sep = 3 if used > indent else 0
        if used > indent and used + sep + len(item) + tail > width:
            if line == lines:
                text.append(f" · +{len(found) - i} more", "dim")
                break
            text.append("\n" + " " * indent)  # under the first link, past "links "
            used, line, sep = indent, line + 1, 0
            tail = len(f" · +{left} more") if left and line == lines else 0
            if used + len(item) + tail > width and left:
                text.append(f"+{len(found) - i} more", "dim")
                break
        if sep:
            text.append(" · ", "dim")
        text.append(item, "bold cyan" if link.waiting else "cyan")
        used += sep + len(item)
    return text
