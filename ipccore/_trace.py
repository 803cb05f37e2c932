"""The one seam between the core and the event stream.

The core calls the emitter after every operation *only* when a monitor is attached, so
with no monitor the cost is one module-attribute load and an ``is None`` test per
operation. ``ipccore.monitor.attach()`` installs the real emitter (with
``IPCCORE_MONITOR`` set, when this module loads); nothing in the core knows how events
travel.

Pipe and queue messages, the events a busy program sends most, go through the typed
calls ``pipe_io``/``queue_io``: no dict per event, and the real emitter writes them
straight into its ring (measured 1.1 us per event against 1.9 us for ``emit`` with a
dict). Every other event goes through ``emit``. An emitter that only cares about
``emit`` (a test recorder) inherits :class:`EmitterBase`, which turns the typed calls
into ``emit`` calls.
"""

from __future__ import annotations

import os
from typing import Any, Protocol, TypeVar


class Emitter(Protocol):
    """Receives one call per core operation, in the process that did it."""

    def emit(self, kind: str, fields: dict[str, Any], data: bytes | None = None) -> None:
        """Publish one event.

        ``kind`` and ``fields`` follow ``docs/events.md``; ``data`` is the message body
        (if any) from which the emitter derives ``preview``. Must never raise and never
        block for long: a monitor must not be able to break or wedge the program.
        """

    def pipe_io(  # noqa: PLR0917 - the hot path: positional, no dict to build
        self, kind: str, fd: int | None, peer: int | None, nbytes: int, via: str,
        data: bytes,
    ) -> None:
        """``pipe.write`` (``peer`` is ``to``) or ``pipe.read`` (``peer`` is ``from``);
        the same event as ``emit(kind, {"fd", "to"/"from", "nbytes", "via"}, data)``."""

    def queue_io(  # noqa: PLR0917 - the hot path: positional, no dict to build
        self, kind: str, key: int | None, msqid: int | None, mtype: int, nbytes: int,
        data: bytes,
    ) -> None:
        """``queue.push`` or ``queue.pop``; the same event as
        ``emit(kind, {"key", "msqid", "mtype", "nbytes"}, data)``."""

    def close(self) -> None:
        """Called right before the process ends (also before ``os._exit`` in a child).

        Flushes what can still be flushed within a short bound; never raises.
        """


class EmitterBase:
    """The typed calls as ``emit`` calls, for emitters that implement only ``emit``."""

    def emit(self, kind: str, fields: dict[str, Any], data: bytes | None = None) -> None:
        raise NotImplementedError

    def pipe_io(  # noqa: PLR0917 - same signature as Emitter.pipe_io
        self, kind: str, fd: int | None, peer: int | None, nbytes: int, via: str,
        data: bytes,
    ) -> None:
        self.emit(kind, {"fd": fd, "to" if kind == "pipe.write" else "from": peer,
                         "nbytes": nbytes, "via": via}, data)

    def queue_io(  # noqa: PLR0917 - same signature as Emitter.queue_io
        self, kind: str, key: int | None, msqid: int | None, mtype: int, nbytes: int,
        data: bytes,
    ) -> None:
        self.emit(kind, {"key": key, "msqid": msqid, "mtype": mtype, "nbytes": nbytes},
                  data)

    def close(self) -> None:
        pass


emitter: Emitter | None = None
"""The installed emitter, or None when no monitor is attached."""

_E = TypeVar("_E", bound=BaseException)


def fail(op: str, exc: _E) -> _E:
    """Publish an ``error`` event for ``exc`` (raised by ``op``) and hand it back to be
    raised: ``raise fail("write", ProcessGone(...))``."""
    em = emitter
    if em is not None:
        em.emit("error", {"op": op, "error": type(exc).__name__, "message": str(exc)})
    return exc


def _attach_from_env() -> None:
    """Attach to the collector named by ``IPCCORE_MONITOR`` before the first event.

    Every module that reports events imports this one, so this is the first moment an
    event can happen; ``import ipccore`` alone attaches nothing. Without the variables
    nothing more is imported.
    """
    if os.environ.get("IPCCORE_MONITOR") or os.environ.get("IPCCORE_PDEATHSIG"):
        from ipccore.monitor import attach_from_env

        attach_from_env()


_attach_from_env()
