"""The errors of the event stream, under the one base every ipcscope error shares.

:class:`IPCError` lives here rather than in ``ipccore.errors`` so that the event
vocabulary needs nothing from the core; ``ipccore.errors`` re-exports all three, so
``ipccore.errors.CommandRefused`` is the same class and ``except IPCError`` still
catches a refused command.
"""

from __future__ import annotations


class IPCError(Exception):
    """Base of every ipccore (and event stream) error."""


class CommandRefused(IPCError):
    """The monitor refused a command (e.g. a signal to a pid outside the monitored tree)."""


class RecordingError(IPCError):
    """A recording file could not be read completely; ``line`` says where it broke."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line
