"""SysV message queue support for Process (stub: being written)."""

from __future__ import annotations


class QueueMixin:
    """Gives :class:`ipccore.Process` its queue methods (use_queue, push, pop...)."""

    id: int
    msg_queue_id: int | None = None
    msg_queue_key: int | None = None
