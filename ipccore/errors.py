"""Typed errors of ipccore, all under one base :class:`IPCError`.

Each message says what happened and what to do about it. Bad arguments are plain
``ValueError``/``TypeError`` raised before any system call.
"""

from __future__ import annotations

# Defined with the event vocabulary (which needs nothing from the core), named here too.
from ipcevents.errors import CommandRefused, IPCError, RecordingError

# One class per thing that can go wrong: declarations alike in shape by design (the
# duplicate finder pairs them with ipcevents.errors').


class NotStarted(IPCError):
    """The operation needs a started process (call ``start()`` first)."""


class NoPipe(IPCError):
    """The process was created with ``pipe_type=0`` and has no pipe."""


class NoQueue(IPCError):
    """A queue operation was called before ``use_queue()`` (or after ``free_queue()``)."""


class ProcessGone(IPCError):
    """The process at the other end of the pipe has exited."""


class MessageTooLarge(IPCError):
    """The kernel cannot carry a message this big in one piece."""


class MessageTruncated(IPCError):
    """The next message is bigger than the size asked for; it was not consumed."""

    def __init__(self, message: str, size: int) -> None:
        super().__init__(message)
        self.size = size
        """The real size of the message in bytes."""


class QueueAccessDenied(IPCError):
    """An existing queue belongs to another user or lets other users write to it.

    ``use_queue(..., trust_foreign=True)`` attaches anyway; otherwise pick another key.
    """


class CapacityRefused(IPCError):
    """The kernel refused the queue capacity asked for (above msgmnb needs privilege)."""


class PacketError(IPCError):
    """A packet on a STREAM pipe broke its protocol (bad length, too long, cut by end of
    file); the stream has no trustworthy boundary left: close it."""


class WorkerGone(IPCError):
    """A Pool worker id that is not (or no longer) in the pool."""


__all__ = [
    "CapacityRefused",
    "CommandRefused",
    "IPCError",
    "MessageTooLarge",
    "MessageTruncated",
    "NoPipe",
    "NoQueue",
    "NotStarted",
    "PacketError",
    "ProcessGone",
    "QueueAccessDenied",
    "RecordingError",
    "WorkerGone",
]
