"""The message log: every event as one line, drawn on demand from the state's ring.

A line-API ``ScrollView`` (like Textual's own ``Log``) that renders only the visible
lines, so a 20,000 events/s flood costs one list rebuild per refresh tick rather than
one widget update per event. Text is always built with ``rich.text.Text`` from plain
strings: what a process wrote is never parsed as markup.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.logfilter import LogFilter
from tui.screens.dialogs import TextPrompt
from tui.state import LogLine, MonitorState

KIND_STYLES = {
    "proc": "magenta",
    "pipe": "green",
    "queue": "cyan",
    "signal": "bold yellow",
    "timer": "blue",
    "alarm": "blue",
    "io": "",  # the theme's own text colour: white vanished on a light theme
    "error": "bold red",
    "monitor": "dim",
    "pool": "bold cyan",
}
KIND_WIDTH = 15
"""Wide enough for the longest kind (``monitor.command``), so the text column aligns."""
CURSOR_STYLE = Style(reverse=True, bold=True)
"""Reversed, not a fixed grey: readable on dark and light themes and without colour."""


class EventLog(ScrollView, can_focus=True):
    """Shows the filtered tail of ``MonitorState.log``; follows the end unless paused."""

    class ViewChanged(Message):
        """Following, the filter or the search changed (the status line shows them)."""

    DEFAULT_CSS = """
    EventLog { overflow-y: scroll; overflow-x: hidden; }
    """

    follow: reactive[bool] = reactive(True)
    """Keep the newest line in view and take new lines; False freezes the view."""
    log_filter: reactive[LogFilter] = reactive(LogFilter, always_update=True)
    """Which lines are shown (process, kind, search text)."""
    search: reactive[str] = reactive("")
    """Lower-case text highlighted without filtering; ``n``/``N`` jump between its lines."""
    cursor: reactive[int | None] = reactive(None)
    """Index (into ``lines``) of the current search match, drawn highlighted."""

    def __init__(self) -> None:
        super().__init__()
        self.border_title = "log"
        self.lines: list[LogLine] = []
        self._shown_version = -1
        self._cache: LRUCache[int, Strip] = LRUCache(512)
        self._state: MonitorState | None = None

    def sync(self, state: MonitorState, force: bool = False) -> None:
        self._state = state
        if not self.follow and not force:
            return
        if state.log_version == self._shown_version and not force:
            return
        self._shown_version = state.log_version
        flt = self.log_filter
        self.lines = [ln for ln in state.log if flt.matches(ln)] if flt.active else list(state.log)
        self.cursor = None
        self.virtual_size = Size(self.size.width, len(self.lines))
        if self.follow:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        self.refresh()

    def watch_log_filter(self) -> None:
        self._cache.clear()
        self.cursor = None
        if self._state is not None:
            self.sync(self._state, force=True)
        self.post_message(self.ViewChanged())

    def watch_follow(self, follow: bool) -> None:
        if follow and self._state is not None:
            self.sync(self._state, force=True)
        self.post_message(self.ViewChanged())

    def watch_search(self) -> None:
        self._cache.clear()
        self.cursor = None
        self.refresh()
        self.post_message(self.ViewChanged())

    def filter_pid(self, pid: int) -> None:
        """Show only ``pid``'s lines; the same pid again shows every line."""
        if self.log_filter.pids == {pid}:
            self.log_filter = LogFilter()
        else:
            self.log_filter = LogFilter(frozenset({pid}))

    def clear(self) -> None:
        """Drop the filter and the search."""
        self.log_filter = LogFilter()
        self.search = ""

    def ask_filter(self) -> None:
        """Prompt for a filter (``pid:N kind:K words``); one that does not parse is a notice."""

        def apply_filter(query: str | None) -> None:
            if query is None:
                return
            try:
                self.log_filter = LogFilter.parse(query)
            except ValueError as exc:
                self.notify(str(exc), severity="error", markup=False)

        prompt = TextPrompt("Filter the log (pid:N kind:K words):", "kind:pipe hello",
                            self.log_filter.describe())
        self.app.push_screen(prompt, apply_filter)

    def ask_search(self) -> None:
        """Prompt for a search: matches are highlighted without filtering, so the context
        around each stays visible; the cursor goes to the newest match."""

        def start(query: str | None) -> None:
            if query is None:
                return
            self.search = query.strip().lower()
            if self.search and not self.find(-1):
                self.notify(f"no line contains {query.strip()!r}", severity="warning",
                            markup=False)

        prompt = TextPrompt("Search the log (n: next newer, N: previous older, Esc: clear):",
                            "hello", self.search)
        self.app.push_screen(prompt, start)

    def find_next(self, step: int) -> None:
        """:meth:`find`, with a notice when there is no search or no match."""
        if not self.search:
            self.notify("Press s to search the log first.", severity="warning")
        elif not self.find(step):
            self.notify(f"no line contains {self.search!r}", severity="warning", markup=False)

    def watch_cursor(self) -> None:
        self.refresh()

    def find(self, step: int) -> bool:
        """Move the cursor to the next (``step=1``, newer) or previous (``-1``, older) line
        containing ``search``, wrapping around; with no cursor yet, start from the newest.

        Pauses following so the match stays put. False when no line matches.
        """
        needle, lines = self.search, self.lines
        if not needle or not lines:
            return False
        self.follow = False
        n = len(lines)
        start = self.cursor if self.cursor is not None and self.cursor < n else n
        for i in range(1, n + 1):
            index = (start + step * i) % n if start < n else (n - i if step < 0 else i - 1)
            if needle in lines[index].render().lower():
                self.cursor = index
                self.scroll_to(y=max(0, index - self.size.height // 2), animate=False,
                               immediate=True)
                return True
        return False

    def on_resize(self) -> None:
        self._cache.clear()
        self.virtual_size = Size(self.size.width, len(self.lines))

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._cache.clear()

    def line_text(self, line: LogLine) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis", style=self.rich_style)
        text.append(f"{line.t:9.3f} ", "dim")
        text.append(f"{line.pid:>7} ", "bold")
        text.append(f"{line.kind:<{KIND_WIDTH}} ", KIND_STYLES.get(line.category, ""))
        text.append(line.text)
        plain = text.plain.lower()
        for needle in {self.log_filter.text, self.search} - {""}:
            start = plain.find(needle)
            while start >= 0:
                text.stylize("black on yellow", start, start + len(needle))
                start = plain.find(needle, start + len(needle))
        return text

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.size.width
        style = self.rich_style
        if index >= len(self.lines):
            return Strip.blank(width, style)
        line = self.lines[index]
        strip = self._cache.get(line.seq)
        if strip is None:
            text = self.line_text(line)
            text.truncate(max(width, 1), overflow="ellipsis")
            strip = Strip(text.render(self.app.console), text.cell_len)
            self._cache[line.seq] = strip
        strip = strip.crop_extend(0, width, style)
        if index == self.cursor:
            strip = strip.apply_style(CURSOR_STYLE)
        return strip.apply_offsets(scroll_x, index)
