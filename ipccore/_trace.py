"""The one seam between the core and the event stream.

The core calls ``emitter.emit(...)`` after every operation *only* when a monitor is
attached, so with no monitor the cost is one module-attribute load and an ``is None``
test per operation. ``ipccore.monitor.attach()`` installs the real emitter; nothing in
the core knows how events travel.
"""

from __future__ import annotations

from typing import Any, Protocol


class Emitter(Protocol):
    """Receives one call per core operation, in the process that did it."""

    def emit(self, kind: str, fields: dict[str, Any], data: bytes | None = None) -> None:
        """Publish one event.

        ``kind`` and ``fields`` follow ``docs/events.md``; ``data`` is the message body
        (if any) from which the emitter derives ``preview``. Must never raise and never
        block for long: a monitor must not be able to break or wedge the program.
        """

    def close(self) -> None:
        """Called right before the process ends (also before ``os._exit`` in a child).

        Flushes what can still be flushed within a short bound; never raises.
        """


emitter: Emitter | None = None
"""The installed emitter, or None when no monitor is attached."""
