"""Where the sequence chart's columns go, and how one of its lines is painted.

Pure (no Textual): :func:`layout` spaces the lifelines by what has to fit between them
(the widest label of an arrow spanning a gap, the widest mark beside a lifeline, the
heads) and spreads what is left of the width evenly; when even a squeezed layout (labels
clipped, heads on two lines) is wider than the screen the chart is wider than the
screen and scrolls sideways. :func:`paint_row` and :func:`paint_head` return a plain
string plus style spans, which the widget turns into a ``rich.text.Text`` without ever
parsing markup (labels carry what a process wrote).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise

from tui.sequence import Lifeline, LifelineKey, Row

TIME_W = 17
"""``   0.612 +0.100 ``: seconds since the first event, then the delta to the row above."""
MIN_GAP = 10
"""Columns between two lifelines at the least (a squeezed layout)."""
ARROW_PAD = 5
"""``─ `` before a label and `` ─▶`` after it."""
SQUEEZED_LABEL = 14
"""Label and mark characters a squeezed layout still leaves room for."""

STYLES = {
    "pipe": "green",
    "pending": "dim green",
    "queue": "cyan",
    "signal": "bold yellow",
    "fork": "magenta",
    "mark": "",
    "handled": "yellow",
    "timer": "blue",
    "exit": "bold",
    "killed": "bold red",
    "error": "bold red",
    "bar": "grey50",
    "time": "dim",
    "master": "bold magenta",
    "proc": "bold cyan",
    "queuehead": "bold green",
    "monitor": "bold blue",
    "ended": "dim",
}
"""Rich style per role (style strings, never markup)."""

LINE = {"pipe": "─", "pending": "╌", "queue": "─", "signal": "━", "fork": "┈"}
HEAD = {"pipe": ("▶", "◀"), "pending": ("▷", "◁"), "queue": ("▶", "◀"),
        "signal": ("▶", "◀"), "fork": ("▶", "◀")}
MARK = {"exit": "┴", "killed": "✕"}

Span = tuple[int, int, str]
Painted = tuple[str, list[Span]]


@dataclass(frozen=True, slots=True)
class Geometry:
    """Column of each lifeline's bar (inside the chart, after the time column)."""

    keys: tuple[LifelineKey, ...]
    x: dict[LifelineKey, int]
    width: int
    """Columns of the chart part (the time column not included)."""
    two_line: bool
    """Heads as ``pid`` over ``role`` (a squeezed layout)."""

    @property
    def total(self) -> int:
        return TIME_W + self.width

    @property
    def head_lines(self) -> int:
        return 2 if self.two_line else 1


def _heads(lines: list[Lifeline], two_line: bool) -> list[int]:
    if two_line:
        return [max(len(ln.short), len(ln.label)) for ln in lines]
    return [len(ln.head) for ln in lines]


def _spacing(lines: list[Lifeline], pair_width: dict[tuple[LifelineKey, LifelineKey], int],
             label_cap: int, two_line: bool) -> tuple[int, list[int], int]:
    heads = _heads(lines, two_line)
    marks = [min(ln.mark_width, label_cap + 2) for ln in lines]
    n = len(lines)
    gaps = [max(MIN_GAP, marks[i] + 1, (heads[i] + 1) // 2 + heads[i + 1] // 2 + 2)
            for i in range(n - 1)]
    pos = {ln.key: i for i, ln in enumerate(lines)}
    spans = []
    for (a, b), w in pair_width.items():
        i, j = pos.get(a), pos.get(b)
        if i is not None and j is not None and i != j:
            lo, hi = min(i, j), max(i, j)
            spans.append((hi - lo, lo, hi, min(w, label_cap) + ARROW_PAD + 1))
    for span, lo, hi, need in sorted(spans):
        deficit = need - sum(gaps[lo:hi])
        if deficit > 0:
            each = -(-deficit // span)
            for g in range(lo, hi):
                gaps[g] += each
    left = max(2, heads[0] // 2 + 1) if n else 0
    # A squeezed chart leaves the last lifeline's marks less room: they are clipped.
    mark_room = min(marks[-1], 8) if two_line else marks[-1]
    right = max(2, mark_room + 1, heads[-1] - heads[-1] // 2) if n else 0
    return left, gaps, right


def layout(lines: list[Lifeline], pair_width: dict[tuple[LifelineKey, LifelineKey], int],
           width: int, label_cap: int = 36) -> Geometry:
    """Place ``lines`` in ``width`` chart columns (wider when they cannot fit)."""
    if not lines:
        return Geometry((), {}, max(width, 0), False)
    two_line = False
    left, gaps, right = _spacing(lines, pair_width, label_cap, False)
    if left + sum(gaps) + right > width:
        # Squeeze: heads on two lines, labels clipped; then give the width left over to
        # the gaps that lost the most, so the longest labels get their room back first.
        want = gaps
        two_line = True
        left, gaps, right = _spacing(lines, pair_width, SQUEEZED_LABEL, True)
        spare = width - (left + sum(gaps) + right)
        lost = [max(w - g, 0) for w, g in zip(want, gaps, strict=True)]
        total_lost = sum(lost, 0)
        if spare > 0 and total_lost:
            gaps = [g + min(lo, spare * lo // total_lost) for g, lo in zip(gaps, lost, strict=True)]
    total = left + sum(gaps) + right
    if total < width and gaps:
        extra, rest = divmod(width - total, len(gaps))
        gaps = [g + extra + (1 if i < rest else 0) for i, g in enumerate(gaps)]
        total = width
    x: dict[LifelineKey, int] = {}
    at = left
    for i, ln in enumerate(lines):
        x[ln.key] = at
        if i < len(gaps):
            at += gaps[i]
    return Geometry(tuple(ln.key for ln in lines), x, max(total, width), two_line)


class _Canvas:
    def __init__(self, width: int) -> None:
        self.cells = [" "] * width
        self.styles = [""] * width

    def put(self, x: int, text: str, style: str) -> None:
        for i, ch in enumerate(text):
            if 0 <= x + i < len(self.cells):
                self.cells[x + i] = ch
                self.styles[x + i] = style

    def done(self) -> Painted:
        spans: list[Span] = []
        start = 0
        for i in range(1, len(self.styles) + 1):
            if i == len(self.styles) or self.styles[i] != self.styles[start]:
                if self.styles[start]:
                    spans.append((start, i, self.styles[start]))
                start = i
        return "".join(self.cells), spans


def time_cell(t: float | None, delta: float | None) -> str:
    """``   0.612 +0.100 `` (exactly :data:`TIME_W` wide)."""
    t_s = f"{t:8.3f}" if t is not None else " " * 8
    d_s = f"+{max(delta, 0.0):.3f}" if delta is not None else ""
    return f"{t_s[-8:] if len(t_s) > 8 else t_s} {d_s[:7]:<7} "


def alive(line: Lifeline, index: int) -> bool:
    """The lifeline's bar is drawn on a row of event ``index``."""
    return line.start <= index and (line.end is None or index <= line.end)


def paint_row(row: Row, geo: Geometry, lifelines: dict[LifelineKey, Lifeline], k: int, *,
              t: float, delta: float | None) -> Painted:
    """One chart line: time, the lifelines' bars, and the row's arrow or mark."""
    canvas = _Canvas(geo.total)
    canvas.put(0, time_cell(t, delta), STYLES["time"])
    base = TIME_W
    bars: list[int] = []
    for key in geo.keys:
        line = lifelines[key]
        if not alive(line, row.index):
            continue
        ch = "┬" if line.start == row.index and line.kind == "proc" else "│"
        canvas.put(base + geo.x[key], ch, STYLES["bar"])
        bars.append(geo.x[key])
    xs = geo.x.get(row.src)
    if xs is None:
        return canvas.done()
    xd = geo.x.get(row.dst) if row.dst is not None else None
    if xd is None or xd == xs:
        style = row.style
        text = row.label if row.dst is None else f"↻ {row.label}"
        glyph = MARK.get(style, "├─")
        at = xs + len(glyph) + 1
        limit = min((b for b in bars if b > xs), default=geo.width) - at - 1
        canvas.put(base + xs, glyph, STYLES.get(style, "") or STYLES["bar"])
        if limit > 0:
            canvas.put(base + at, _fit(text, limit), STYLES.get(style, "") or "bold")
        return canvas.done()
    kind = "pending" if row.pending_at(k) else row.style
    style = STYLES.get(kind, "")
    right = xd > xs
    lo, hi = (xs, xd) if right else (xd, xs)
    canvas.put(base + lo + 1, LINE.get(kind, "─") * (hi - lo - 1), style)
    canvas.put(base + xs, "├" if right else "┤", style)
    head = HEAD.get(kind, ("▶", "◀"))
    canvas.put(base + (xd - 1 if right else xd + 1), head[0] if right else head[1], style)
    a, b = _label_span(row, geo, lo, hi, right)
    inner = b - a - 1
    room = inner - ARROW_PAD
    if room > 0:
        label = f" {_fit(row.label, room)} "
        at = a + 1 + (inner - len(label) + (0 if right else 1)) // 2
        canvas.put(base + at, label, "bold " + style if kind != "pending" else style)
    return canvas.done()


def _label_span(row: Row, geo: Geometry, lo: int, hi: int, right: bool) -> tuple[int, int]:
    """Where an arrow's label goes: between two neighbouring lifelines it crosses, so no
    bar is hidden under it; the first such gap from the sender that holds the label, else
    the widest gap, else (too tight everywhere) the whole arrow."""
    stops = [lo, *sorted(x for x in geo.x.values() if lo < x < hi), hi]
    gaps = list(pairwise(stops))
    if len(gaps) == 1:
        return lo, hi
    need = len(row.label) + ARROW_PAD + 1
    for a, b in gaps if right else reversed(gaps):
        if b - a >= need:
            return a, b
    a, b = max(gaps, key=lambda g: g[1] - g[0])
    return (a, b) if b - a >= min(need, 16) else (lo, hi)


def paint_head(geo: Geometry, lines: dict[LifelineKey, Lifeline], k: int, line_no: int) -> Painted:
    """Header line ``line_no`` (0, or 1 when heads take two lines)."""
    canvas = _Canvas(geo.total)
    title = ("  time s  delta   ", "") if line_no == 0 else ("", "")
    canvas.put(0, title[0][:TIME_W], STYLES["time"])
    for key in geo.keys:
        line = lines[key]
        text = (line.short if line_no == 0 else line.label) if geo.two_line else line.head
        ended = line.end is not None and line.end <= k
        style = STYLES["ended"] if ended else _head_style(line)
        x = geo.x[key] - len(text) // 2
        canvas.put(TIME_W + max(0, x), text, style)
    return canvas.done()


def _head_style(line: Lifeline) -> str:
    if line.kind == "queue":
        return STYLES["queuehead"]
    if line.kind == "monitor":
        return STYLES["monitor"]
    return STYLES["master"] if line.role == "master" else STYLES["proc"]


def _fit(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + "…" if limit > 0 else ""


def taking_part(rows: Iterable[Row]) -> set[LifelineKey]:
    """Lifelines an arrow or mark of ``rows`` touches (what ``c`` keeps)."""
    keys: set[LifelineKey] = set()
    for row in rows:
        keys.add(row.src)
        if row.dst is not None:
            keys.add(row.dst)
    return keys
