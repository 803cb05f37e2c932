"""Everything about one process, as the process inspector (``enter`` on a pane or row)
shows it: identity, state, I/O, every channel with the process at its other end, and
every signal disposition by its full name.

The panes and rows cut their kernel lines where the terminal ends; this is the one
place that lists them whole, so a user on an 80x24 terminal loses nothing. Pure (no
Textual): a state in, a ``rich.text.Text`` out, built from plain strings (a command line
or a socket path is the program's text, never markup).
"""

from __future__ import annotations

from rich.text import Text

from tui.kernel import SHOWN_ORDER, ChanView, KernelView, mask_names, short_bytes
from tui.state import MonitorState, ProcView
from tui.text import clip, human_bytes

_MASK_STYLES = {"caught": "green", "blocked": "yellow", "ignored": "dim", "pending": "bold red"}
_MASK_NOTES = {
    "pending": "sent, not delivered yet",
    "caught": "a handler runs",
    "blocked": "held back while blocked",
    "ignored": "dropped on arrival",
}
_LAST = {"send": "sent", "recv": "received", "send+recv": "sent and received"}
_LABEL = 10
"""Width of the field names on the left."""


def who(state: MonitorState, pid: int) -> str:
    """``child #1 prog.py``: how the panes name ``pid`` (its pid left out), or ``""``
    for a pid this run has not seen."""
    view = state.procs.get(pid)
    if view is None:
        return ""
    name = state.shown_name(view)
    return f"{view.label} {name}".strip() if view.label != "?" else name


def full_signal_name(short: str) -> str:
    """``USR1`` -> ``SIGUSR1``, ``RTMIN+3`` -> ``SIGRTMIN+3``; a bare number stays."""
    return short if short.isdigit() else "SIG" + short


def _field(text: Text, name: str, value: str = "", style: str = "") -> None:
    text.append(f"  {name:<{_LABEL}}", "dim")
    text.append(value, style)


def _heading(text: Text, title: str) -> None:
    text.append(f"\n{title}\n", "bold underline")


def chan_line(chan: ChanView, state: MonitorState) -> str:
    """One channel in full: the peer named, a queue's id and message count."""
    peer = who(state, chan.peer) if chan.peer is not None else ""
    if chan.type == "queue":
        key = f"{chan.key:#x}" if chan.key is not None else "?"
        out = key + (f" (msqid {chan.msqid})" if chan.msqid is not None else "")
        held = [f"{chan.qnum} message{'s' if chan.qnum != 1 else ''}"] \
            if chan.qnum is not None else []
        held.append(f"{human_bytes(chan.queued)}")
        out += ": " + ", ".join(held) + f" · it {_LAST.get(chan.last or '', 'used it')} last"
        if chan.peer is not None:
            out += f" · {chan.peer}" + (f" ({peer})" if peer else "") + \
                (" received last" if chan.last == "send" else " sent last")
        return out
    return chan.text(peer)


def _channels(text: Text, kernel: KernelView, state: MonitorState) -> None:
    chans = kernel.sorted_chans()
    _heading(text, f"channels: {len(chans)}" + (", the busiest first" if len(chans) > 1
                                                 else ""))
    if not chans:
        text.append("  none: no pipe, socket or SysV queue in use\n", "dim")
    for chan in chans:
        where = "queue" if chan.type == "queue" else f"fd {chan.fd}" if chan.fd is not None \
            else ""
        _field(text, where)
        text.append(clip(chan_line(chan, state), 300) + "\n",
                    "bold cyan" if chan.queued else "cyan")


def _dispositions(text: Text, kernel: KernelView, pid: int) -> None:
    _heading(text, f"signal dispositions (/proc/{pid}/status)")
    any_shown = False
    for what in SHOWN_ORDER:
        names = mask_names(kernel.masks.get(what, 0))
        if not names:
            continue
        any_shown = True
        _field(text, what)
        text.append(" ".join(full_signal_name(n) for n in names), _MASK_STYLES[what])
        text.append(f"  ({_MASK_NOTES[what]})\n", "dim")
    if not any_shown:
        text.append("  every signal has its default action; none blocked or pending\n",
                    "dim")


def _rates(kernel: KernelView) -> str:
    r = kernel.rates
    return (f"read {short_bytes(r.get('rchar', 0.0))}B/s in "
            f"{short_bytes(r.get('syscr', 0.0))} calls/s · write "
            f"{short_bytes(r.get('wchar', 0.0))}B/s in {short_bytes(r.get('syscw', 0.0))} "
            "calls/s")


def process_details(view: ProcView, state: MonitorState) -> Text:
    """The inspector's text for ``view``, as of ``state`` (time travel shows the past)."""
    text = Text(no_wrap=False)
    text.append(f"{view.pid} ", "bold")
    text.append(who(state, view.pid) or view.label,
                "bold magenta" if view.role == "master" else "bold cyan")
    text.append(f"   {view.state_text}\n", "bold red" if "killed" in view.state_text else "")
    kernel = view.kernel
    if kernel is not None and kernel.cmd:
        _field(text, "command", clip(kernel.cmd, 300) + "\n", "italic")
    if view.ppid is not None:
        parent = who(state, view.ppid)
        _field(text, "parent", f"{view.ppid}" + (f" ({parent})" if parent else "") + "\n")
    cpu = "–" if view.cpu is None else f"{view.cpu:.1f}%"
    if view.cpu_time is not None:
        cpu = f"{view.cpu_time:.3f} s in all"
    _field(text, "cpu", cpu)
    text.append("   rss " if view.cpu_time is None else "   max rss ", "dim")
    text.append(human_bytes(view.rss) + "\n")
    if kernel is not None and kernel.rates and not view.ended:
        _field(text, "io", _rates(kernel) + "\n")
    _field(text, "messages", f"in {view.msgs_in} ({human_bytes(view.bytes_in)}) · "
           f"out {view.msgs_out} ({human_bytes(view.bytes_out)})\n")
    if view.last_message is not None:
        _field(text, "last", f'"{view.last_message}"\n', "italic")
    received = " ".join(f"{full_signal_name(n.removeprefix('SIG'))} ×{c}"
                        for n, c in view.signals.items())
    _field(text, "received", (received or "no signal") + "\n",
           "bold yellow" if received else "dim")
    if kernel is None:
        text.append("\nchannels and signal dispositions: not observed (the kernel was not "
                    "sampled for this process: a recording made without /proc sampling)\n",
                    "dim")
        return text
    if view.ended:
        text.append("\nit has ended: its channels and dispositions are gone\n", "dim")
        return text
    _channels(text, kernel, state)
    _dispositions(text, kernel, view.pid)
    return text
