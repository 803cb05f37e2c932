"""Opening a SysV queue safely: create it 0600, or attach only to one we can trust.

Swoole creates queues 0666 and attaches to whatever sits at a key. A queue of another
user, or one other users may write to, lets them inject or steal messages, so attaching
to it is refused unless the caller opts in with ``trust_foreign=True``.
"""

from __future__ import annotations

import os
from typing import Any

import sysv_ipc

from ipccore._trace import fail
from ipccore.errors import IPCError, NoQueue, QueueAccessDenied

CREATE_MODE = 0o600
"""Permissions of a queue we create: only our uid can read or write it."""
_FOREIGN_WRITE = 0o022


def no_queue(op: str, gone: bool = False) -> IPCError:
    """The :class:`NoQueue` for ``op``: never opened/freed, or removed under us."""
    if gone:
        return fail(op, NoQueue(f"{op}(): the queue was removed; call use_queue() again"))
    return fail(op, NoQueue(f"{op}(): no queue; call use_queue() first"))


def check_int(name: str, value: object) -> int:
    """``value`` if it is a real int (not a bool), else TypeError."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    return value


def _check_trusted(mq: Any, key: int) -> None:
    uid, cuid, mode = mq.uid, mq.cuid, mq.mode
    me = os.geteuid()
    if uid != me or cuid != me or mode & _FOREIGN_WRITE:
        raise fail(
            "use_queue",
            QueueAccessDenied(
                f"use_queue(): queue key {key:#x} (msqid {mq.id}) belongs to uid {uid} "
                f"(creator {cuid}) with mode {mode & 0o777:o}; other users could inject or "
                "steal messages. Use another key (ipccore.keys.fresh_key()), or "
                "use_queue(..., trust_foreign=True) if you really mean to share it"
            ),
        )


def open_queue(key: int, trust_foreign: bool) -> tuple[Any, bool]:
    """``(MessageQueue, created)``: create ``key`` 0600, or attach to a trusted one.

    Create-or-attach is a loop because the queue can be removed between a failed
    exclusive create and the attach.
    """
    for _ in range(100):
        try:
            return sysv_ipc.MessageQueue(key, sysv_ipc.IPC_CREX, CREATE_MODE), True
        except sysv_ipc.ExistentialError:
            pass
        try:
            mq = sysv_ipc.MessageQueue(key, 0)
        except sysv_ipc.ExistentialError:
            continue
        except sysv_ipc.PermissionsError:
            raise fail(
                "use_queue",
                QueueAccessDenied(
                    f"use_queue(): queue key {key:#x} exists and belongs to someone who "
                    "does not let us use it; pick another key (ipccore.keys.fresh_key())"
                ),
            ) from None
        if not trust_foreign:
            _check_trusted(mq, key)
        return mq, False
    raise no_queue("use_queue", gone=True)
