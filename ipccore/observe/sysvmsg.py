"""The machine's SysV message queues, as ``lsipc -q`` / ``ipcs -q`` show them.

``/proc/sysvipc/msg`` lists every queue of the IPC namespace in one read, with the last
sender and receiver (``lspid``/``lrpid``) and times; the capacity (``msg_qbytes``) is not
in it, so it comes from ``msgctl(IPC_STAT)`` by msqid (also for ``IPC_PRIVATE`` queues,
where a key cannot name the queue). Removing is offered only for queues of our own uid
(owner or creator): a root monitor does not touch other users' queues either.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import struct
from dataclasses import dataclass

from ipccore._libc import libc
from ipccore._sysv import QueueRow, parse_table, read_table

__all__ = ["Limits", "QueueRefused", "QueueRow", "Snapshot", "capacity", "comm", "parse_table",
           "read_limits", "read_table", "remove", "snapshot"]

_LIMITS = ("msgmni", "msgmax", "msgmnb")
_IPC_RMID, _IPC_STAT = 0, 2
_MSQID_DS_SIZE = 120
_QBYTES_OFFSET = 88
"""``msg_qbytes`` in glibc's ``struct msqid_ds`` on 64-bit Linux (x86_64, aarch64)."""


@dataclass(frozen=True, slots=True)
class Limits:
    """``/proc/sys/kernel/msg*``: queues allowed, largest message, default capacity."""

    msgmni: int
    msgmax: int
    msgmnb: int


def read_limits() -> Limits:
    values = []
    for name in _LIMITS:
        try:
            with open(f"/proc/sys/kernel/{name}") as f:
                values.append(int(f.read().strip()))
        except (OSError, ValueError):
            values.append(0)
    return Limits(*values)


def capacity(msqid: int) -> int | None:
    """``msg_qbytes`` by ``msgctl(IPC_STAT)``; None without read permission or when gone."""
    if struct.calcsize("P") != 8:
        return None
    buf = ctypes.create_string_buffer(_MSQID_DS_SIZE)
    if libc().msgctl(ctypes.c_int(msqid), ctypes.c_int(_IPC_STAT), buf) != 0:
        return None
    return int.from_bytes(buf.raw[_QBYTES_OFFSET:_QBYTES_OFFSET + 8], "little")


def comm(pid: int) -> str | None:
    """The short name of ``pid`` (``/proc/PID/comm``), None when gone or 0."""
    if pid <= 0:
        return None
    with contextlib.suppress(OSError), open(f"/proc/{pid}/comm") as f:
        return f.read().strip()
    return None


class QueueRefused(PermissionError):
    """The queue is not ours, or is not the one that was shown any more."""


def remove(msqid: int, key: int) -> None:
    """Remove queue ``msqid`` if it still has ``key`` and belongs to our uid.

    ``key`` guards against a msqid reused by a newer queue since the screen drew it.
    Raises :class:`QueueRefused` or ``OSError``.
    """
    row = read_table().get(msqid)
    if row is None or row.key != key:
        raise QueueRefused(f"queue {msqid} (key {key:#x}) no longer exists")
    if not row.ours:
        raise QueueRefused(f"queue {msqid} belongs to uid {row.uid}: only your own queues "
                           "can be removed")
    if libc().msgctl(ctypes.c_int(msqid), ctypes.c_int(_IPC_RMID), None) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything the machine's queue screen shows, read at one moment."""

    rows: tuple[QueueRow, ...]
    limits: Limits
    capacity: dict[int, int | None]
    """``msg_qbytes`` by msqid (None: no permission to ask)."""
    names: dict[int, str | None]
    """``comm`` of every ``lspid``/``lrpid`` (None: gone)."""
    uid: int
    """Our uid: the rows we may remove."""


def snapshot() -> Snapshot:
    """Every queue with its capacity and the names of its last sender and receiver."""
    rows = tuple(sorted(read_table().values(), key=lambda r: r.msqid))
    pids = {p for r in rows for p in (r.lspid, r.lrpid) if p > 0}
    return Snapshot(rows, read_limits(), {r.msqid: capacity(r.msqid) for r in rows},
                    {p: comm(p) for p in pids}, os.getuid())
