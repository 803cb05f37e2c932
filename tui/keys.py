"""Every key of the monitor, written once.

Pure data (no Textual import). From this one table come the app's ``BINDINGS``
(:func:`bindings`), the bottom key bar (:func:`bar`), the help screen (:func:`help_rows`),
the guide in the side panel (:func:`guide`), the command palette (:func:`palette`) and
the signal panel's buttons (:data:`SIGNALS`). A new key is one :class:`KeyRow` here; a
row with ``bound=False`` is planned but has no action yet, so nothing shows it until it
is flipped on.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass

SIGNALS: tuple[tuple[str, signal.Signals], ...] = (
    ("1", signal.SIGUSR1),
    ("2", signal.SIGUSR2),
    ("3", signal.SIGTERM),
    ("4", signal.SIGINT),
    ("5", signal.SIGHUP),
    ("6", signal.SIGSTOP),
    ("7", signal.SIGCONT),
    ("8", signal.SIGKILL),
)
"""Key and signal, in button order; the key is shown on the signal panel's button."""


@dataclass(frozen=True, slots=True)
class Action:
    """One binding: Textual key names, the app action it runs, and its palette entry."""

    keys: str
    """Textual key names, comma-separated (``down,j``)."""
    action: str
    """The app action with its arguments (``select(1)``)."""
    label: str
    """A word or two: the binding's description."""
    title: str | None = None
    """The command palette's entry; None keeps the action out of the palette."""
    about: str = ""
    """The palette's help line under the title."""


@dataclass(frozen=True, slots=True)
class Hint:
    """A line of the side panel's guide (a newcomer's few keys, in the guide's order)."""

    order: int
    keys: str
    text: str


@dataclass(frozen=True, slots=True)
class KeyRow:
    """One line of the help screen: a key (or a family of keys) and what it does."""

    shown: str
    """The key(s) as the help screen writes them."""
    text: str
    """What it does, for the help screen."""
    actions: tuple[Action, ...] = ()
    """The bindings (none for a key Textual binds itself, like ``ctrl+p``)."""
    bar: tuple[str, str] | None = None
    """(key, word) in the bottom bar, which shows the main keys in 120 columns."""
    hint: Hint | None = None
    bound: bool = True
    """False: planned for this round, its action does not exist yet; shown nowhere."""


_TO_TARGET = "to the selected pane (or all children)"

# Parallel data: one KeyRow per key, alike by design (the duplicate finder pairs them).

KEYS: tuple[KeyRow, ...] = (
    KeyRow("up/k, down/j", "select the previous / next process pane (or click a pane)",
           (Action("down,j", "select(1)", "next"), Action("up,k", "select(-1)", "prev")),
           bar=("↑↓", "select"), hint=Hint(0, "↑↓ / click", "select a process pane")),
    KeyRow("enter", "the inspector: the selected process in full (every channel with its "
           "peer, every signal disposition; space, left/right and 1-8 still work in it); in "
           "the sequence view, the row under the cursor (every field of its event, its other "
           "end)",
           (Action("enter", "inspect", "inspect", "Inspect",
                   "the selected process's channels and signals, or the row's event"),),
           bar=("⏎", "info")),
    KeyRow("1 … 8", "send " + ", ".join(sig.name for _, sig in SIGNALS),
           tuple(Action(key, f"send_signal({int(sig)})", sig.name.removeprefix("SIG"),
                        f"Send {sig.name}",
                        "asks for confirmation first" if sig == signal.SIGKILL
                        else _TO_TARGET)
                 for key, sig in SIGNALS),
           bar=("1-8", "signal"), hint=Hint(1, "1 … 8", "send a signal (a: all children)")),
    KeyRow("a", "toggle the signal target: selected pane / all children",
           (Action("a", "toggle_all", "target", "Toggle signal target",
                   "selected pane / all children"),)),
    KeyRow("w", "write a message into the selected child's pipe",
           (Action("w", "write_pipe", "write", "Write into pipe",
                   "a message into the selected child's pipe"),),
           bar=("w", "write"), hint=Hint(2, "w", "write into the child's pipe")),
    KeyRow("u", "push a message into a queue (pick which one when several are in use)",
           (Action("u", "push_queue", "push", "Push into queue",
                   "a message into a monitored SysV queue"),),
           bar=("u", "push"), hint=Hint(3, "u", "push into a queue")),
    KeyRow("f", "follow the log / pause it",
           (Action("f", "toggle_follow", "follow", "Follow / pause log",
                   "stop or resume following new events"),)),
    KeyRow("/", "filter the log: only lines with pid:N kind:K and the words",
           (Action("slash", "filter_log", "filter", "Filter log",
                   "pid:N kind:K and search words"),),
           bar=("/", "filter"), hint=Hint(5, "/  Esc", "filter the log / clear")),
    KeyRow("p", "filter the log to the selected process (again: clear)",
           (Action("p", "filter_selected", "pid filter", "Filter log to selected process",
                   "only the selected pane's events"),)),
    KeyRow("s", "search the log without filtering: matches are highlighted, the log pauses",
           (Action("s", "search_log", "search", "Search log",
                   "highlight matches without filtering; n/N jump"),),
           hint=Hint(4, "s  n N", "search the log, next / previous")),
    KeyRow("n, N", "jump to the next (newer) / previous (older) search match",
           (Action("n", "find(1)", "next match", "Next search match",
                   "the next newer line with the search text"),
            Action("N", "find(-1)", "previous match", "Previous search match",
                   "the previous older line with the search text"))),
    KeyRow("escape", "clear the log filter and the search",
           (Action("escape", "clear_filter", "clear filter", "Clear log filter and search",
                   "show every event again"),)),
    KeyRow("r", "restart the demo",
           (Action("r", "restart", "restart", "Restart demo",
                   "stop it and start a fresh run"),),
           bar=("r", "restart")),
    KeyRow("x", "stop the demo (processes end, queues are removed)",
           (Action("x", "stop", "stop", "Stop demo",
                   "end every process and remove the queues"),)),
    # This round's keys: the sequence view, the inspector, time travel, the replay rate.
    KeyRow("v", "switch between the panes and the sequence view (lifelines and arrows)",
           (Action("v", "toggle_view", "sequence", "Sequence view",
                   "switch between the panes and the sequence diagram"),),
           bar=("v", "view"), hint=Hint(7, "v", "sequence view (arrows)")),
    KeyRow("space", "pause the display on the newest event (a live run goes on being "
           "recorded; a replay stops) / back to live",
           (Action("space", "toggle_pause", "pause", "Pause / live",
                   "freeze the display, or go back to live"),),
           hint=Hint(8, "space ← →", "pause, step back / forward")),
    KeyRow("left/right, home/end", "step one event back / forward; the first / last event "
           "(every panel shows the state as of that event)",
           (Action("left", "step(-1)", "back"), Action("right", "step(1)", "forward"),
            Action("home", "step_to_start", "first", "First event",
                   "show the state after the run's first event"),
            Action("end", "step_to_end", "last", "Last event",
                   "show the state after the newest event"))),
    KeyRow("g", "go to a time (seconds since the first event)",
           (Action("g", "go_to_time", "go to", "Go to time",
                   "jump to seconds since the run's first event"),)),
    KeyRow("[, ]", "replay slower / faster (halve / double the rate)",
           (Action("left_square_bracket", "rate(-1)", "slower", "Replay slower",
                   "halve the replay rate"),
            Action("right_square_bracket", "rate(1)", "faster", "Replay faster",
                   "double the replay rate"))),
    KeyRow("c", "sequence view: keep only the lifelines taking part in the rows on screen",
           (Action("c", "toggle_compress", "compress", "Compress lifelines",
                   "only the lifelines of the rows on screen"),)),
    KeyRow("Q", "the machine's SysV queues, not only the program's",
           (Action("Q", "machine_queues", "queues", "Machine queues",
                   "every SysV queue on this machine"),)),
    KeyRow("ctrl+p", "command palette (every action above, and: export a Perfetto trace)",
           bar=("^p", "commands")),
    KeyRow("?", "this help",
           (Action("question_mark", "help", "help", "Help", "every key"),),
           bar=("?", "help"), hint=Hint(6, "?", "every key")),
    KeyRow("q", "quit (stops every process and queue the monitor started)",
           (Action("q", "quit", "quit", "Quit", "stop everything and leave"),),
           bar=("q", "quit")),
)
"""Every key, in the order a newcomer needs them (the help screen's order)."""


PALETTE_ONLY: tuple[Action, ...] = (
    Action("", "export_trace", "export", "Export Perfetto trace",
           "the run on screen as a trace for ui.perfetto.dev / chrome://tracing"),
)
"""Actions without a key of their own: only in the command palette (keys are scarce)."""


def bound_rows() -> tuple[KeyRow, ...]:
    """The rows whose actions exist, in table order."""
    return tuple(row for row in KEYS if row.bound)


def actions() -> tuple[Action, ...]:
    """Every binding of the app, in table order."""
    return tuple(action for row in bound_rows() for action in row.actions)


def help_rows() -> tuple[tuple[str, str], ...]:
    """(key, what it does) for the help screen."""
    return tuple((row.shown, row.text) for row in bound_rows())


def bar() -> tuple[tuple[str, str], ...]:
    """(key, word) of the bottom bar."""
    return tuple(row.bar for row in bound_rows() if row.bar is not None)


def guide() -> tuple[tuple[str, str], ...]:
    """(keys, what) of the side panel's guide, in the guide's own order."""
    hints = sorted((row.hint for row in bound_rows() if row.hint is not None),
                   key=lambda hint: hint.order)
    return tuple((hint.keys, hint.text) for hint in hints)


def palette() -> tuple[tuple[str, str, str], ...]:
    """(title, help, app action) of the command palette."""
    return tuple((action.title, action.about, action.action)
                 for action in (*actions(), *PALETTE_ONLY) if action.title is not None)
