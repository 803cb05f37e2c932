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

Above its event budget the real emitter only counts a channel's operations, and a call
per operation would then be most of the monitor's cost (~0.2 us against ~0.6 us for
the 64-byte write itself). So a typed call may return a :class:`Grant`: the caller keeps
it with the channel (the ``Process`` object) and counts the channel's next operations
into it with two attribute updates, no call and no clock reading, while ``left`` > 0.
Ignoring the return value is always correct (the next call counts the operation).
"""

from __future__ import annotations

import os
from typing import Any, Protocol, TypeVar


class Grant:
    """Operations an emitter lets one channel count without calling it.

    While ``left`` > 0 the caller counts an operation on the channel the grant was
    returned for with ``left -= 1; nbytes += n`` (for a queue pop only when its
    ``mtype`` is ``c``: a grant is for one message type); at 0 it calls the emitter again.
    The emitter sets ``left`` to 0 to take the grant back (it publishes what was counted),
    so a caller never has to know when. No signal handler can run between the test and
    the updates (CPython checks for them only at calls and backward jumps).
    """

    __slots__ = ("c", "left", "nbytes")

    def __init__(self, c: int = -1) -> None:
        self.left = 0
        """Operations the caller may still count itself."""
        self.nbytes = 0
        """Bytes counted (the emitter takes its share when it publishes)."""
        self.c = c
        """The queue message type the grant is for (pipes: unused)."""


NO_GRANT = Grant()
"""The grant of nothing (``left`` is always 0): what a caller holds when it has none."""


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
    ) -> Grant | None:
        """``pipe.write`` (``peer`` is ``to``) or ``pipe.read`` (``peer`` is ``from``);
        the same event as ``emit(kind, {"fd", "to"/"from", "nbytes", "via"}, data)``.
        May return a grant for this channel's next operations."""

    def queue_io(  # noqa: PLR0917 - the hot path: positional, no dict to build
        self, kind: str, key: int | None, msqid: int | None, mtype: int, nbytes: int,
        data: bytes,
    ) -> Grant | None:
        """``queue.push`` or ``queue.pop``; the same event as
        ``emit(kind, {"key", "msqid", "mtype", "nbytes"}, data)``. May return a grant
        for this channel's (queue and message type's) next operations."""

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
    ) -> Grant | None:
        self.emit(kind, {"fd": fd, "to" if kind == "pipe.write" else "from": peer,
                         "nbytes": nbytes, "via": via}, data)
        return None

    def queue_io(  # noqa: PLR0917 - same signature as Emitter.queue_io
        self, kind: str, key: int | None, msqid: int | None, mtype: int, nbytes: int,
        data: bytes,
    ) -> Grant | None:
        self.emit(kind, {"key": key, "msqid": msqid, "mtype": mtype, "nbytes": nbytes},
                  data)
        return None

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
