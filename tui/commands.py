"""The command palette's provider: the same actions as the keys, searchable by name."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from tui.keys import palette

ACTIONS = palette()
"""(title, help, app action), from the one table of keys (:mod:`tui.keys`)."""


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
