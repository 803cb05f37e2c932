"""The kernel's view of a process, folded from ``proc.seen``/``proc.chan``/``proc.signals``/
``proc.io`` events: its command line, its channels, its signal dispositions, its I/O rates.

Pure (no Textual, no I/O, no clock: rates come from the events' own times), so a replay
always draws the same panes. Every text made here is plain; widgets never pass it
through markup.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass, field
from typing import Any

from ipcevents.events import Event
from tui.text import as_int, clip, human_bytes

KINDS = frozenset({"proc.seen", "proc.chan", "proc.signals", "proc.io"})
CHANS_MAX = 64
"""Channels kept per process (a process with thousands of fds cannot grow the model)."""
_ARROWS = {"out": "→", "in": "←", "both": "⇄"}
_MASKS = ("caught", "blocked", "ignored", "pending")
SHOWN_ORDER = ("pending", "caught", "blocked", "ignored")
"""Pending first: a signal waiting behind a block is the thing to notice."""


@dataclass(frozen=True, slots=True)
class ChanView:
    """One channel end of a process, as last reported."""

    type: str
    dir: str
    peer: int | None
    peers: int
    queued: int
    key: int | None = None
    last: str | None = None
    name: str | None = None
    fd: int | None = None
    msqid: int | None = None
    qnum: int | None = None
    """A queue's messages (its ``queued`` are their bytes)."""

    @classmethod
    def from_fields(cls, f: dict[str, Any]) -> ChanView:
        return cls(
            type=clip(f.get("type", "?"), 12), dir=clip(f.get("dir", "both"), 6),
            peer=as_int(f.get("peer"), None), peers=as_int(f.get("peers")),
            queued=max(0, as_int(f.get("queued"))), key=as_int(f.get("key"), None),
            last=clip(f["last"], 12) if isinstance(f.get("last"), str) else None,
            name=clip(f["name"], 60) if isinstance(f.get("name"), str) else None,
            fd=as_int(f.get("fd"), None), msqid=as_int(f.get("msqid"), None),
            qnum=as_int(f.get("qnum"), None),
        )

    def text(self, peer_label: str = "") -> str:
        """``pipe → 1234``, ``socketpair ⇄ 1235, 3.1 KiB queued``, ``queue 0x1 (last send)``;
        with ``peer_label``, the peer is named after its pid (``→ 1234 (child #1)``)."""
        if self.type == "queue":
            key = f"{self.key:#x}" if self.key is not None else "?"
            out = f"queue {key} (last {self.last or '?'})"
        else:
            out = self.type
            if self.name:
                out += f" {self.name}"
            arrow = _ARROWS.get(self.dir, "⇄")
            if self.peer is not None:
                more = f" +{self.peers - 1}" if self.peers > 1 else ""
                label = f" ({peer_label})" if peer_label else ""
                out += f" {arrow} {self.peer}{label}{more}"
            elif self.dir != "both":
                out += f" {arrow} ?"
        if self.queued:
            out += f", {human_bytes(self.queued)} queued"
        return out

    def short(self) -> str:
        """The channel in a one-line row: ``→5102 64K`` (a pipe written to 5102, 64 KiB
        waiting), ``←5101``, ``⇄5103`` (a socket and its peer), ``q0x1a2b``."""
        if self.type == "queue":
            out = f"q{self.key:#x}" if self.key is not None else "q?"
        else:
            arrow = _ARROWS.get(self.dir, "⇄")
            if self.peer is not None:
                out = f"{arrow}{self.peer}" + ("+" if self.peers > 1 else "")
            else:
                out = f"{arrow}?" if self.dir != "both" else self.type
        if self.queued:
            out += f" {short_size(self.queued)}"
        return out

    @property
    def weight(self) -> tuple[int, int, str]:
        """Sort key: a backlog first, then channels with a known peer."""
        return (-self.queued, 0 if self.peer is not None else 1, self.text())


@dataclass(slots=True)
class KernelView:
    """What ``/proc``, sock_diag and SysV say about one process."""

    cmd: str = ""
    chans: dict[str, ChanView] = field(default_factory=dict)
    masks: dict[str, int] = field(default_factory=dict)
    """``caught``/``blocked``/``ignored``/``pending``: bit n - 1 is signal n."""
    io_at: float | None = None
    io: dict[str, int] = field(default_factory=dict)
    rates: dict[str, float] = field(default_factory=dict)
    """Per second, between the last two ``proc.io`` samples: ``rchar``, ``wchar``..."""

    def sorted_chans(self) -> list[ChanView]:
        return sorted(self.chans.values(), key=lambda c: c.weight)

    def signal_groups(self) -> list[tuple[str, list[str]]]:
        """``[("caught", ["USR1"]), ...]`` for every non-empty mask, in a fixed order."""
        return [(what, names) for what in SHOWN_ORDER
                if (names := mask_names(self.masks.get(what, 0)))]


def short_bytes(n: float) -> str:
    """``512``, ``3.4K``, ``64K``, ``1.0G``: a size or a rate in at most five columns
    (one decimal only under 10, where it says something)."""
    for unit in ("", "K", "M", "G"):
        if n < 1024 or unit == "G":
            return f"{n:.0f}{unit}" if not unit or n >= 9.95 else f"{n:.1f}{unit}"
        n /= 1024
    return f"{n:.0f}"


def short_size(n: int) -> str:
    """Bytes waiting, in a few columns: ``30B``, ``3.1K``, ``64K`` (a bare number would
    read as a count)."""
    size = short_bytes(n)
    return f"{size}B" if size.isdigit() else size


def mask_names(mask: int) -> list[str]:
    """Short names (``USR1``) of the signals whose bit is set; bit n - 1 is signal n."""
    out: list[str] = []
    n = 1
    while mask > 0 and n <= 64:
        if mask & 1:
            try:
                out.append(signal.Signals(n).name.removeprefix("SIG"))
            except ValueError:
                out.append(f"RTMIN+{n - signal.SIGRTMIN}" if n >= signal.SIGRTMIN else str(n))
        mask >>= 1
        n += 1
    return out


def apply_kernel(view: KernelView, event: Event) -> None:
    """Fold one of :data:`KINDS` into ``view``."""
    f = event.fields
    kind = event.kind
    if kind == "proc.seen":
        view.cmd = clip(f.get("cmd", ""), 200)
    elif kind == "proc.chan":
        chan = f.get("chan")
        if not isinstance(chan, str):
            return
        if f.get("open") is False:
            view.chans.pop(chan, None)
        elif chan in view.chans or len(view.chans) < CHANS_MAX:
            view.chans[chan] = ChanView.from_fields(dict(f))
    elif kind == "proc.signals":
        view.masks = {k: v for k in _MASKS if (v := as_int(f.get(k), None)) is not None and v >= 0}
    elif kind == "proc.io":
        now = {k: v for k in ("rchar", "wchar", "syscr", "syscw")
               if (v := as_int(f.get(k), None)) is not None}
        if view.io_at is not None and event.ts > view.io_at:
            dt = event.ts - view.io_at
            view.rates = {k: max(0.0, (v - view.io.get(k, v)) / dt) for k, v in now.items()}
        view.io, view.io_at = now, event.ts
