"""What the kernel says about SysV message queues, read without side effects: the one
reader of ``/proc/sysvipc/msg`` (the core, the collector's sampler, the observers).

``sysv_ipc`` exposes neither a queue's byte count (``msg_cbytes``) nor a way to learn the
size of a message too big for the receive buffer, so this module reads
``/proc/sysvipc/msg`` and uses Linux's ``MSG_COPY`` (a non-destructive ``msgrcv``) for
those two questions. Nothing here is on the push/pop hot path.
"""

from __future__ import annotations

import ctypes
import errno
import os
from dataclasses import dataclass
from functools import cache
from typing import Any

from ipccore._libc import libc

PROC_TABLE = "/proc/sysvipc/msg"

_MSG_COPY = 0o40000
_IPC_NOWAIT = 0o4000
_MTYPE_BYTES = ctypes.sizeof(ctypes.c_long)


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One line of ``/proc/sysvipc/msg``."""

    key: int
    msqid: int
    perms: int
    cbytes: int
    qnum: int
    lspid: int
    lrpid: int
    uid: int
    cuid: int
    stime: int
    rtime: int
    ctime: int

    @property
    def ours(self) -> bool:
        """Owned or created by our uid: the only queues we may remove."""
        me = os.getuid()
        return me in (self.uid, self.cuid)


def parse_table(text: str) -> dict[int, QueueRow]:
    """``{msqid: row}`` from the text of ``/proc/sysvipc/msg`` (bad lines skipped)."""
    out: dict[int, QueueRow] = {}
    for line in text.splitlines()[1:]:
        cols = line.split()
        if len(cols) < 14:
            continue
        try:
            row = QueueRow(
                key=int(cols[0]), msqid=int(cols[1]), perms=int(cols[2], 8),
                cbytes=int(cols[3]), qnum=int(cols[4]), lspid=int(cols[5]),
                lrpid=int(cols[6]), uid=int(cols[7]), cuid=int(cols[9]),
                stime=int(cols[11]), rtime=int(cols[12]), ctime=int(cols[13]),
            )
        except ValueError:
            continue
        out[row.msqid] = row
    return out


def read_table() -> dict[int, QueueRow]:
    """Every message queue in this IPC namespace, by msqid, as the kernel lists it
    (empty when the table cannot be read)."""
    try:
        with open(PROC_TABLE) as f:
            return parse_table(f.read())
    except OSError:
        return {}


def queue_row(msqid: int) -> QueueRow | None:
    """The row of one queue, or None when it no longer exists."""
    return read_table().get(msqid)


def _read_limit(name: str, default: int) -> int:
    try:
        with open(f"/proc/sys/kernel/{name}") as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return default


@cache
def msgmax() -> int:
    """The largest message body the kernel accepts (``kernel.msgmax``, 8192 by default)."""
    return _read_limit("msgmax", 8192)


@cache
def msgmnb() -> int:
    """The default byte capacity of a new queue (``kernel.msgmnb``, 16384 by default)."""
    return _read_limit("msgmnb", 16384)


@cache
def _msgrcv() -> Any:
    try:
        fn = libc().msgrcv
    except (OSError, AttributeError):
        return None
    fn.restype = ctypes.c_ssize_t
    fn.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_long, ctypes.c_int]
    return fn


def peek_size(msqid: int, mtype: int) -> int | None:
    """Size of the first message ``msgrcv(type=mtype)`` would take, without taking it.

    Walks the queue with ``MSG_COPY`` (Linux >= 3.8 with CONFIG_CHECKPOINT_RESTORE):
    message *i* is copied, not removed, and its type compared with ``mtype`` (0 = any).
    Returns None when the kernel cannot do it or the queue changed under us; callers
    then report a lower bound instead.
    """
    fn = _msgrcv()
    if fn is None:
        return None
    cap = msgmax()
    buf = ctypes.create_string_buffer(_MTYPE_BYTES + cap)
    for index in range(4096):
        n = fn(msqid, buf, cap, index, _MSG_COPY | _IPC_NOWAIT)
        if n < 0:
            err = ctypes.get_errno()
            if err == errno.EINTR:
                continue
            return None
        found = int.from_bytes(buf.raw[:_MTYPE_BYTES], "little", signed=True)
        if mtype in (0, found):
            return int(n)
    return None
