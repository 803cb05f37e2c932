"""The command palette's provider: the same actions as the keys, searchable by name."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

ACTIONS: tuple[tuple[str, str, str], ...] = (
    ("Send SIGUSR1", "to the selected pane (or all children)", "send_signal(10)"),
    ("Send SIGUSR2", "to the selected pane (or all children)", "send_signal(12)"),
    ("Send SIGTERM", "to the selected pane (or all children)", "send_signal(15)"),
    ("Send SIGINT", "to the selected pane (or all children)", "send_signal(2)"),
    ("Send SIGHUP", "to the selected pane (or all children)", "send_signal(1)"),
    ("Send SIGSTOP", "to the selected pane (or all children)", "send_signal(19)"),
    ("Send SIGCONT", "to the selected pane (or all children)", "send_signal(18)"),
    ("Send SIGKILL", "asks for confirmation first", "send_signal(9)"),
    ("Toggle signal target", "selected pane / all children", "toggle_all"),
    ("Write into pipe", "a message into the selected child's pipe", "write_pipe"),
    ("Push into queue", "a message into a monitored SysV queue", "push_queue"),
    ("Follow / pause log", "stop or resume following new events", "toggle_follow"),
    ("Filter log", "pid:N kind:K and search words", "filter_log"),
    ("Filter log to selected process", "only the selected pane's events", "filter_selected"),
    ("Search log", "highlight matches without filtering; n/N jump", "search_log"),
    ("Next search match", "the next newer line with the search text", "find(1)"),
    ("Previous search match", "the previous older line with the search text", "find(-1)"),
    ("Clear log filter and search", "show every event again", "clear_filter"),
    ("Restart demo", "stop it and start a fresh run", "restart"),
    ("Stop demo", "end every process and remove the queues", "stop"),
    ("Help", "every key", "help"),
    ("Quit", "stop everything and leave", "quit"),
)
"""(title, help, app action); the help screen and the bindings name the same actions."""


class ActionsProvider(Provider):
    """Offers every monitor action in the command palette."""

    async def discover(self) -> Hits:
        for title, about, action in ACTIONS:
            yield DiscoveryHit(title, partial(self.app.run_action, action), help=about)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, about, action in ACTIONS:
            score = matcher.match(title)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(title),
                    partial(self.app.run_action, action),
                    text=title,
                    help=about,
                )
