"""The inspector (``enter`` on a row of the sequence view): one event in full.

Every field, the preview as text and as hex, the other end of the message (the read of a
write, the pop of a push, the handling of a signal, and the reverse) with the time
between them, and the previous message on the same channel. Everything a process wrote
is appended to ``rich.text.Text`` as plain strings (never markup), non-printable
characters escaped.
"""

from __future__ import annotations

import re
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ipcevents.events import Event
from tui.sequence import Row, Sequence
from tui.text import clip

_ESCAPE = re.compile(r"\\x([0-9a-f]{2})")
HEX_ROW = 16


def preview_bytes(preview: str) -> bytes:
    """The bytes a preview stands for: UTF-8, with the producer's ``\\xNN`` escapes of
    non-UTF-8 bytes turned back into those bytes (best effort: a literal backslash-x
    in the message reads the same)."""
    out = bytearray()
    pos = 0
    for m in _ESCAPE.finditer(preview):
        out += preview[pos : m.start()].encode("utf-8", "surrogatepass")
        out.append(int(m.group(1), 16))
        pos = m.end()
    out += preview[pos:].encode("utf-8", "surrogatepass")
    return bytes(out)


def hexdump(data: bytes) -> list[str]:
    """``0000  66 72 6f 6d ...  from 1145`` lines, printable ASCII on the right."""
    lines = []
    for at in range(0, len(data), HEX_ROW):
        chunk = data[at : at + HEX_ROW]
        hexes = " ".join(f"{b:02x}" for b in chunk)
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{at:04x}  {hexes:<{HEX_ROW * 3 - 1}}  {text}")
    return lines


def _who(seq: Sequence, pid: int) -> str:
    line = seq.lifelines.get(("proc", pid))
    return f"{pid} ({line.label})" if line is not None and line.label else str(pid)


def _when(seq: Sequence, event: Event) -> str:
    t0 = seq.t0 if seq.t0 is not None else event.ts
    return f"{event.ts - t0:.3f} s"


def _gap(seconds: float) -> str:
    return f"{seconds * 1000:.3f} ms" if abs(seconds) < 1 else f"{seconds:.3f} s"


def details(row: Row, seq: Sequence, k: int) -> Text:
    """The inspector's text for ``row``, as of event ``k`` (a later read is not yet)."""
    event = row.event
    text = Text(no_wrap=False)
    text.append(f"{event.kind}", "bold")
    text.append(f"  event {row.index}, seq {event.seq}, at {_when(seq, event)}, by ")
    text.append(_who(seq, event.pid), "bold cyan")
    text.append("\n")
    text.append("\nother end\n", "bold underline")
    text.append("  " + _other_end(row, seq, k) + "\n")
    text.append("\nprevious on this channel\n", "bold underline")
    text.append("  " + _previous(row, seq) + "\n")
    text.append("\nfields\n", "bold underline")
    rows: list[tuple[str, object]] = [("seq", event.seq), ("ts", event.ts),
                                      ("pid", event.pid), ("kind", event.kind)]
    rows += list(event.fields.items())
    for name, value in rows:
        text.append(f"  {clip(name, 24):<10} ", "dim")
        text.append(clip(repr(value) if isinstance(value, str) else str(value), 400))
        text.append("\n")
    preview = event.get("preview")
    if isinstance(preview, str):
        text.append("\npreview as text\n", "bold underline")
        text.append("  " + clip(preview, 400) + "\n")
        data = preview_bytes(preview)
        text.append(f"\npreview as hex ({len(data)} bytes", "bold underline")
        nbytes = event.get("nbytes")
        if type(nbytes) is int and nbytes > len(data):
            text.append(f" of {nbytes}", "bold underline")
        text.append(")\n", "bold underline")
        for line in hexdump(data) or ["(empty)"]:
            text.append("  " + line + "\n")
    return text


def _other_end(row: Row, seq: Sequence, k: int) -> str:
    event, partner = row.event, row.partner
    if row.partner_index is not None and row.partner_index > k and partner is not None:
        waiting = {"pipe.write": "not read", "queue.push": "not popped"}.get(event.kind,
                                                                              "not yet")
        return f"{waiting} as of event {k} (it happens at event {row.partner_index})"
    if partner is None:
        if event.kind == "pipe.write":
            return "not read yet"
        if event.kind == "queue.push":
            return "still in the queue (not popped yet)"
        if event.kind == "signal.send":
            return "no handler ran for it (default action, or not yet)"
        return "none seen"
    gap = partner.ts - event.ts
    order = "after" if gap >= 0 else "before"
    return (f"{partner.kind} by {_who(seq, partner.pid)}, event {row.partner_index}, "
            f"at {_when(seq, partner)}: {_gap(abs(gap))} {order}")


def _previous(row: Row, seq: Sequence) -> str:
    if row.previous is None:
        return "none: the first on this channel"
    prev = seq.find(row.previous)
    if prev is None:
        return f"event {row.previous} (no longer kept)"
    gap = row.event.ts - prev.event.ts
    return (f"{prev.event.kind} event {prev.index} at {_when(seq, prev.event)} "
            f"({_gap(gap)} earlier): {clip(prev.label, 80)}")


class InspectorScreen(ModalScreen[None]):
    """One event in full; Esc, q or enter closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,enter", "close", "close"),
    ]

    def __init__(self, row: Row, seq: Sequence, k: int) -> None:
        super().__init__(classes="dialog-screen")
        self.body = details(row, seq, k)

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog inspector") as box:
            box.border_title = "inspector"
            yield Static(self.body, id="inspector-body")
            yield Static(Text("Esc closes", "dim"))

    def action_close(self) -> None:
        self.dismiss(None)
