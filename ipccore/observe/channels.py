"""Pairing the descriptors of a process tree into channels: who talks to whom.

A pipe's two ends share one inode: the end opened for writing (fdinfo ``flags``) writes
to every process holding the end opened for reading. The two ends of a socketpair are
two inodes naming each other (sock_diag's peer). A SysV queue is a channel of the
processes it names as its last sender (``lspid``) and receiver (``lrpid``). Pure: the
caller gathers the samples, this only joins them, so it is tested on made-up tables.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ipccore._sysv import QueueRow
from ipccore.observe.procfs import FdEnd
from ipccore.observe.unixdiag import UnixSock

Chan = dict[str, Any]
"""The fields of one ``proc.chan`` event (without ``open``)."""
_DIRS = {0: "in", 1: "out", 2: "both"}


def holders(fds: Mapping[int, list[FdEnd]]) -> dict[int, list[tuple[int, FdEnd]]]:
    by_ino: dict[int, list[tuple[int, FdEnd]]] = {}
    for pid, ends in fds.items():
        for end in ends:
            by_ino.setdefault(end.ino, []).append((pid, end))
    return by_ino


def _peer_fields(pid: int, peers: set[int]) -> dict[str, Any]:
    others = sorted(peers - {pid}) or sorted(peers)
    return {"peer": others[0] if others else None, "peers": len(others)}


def join(
    fds: Mapping[int, list[FdEnd]],
    unix: Mapping[int, UnixSock],
    queues: Mapping[int, QueueRow],
    *,
    hidden: frozenset[int] = frozenset(),
    backlog: Callable[[int, int], int | None] | None = None,
) -> dict[int, dict[str, Chan]]:
    """``{pid: {chan id: fields}}`` for every watched pid in ``fds``.

    ``hidden`` pids (the monitor itself) are looked at so their ends pair up, but get no
    channels, and an end whose every peer is hidden (the program's stdout to the
    monitor, an ipccore process's event socket) is left out: it is ours, not the
    program's. ``backlog(pid, fd)`` answers how many bytes wait in a pipe.
    """
    by_ino = holders(fds)
    out: dict[int, dict[str, Chan]] = {pid: {} for pid in fds if pid not in hidden}
    pipe_fill: dict[int, int | None] = {}
    for pid, chans in out.items():
        for end in fds[pid]:
            if end.kind == "pipe":
                want = {0: (1, 2), 1: (0, 2), 2: (0, 1, 2)}[end.mode]
                peers = {p for p, e in by_ino.get(end.ino, []) if e.mode in want
                         and (p, e.fd) != (pid, end.fd)}
                if peers and peers <= hidden:
                    continue
                if end.ino not in pipe_fill:
                    pipe_fill[end.ino] = backlog(pid, end.fd) if backlog else None
                chans[f"fd{end.fd}"] = {
                    "type": "pipe", "fd": end.fd, "ino": end.ino, "dir": _DIRS[end.mode],
                    **_peer_fields(pid, peers), "queued": pipe_fill[end.ino] or 0,
                }
            else:
                sock = unix.get(end.ino)
                if sock is None or (sock.peer == 0 and not sock.name):
                    continue
                peers = {p for p, _e in by_ino.get(sock.peer, [])} if sock.peer else set()
                if peers and peers <= hidden:
                    continue
                kind = "socketpair" if sock.name is None and sock.peer else "unix"
                chans[f"fd{end.fd}"] = {
                    "type": kind, "fd": end.fd, "ino": end.ino, "dir": "both",
                    **_peer_fields(pid, peers), "queued": sock.rqueue, "name": sock.name,
                }
    for row in queues.values():
        for pid, chans in out.items():
            sent, got = row.lspid == pid, row.lrpid == pid
            if not (sent or got):
                continue
            other = row.lrpid if sent else row.lspid
            peer = other if other in out and other != pid else None
            chans[f"q{row.msqid}"] = {
                "type": "queue", "key": row.key, "msqid": row.msqid,
                "dir": "both" if sent and got else ("out" if sent else "in"),
                "last": "send+recv" if sent and got else ("send" if sent else "recv"),
                "peer": peer, "peers": int(peer is not None), "queued": row.cbytes,
                "qnum": row.qnum,
            }
    return out
