"""The collector's own observations: psutil stats per pid and kernel queue depths.

Depths come from ``/proc/sysvipc/msg`` (one read for every queue, and it also works for
``IPC_PRIVATE`` queues); ``msg_qbytes`` is not in that file, so it is read once per queue
through ``sysv_ipc`` and cached (it only changes through ``msgctl(IPC_SET)``).
"""

from __future__ import annotations

from typing import Any

import psutil  # type: ignore[import-untyped, unused-ignore]
import sysv_ipc

from ipccore._sysv import msgmnb, read_table
from ipccore.monitor.registry import QueueInfo
from ipcevents.procname import ps_name


def read_queue_table() -> dict[int, tuple[int, int, int]]:
    """``{msqid: (key, cbytes, qnum)}`` for every queue on the machine (parsed by
    :func:`ipccore._sysv.read_table`, the one reader of ``/proc/sysvipc/msg``)."""
    return {row.msqid: (row.key, row.cbytes, row.qnum) for row in read_table().values()}


class QueueSampler:
    """``queue.depth`` fields for each known queue that still exists."""

    def __init__(self) -> None:
        self._qbytes: dict[int, int] = {}

    def _max_bytes(self, info: QueueInfo) -> int:
        cached = self._qbytes.get(info.msqid)
        if cached is not None:
            return cached
        value = 0
        try:
            if info.key != sysv_ipc.IPC_PRIVATE:
                value = int(sysv_ipc.MessageQueue(info.key).max_size)
        except (sysv_ipc.Error, OSError, ValueError):
            value = 0
        if not value:
            value = msgmnb()
        self._qbytes[info.msqid] = value
        return value

    def sample(self, queues: list[QueueInfo]) -> tuple[list[dict[str, Any]], list[QueueInfo]]:
        """(depth fields of live queues, queues that no longer exist)."""
        table = read_queue_table()
        depths: list[dict[str, Any]] = []
        vanished: list[QueueInfo] = []
        for info in queues:
            row = table.get(info.msqid)
            if row is None or row[0] != info.key:
                vanished.append(info)
                self._qbytes.pop(info.msqid, None)
                continue
            depths.append({"key": info.key, "msqid": info.msqid, "qnum": row[2],
                           "cbytes": row[1], "qbytes": self._max_bytes(info)})
        return depths, vanished


class ProcSampler:
    """``proc.stats`` fields per pid; keeps psutil handles so cpu % has a baseline."""

    def __init__(self) -> None:
        self._procs: dict[int, psutil.Process] = {}

    def exists(self, pid: int) -> bool:
        """False once the pid is gone (a zombie still exists until it is reaped)."""
        proc = self._procs.get(pid)
        try:
            if proc is None:
                return bool(psutil.pid_exists(pid))
            return bool(proc.is_running())
        except psutil.Error:
            return False

    def sample(self, pid: int) -> dict[str, Any] | None:
        """Stats of ``pid``, or None when it cannot be read (gone, no access)."""
        proc = self._procs.get(pid)
        try:
            if proc is None:
                proc = self._procs[pid] = psutil.Process(pid)
                proc.cpu_percent(None)
            with proc.oneshot():
                state = str(proc.status())
                if state == psutil.STATUS_ZOMBIE:
                    return {"cpu": 0.0, "rss": 0, "state": state, "threads": 0,
                            "name": proc.name()}
                return {"cpu": float(proc.cpu_percent(None)), "rss": int(proc.memory_info().rss),
                        "state": state, "threads": int(proc.num_threads()),
                        "name": ps_name(proc.cmdline(), proc.name())}
        except psutil.Error:
            self._procs.pop(pid, None)
            return None

    def forget(self, pid: int) -> None:
        self._procs.pop(pid, None)
