"""The kernel's lines of a process pane: its channels and its signal dispositions.

Built from plain strings into ``rich.text.Text`` (a command line or a socket path is
the program's text, never markup). Two lines, each cut with an ellipsis: the widest
pane has room for a few channels, the busiest first (bytes queued, then known peers).
"""

from __future__ import annotations

from rich.text import Text

from tui.kernel import KernelView, mask_names, short_bytes

_MASK_STYLES = {"caught": "green", "blocked": "yellow", "ignored": "dim", "pending": "bold red"}
_MASK_WORDS = {"pending": "pend", "caught": "catch", "blocked": "block", "ignored": "ign"}
"""Short words: four groups of names fit the pane's 59 columns."""


def io_text(kernel: KernelView) -> Text:
    """``  io r 3.4K/s w 1.0K/s``: bytes per second between the last two samples."""
    text = Text()
    if kernel.rates:
        text.append("  io ", "dim")
        text.append(f"r {short_bytes(kernel.rates.get('rchar', 0.0))}/s ", "green")
        text.append(f"w {short_bytes(kernel.rates.get('wchar', 0.0))}/s", "blue")
    return text


def kernel_lines(kernel: KernelView, indent: str = "") -> Text:
    """``chan pipe → 1234 · socketpair ⇄ 1235, 3.1 KiB queued`` and
    ``pend USR2 │ catch USR1 │ block USR2 │ ign HUP`` (pending, caught, blocked, ignored),
    each line after ``indent``."""
    text = Text(indent, no_wrap=True, overflow="ellipsis")
    text.append("chan ", "dim")
    chans = kernel.sorted_chans()
    if not chans:
        text.append("-", "dim")
    for i, chan in enumerate(chans):
        if i:
            text.append(" · ", "dim")
        text.append(chan.text(), "bold cyan" if chan.queued else "cyan")
    text.append("\n" + indent)
    groups = kernel.signal_groups()
    if not groups:
        text.append("signals: default dispositions", "dim")
    for i, (what, names) in enumerate(groups):
        if i:
            text.append(" │ ", "dim")
        text.append(f"{_MASK_WORDS[what]} ", "dim")
        text.append(" ".join(names), _MASK_STYLES[what])
    return text


def row_summary(kernel: KernelView) -> Text:
    """What a one-line row has room for: the pending signals (the thing to notice), then
    every channel in its short form, busiest first (``pend USR2 ⇄5103 3.1K q0x1a2b``).
    The row cuts it where the terminal ends; the selected row and ``enter`` say it all."""
    text = Text(no_wrap=True, overflow="ellipsis")
    pending = mask_names(kernel.masks.get("pending", 0))
    if pending:
        text.append("pend ", "dim")
        text.append(" ".join(pending), _MASK_STYLES["pending"])
    for chan in kernel.sorted_chans():
        if text:
            text.append(" ")
        text.append(chan.short(), "bold cyan" if chan.queued else "cyan")
    return text
