"""``python -m tui`` with a widget that fails once the first queue shows up (a fault
injected from outside: the monitor's code has no test hook). Arguments go to the CLI."""

from __future__ import annotations

import sys

from tui.__main__ import main
from tui.widgets.queues import QueuePanel

_real_sync = QueuePanel.sync


def failing_sync(self: QueuePanel, state: object) -> None:
    if getattr(state, "queues", None):
        raise RuntimeError("injected failure in QueuePanel.sync")
    _real_sync(self, state)  # type: ignore[arg-type]


QueuePanel.sync = failing_sync  # type: ignore[method-assign]
sys.exit(main(sys.argv[1:]))
