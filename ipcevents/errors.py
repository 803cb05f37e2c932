"""The errors of the event stream, under the one base every ipcscope error shares.

:class:`IPCError` lives here rather than in ``ipccore.errors`` so that the event
vocabulary needs nothing from the core; ``ipccore.errors`` re-exports all three, so
``ipccore.errors.CommandRefused`` is the same class and ``except IPCError`` still
catches a refused command.
"""

from __future__ import annotations

import sys

from ipcevents.events import printable


class IPCError(Exception):
    """Base of every ipccore (and event stream) error."""


class CommandRefused(IPCError):
    """The monitor refused a command (e.g. a signal to a pid outside the monitored tree)."""


class RecordingError(IPCError):
    """A recording file could not be read completely; ``line`` says where it broke."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def command_failed(command: str, where: str, exc: RecordingError | OSError) -> int:
    """Say on stderr, in one printable line, why ``command`` could not read or write
    ``where`` (a recording's error may quote the file's bytes); the exit code, 1."""
    why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    print(f"{command}: {printable(where)}: {printable(why)}", file=sys.stderr)
    return 1
