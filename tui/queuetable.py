"""The machine's SysV queues as table cells (``lsipc -q``, plus who sent and received).

Pure: a :class:`~ipccore.observe.sysvmsg.Snapshot` and a clock reading in, strings out,
so the queue screen is tested and snapshotted with made-up rows. Owner names come from
the password database; a name a process gave itself is the program's text, shown as is
(the screen builds ``Text`` from it, never markup).
"""

from __future__ import annotations

import pwd
import stat

from ipccore.observe.sysvmsg import QueueRow, Snapshot
from tui.text import clip, human_bytes

COLUMNS = ("key", "id", "perms", "owner", "msgs", "bytes / capacity", "last sender",
           "last receiver", "sent", "received")


def owner_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def perms_text(perms: int) -> str:
    """``rw-------`` (the queue's mode bits, as ``ls`` writes them)."""
    return stat.filemode(perms & 0o777)[1:]


def ago(then: int, now: float) -> str:
    """``-`` for never, else seconds/minutes/hours ago."""
    if then <= 0:
        return "-"
    age = max(0.0, now - then)
    if age < 60:
        return f"{age:.0f}s ago"
    if age < 3600:
        return f"{age / 60:.0f}m ago"
    return f"{age / 3600:.1f}h ago"


def who(pid: int, names: dict[int, str | None]) -> str:
    if pid <= 0:
        return "-"
    name = names.get(pid)
    return f"{pid} {clip(name, 16)}" if name else f"{pid} (gone)"


def fill(row: QueueRow, capacity: int | None) -> str:
    """``30 B / 16.0 KiB (0%)``."""
    if not capacity:
        return f"{human_bytes(row.cbytes)} / ?"
    return f"{human_bytes(row.cbytes)} / {human_bytes(capacity)} ({100 * row.cbytes // capacity}%)"


def cells(row: QueueRow, snap: Snapshot, now: float) -> tuple[str, ...]:
    """One table row, in :data:`COLUMNS` order."""
    return (f"{row.key:#010x}", str(row.msqid), perms_text(row.perms), owner_name(row.uid),
            str(row.qnum), fill(row, snap.capacity.get(row.msqid)),
            who(row.lspid, snap.names), who(row.lrpid, snap.names),
            ago(row.stime, now), ago(row.rtime, now))


def limits_line(snap: Snapshot) -> str:
    """The system limits with how much of them is used."""
    lim = snap.limits
    used = len(snap.rows)
    biggest = max((row.cbytes for row in snap.rows), default=0)
    mine = sum(1 for row in snap.rows if snap.uid in (row.uid, row.cuid))
    share = f" ({100 * used / lim.msgmni:.1f}%)" if lim.msgmni else ""
    return (f"msgmni {used} of {lim.msgmni} queues{share} · msgmax {human_bytes(lim.msgmax)} "
            f"per message · msgmnb {human_bytes(lim.msgmnb)} default capacity "
            f"(fullest holds {human_bytes(biggest)}) · {mine} yours")


def ours(row: QueueRow, snap: Snapshot) -> bool:
    return snap.uid in (row.uid, row.cuid)
