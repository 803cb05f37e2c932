"""The log's filter: by process, by kind, and a search text, parsed from one input line.

``pid:1234 kind:pipe hello`` keeps pipe events of pid 1234 whose text contains "hello"
(case-insensitive). Pure, so it is unit-tested without a terminal.
"""

from __future__ import annotations

from dataclasses import dataclass

from tui.state import LogLine


@dataclass(frozen=True, slots=True)
class LogFilter:
    """What the log shows; the empty filter shows everything."""

    pids: frozenset[int] = frozenset()
    kinds: tuple[str, ...] = ()
    """Kind prefixes: ``pipe`` keeps ``pipe.read`` and ``pipe.write``."""
    text: str = ""
    """Search text, lower-case; matches the rendered line."""

    @classmethod
    def parse(cls, query: str) -> LogFilter:
        """Build from ``pid:N kind:K words``; a bad pid raises ValueError."""
        pids: set[int] = set()
        kinds: list[str] = []
        words: list[str] = []
        for token in query.split():
            key, sep, value = token.partition(":")
            if sep and key == "pid" and value:
                if not value.isdigit():
                    raise ValueError(f"pid:{value} is not a process id")
                pids.add(int(value))
            elif sep and key == "kind" and value:
                kinds.append(value.lower())
            else:
                words.append(token)
        return cls(frozenset(pids), tuple(kinds), " ".join(words).lower())

    @property
    def active(self) -> bool:
        return bool(self.pids or self.kinds or self.text)

    def matches(self, line: LogLine) -> bool:
        if self.pids and line.pid not in self.pids:
            return False
        if self.kinds and not any(
            line.kind == k or line.kind.startswith(k + ".") or line.category == k
            for k in self.kinds
        ):
            return False
        return not self.text or self.text in line.render().lower()

    def describe(self) -> str:
        parts = [f"pid:{p}" for p in sorted(self.pids)]
        parts += [f"kind:{k}" for k in self.kinds]
        if self.text:
            parts.append(self.text)
        return " ".join(parts)
