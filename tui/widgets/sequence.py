"""The sequence view: one column per process and queue, one row per message, drawn live.

A line-API ``ScrollView`` (like the log): only the rows on screen are painted, so a run
of a million events scrolls as fast as one of a hundred. The heads and the time column
stay put while the chart scrolls under them (down and sideways). Rows come from
:class:`tui.sequence.Sequence`, columns from :func:`tui.seqlayout.layout`; the text is
built from plain strings and style names, never from markup.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from rich.text import Span, Text
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.seqlayout import TIME_W, Geometry, Painted, layout, paint_head, paint_row, taking_part
from tui.sequence import Row, Sequence

CURSOR_STYLE = Style(reverse=True, bold=True)
"""Reversed, not a fixed grey: readable on dark and light themes and without colour."""


class SequenceView(ScrollView, can_focus=False):
    """The chart as of event ``k`` (the last event when live, the cursor's when paused).

    Not focusable: its keys (up/down, enter, c, the time-travel keys) are the app's, so
    they work whatever has the focus, and none is taken by the scroll bindings.
    """

    DEFAULT_CSS = """
    SequenceView { overflow-y: scroll; overflow-x: auto; }
    """
    class Inspect(Message):
        """Enter on a row: open it in the inspector."""

        def __init__(self, row: Row) -> None:
            super().__init__()
            self.row = row

    compress: reactive[bool] = reactive(False)
    """Keep only the lifelines that take part in the rows on screen (``c``)."""
    cursor: reactive[int | None] = reactive(None)
    """Position (in the sequence's rows) of the highlighted row; None follows the end."""

    def __init__(self) -> None:
        super().__init__()
        self.border_title = "sequence"
        self.sequence = Sequence()
        self.k = 0
        """Rows and lifelines are shown as of this event."""
        self.follow = True
        self._rows = 0
        self._geo: tuple[tuple[object, ...], Geometry] | None = None
        self._cache: LRUCache[tuple[object, ...], Strip] = LRUCache(1024)

    # -- what to show ---------------------------------------------------------------

    def sync(self, sequence: Sequence, k: int, at: int | None = None) -> None:
        """Show ``sequence`` as of event ``k``; ``at`` puts the cursor on that event's row."""
        if sequence is not self.sequence:
            self.sequence = sequence
            self._cache.clear()
            self.cursor = None
        self.k = k
        self._rows = sequence.upto(k)
        head = self.geometry().head_lines
        self.virtual_size = Size(self.geometry().total, self._rows + head)
        if at is not None:
            self.cursor = sequence.row_for(at)
            self.reveal(self.cursor)
        elif self.cursor is None:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        elif self.cursor >= self._rows:
            self.cursor = self._rows - 1 if self._rows else None
        self.refresh()

    @property
    def body_height(self) -> int:
        return max(1, self.scrollable_content_region.height - self.geometry().head_lines)

    def selected_row(self) -> Row | None:
        if self.cursor is None or not 0 <= self.cursor < self._rows:
            return None
        return self.sequence.rows[self.cursor]

    def geometry(self) -> Geometry:
        """The columns for what is on screen (computed once per change, not per line)."""
        seq, k = self.sequence, self.k
        lines = seq.visible(k)
        if self.compress and self._rows:
            top = max(0, int(self.scroll_offset.y))
            rows = seq.rows[top : min(self._rows, top + self.scrollable_content_region.height)]
            keep = taking_part(rows)
            lines = [ln for ln in lines if ln.key in keep] or lines
        width = max(self.scrollable_content_region.width - TIME_W, 1)
        key = (tuple(ln.key for ln in lines), width, seq.version, k,
               tuple(ln.head for ln in lines))
        if self._geo is None or self._geo[0] != key:
            geo = layout(lines, seq.pair_width, width)
            if self._geo is None or self._geo[1] != geo:
                self._cache.clear()
            self._geo = (key, geo)
        return self._geo[1]

    def reveal(self, pos: int | None) -> None:
        if pos is None:
            return
        top, height = int(self.scroll_offset.y), self.body_height
        if pos < top:
            self.scroll_to(y=pos, animate=False, immediate=True)
        elif pos >= top + height:
            self.scroll_to(y=pos - height + 1, animate=False, immediate=True)

    # -- keys -----------------------------------------------------------------------

    def action_move(self, step: int) -> None:
        if not self._rows:
            return
        start = self.cursor if self.cursor is not None else self._rows
        pos = max(0, min(self._rows - 1, start + step))
        self.cursor = pos
        self.reveal(pos)

    def action_inspect(self) -> None:
        row = self.selected_row()
        if row is None and self._rows:
            self.cursor = self._rows - 1
            row = self.selected_row()
        if row is not None:
            self.post_message(self.Inspect(row))

    def action_toggle_compress(self) -> None:
        self.compress = not self.compress

    def watch_compress(self) -> None:
        self._geo = None
        self._cache.clear()
        self.sync(self.sequence, self.k)

    def watch_cursor(self) -> None:
        self.refresh()

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if self.compress:
            self._geo = None

    def on_resize(self) -> None:
        self._geo = None
        self._cache.clear()
        self.sync(self.sequence, self.k)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._cache.clear()

    # -- drawing --------------------------------------------------------------------

    def _strip(self, painted: Painted, total: int) -> Strip:
        plain, spans = painted
        text = Text(plain, style=self.rich_style, no_wrap=True, end="",
                    spans=[Span(a, b, s) for a, b, s in spans])
        segments = list(text.render(self.app.console))
        return Strip([s for s in segments if s.text != "\n"], total)

    def _place(self, strip: Strip, geo: Geometry, scroll_x: int) -> Strip:
        """The time column fixed at the left, the chart shifted by the sideways scroll."""
        width = self.scrollable_content_region.width
        time_part = strip.crop(0, TIME_W)
        chart = strip.crop(TIME_W + scroll_x, TIME_W + scroll_x + max(width - TIME_W, 0))
        return Strip.join([time_part, chart]).crop_extend(0, width, self.rich_style)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = (int(v) for v in self.scroll_offset)
        width = self.scrollable_content_region.width
        seq, geo = self.sequence, self.geometry()
        if y < geo.head_lines:
            strip = self._strip(paint_head(geo, seq.lifelines, self.k, y), geo.total)
            return self._place(strip, geo, scroll_x)
        pos = scroll_y + y - geo.head_lines
        if not 0 <= pos < self._rows:
            return Strip([Segment(" " * width, self.rich_style)], width)
        row = seq.rows[pos]
        pending = row.pending_at(self.k)
        key = (row.index, row.src, row.dst, row.style, pending)
        cached = self._cache.get(key)
        if cached is not None:
            strip = cached
        else:
            t = seq.time_of(row)
            delta = t - seq.time_of(seq.rows[pos - 1]) if pos else None
            painted = paint_row(row, geo, seq.lifelines, self.k, t=t, delta=delta)
            strip = self._strip(painted, geo.total)
            self._cache[key] = strip
        strip = self._place(strip, geo, scroll_x)
        if pos == self.cursor:
            strip = strip.apply_style(CURSOR_STYLE)
        return strip
