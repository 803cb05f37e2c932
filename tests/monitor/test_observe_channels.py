"""Pairing descriptors into channels, on made-up tables (the join is pure)."""

from __future__ import annotations

import os
import signal

from ipccore._sysv import QueueRow, parse_table
from ipccore.observe.channels import join
from ipccore.observe.procfs import FdEnd, mask_names, read_fds, read_status
from ipccore.observe.unixdiag import UnixSock

MONITOR = 1000


def test_pipe_ends_pair_by_inode_and_direction() -> None:
    fds = {
        10: [FdEnd(4, "pipe", 77, 1), FdEnd(3, "pipe", 77, 0)],  # parent kept both ends
        11: [FdEnd(3, "pipe", 77, 0)],
        MONITOR: [FdEnd(9, "pipe", 88, 0)],
        12: [FdEnd(1, "pipe", 88, 1)],  # stdout to the monitor: not the program's
    }
    out = join(fds, {}, {}, hidden=frozenset({MONITOR}), backlog=lambda pid, fd: 5)
    assert MONITOR not in out
    assert out[10]["fd4"] | {} == {"type": "pipe", "fd": 4, "ino": 77, "dir": "out",
                                   "peer": 11, "peers": 1, "queued": 5}
    assert out[10]["fd3"]["peer"] == 10, "only itself writes: the peer is itself"
    assert out[11]["fd3"]["dir"] == "in"
    assert out[11]["fd3"]["peer"] == 10
    assert out[12] == {}


def test_socketpair_peers_queues_and_a_queue_channel() -> None:
    fds = {20: [FdEnd(5, "socket", 500, 2)], 21: [FdEnd(6, "socket", 501, 2)],
           MONITOR: [FdEnd(7, "socket", 600, 2)], 22: [FdEnd(3, "socket", 601, 2)]}
    unix = {500: UnixSock(500, 501, 3100, 1, None), 501: UnixSock(501, 500, 0, 1, None),
            600: UnixSock(600, 601, 0, 1, "/tmp/x/events.sock"),
            601: UnixSock(601, 600, 0, 1, None)}
    queues = {9: QueueRow(key=1, msqid=9, perms=0o600, cbytes=30, qnum=3, lspid=20,
                          lrpid=21, uid=0, cuid=0, stime=0, rtime=0, ctime=0)}
    out = join(fds, unix, queues, hidden=frozenset({MONITOR}))
    assert out[20]["fd5"]["type"] == "socketpair"
    assert (out[20]["fd5"]["peer"], out[20]["fd5"]["queued"]) == (21, 3100)
    assert out[21]["fd6"]["peer"] == 20
    assert "fd3" not in out[22], "an ipccore process's event socket to the monitor"
    assert out[20]["q9"]["last"] == "send"
    assert out[20]["q9"]["peer"] == 21
    assert out[21]["q9"]["last"] == "recv"
    assert out[21]["q9"]["qnum"] == 3


def test_proc_readers_on_ourselves() -> None:
    r, w = os.pipe()
    try:
        ends = {e.fd: e for e in read_fds(os.getpid()) or []}
        assert ends[r].kind == ends[w].kind == "pipe"
        assert (ends[r].mode, ends[w].mode) == (0, 1)
        assert ends[r].ino == ends[w].ino
    finally:
        os.close(r)
        os.close(w)
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR2})
    try:
        status = read_status(os.getpid())
        assert status is not None
        assert "SIGUSR2" in mask_names(status.masks.blocked)
        assert status.uid == os.getuid()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
    assert mask_names((1 << 9) | (1 << 0)) == ["SIGHUP", "SIGUSR1"]
    assert mask_names(1 << (signal.SIGRTMIN + 1)) == ["SIGRTMIN+2"]


def test_queue_table_parses_and_skips_bad_lines() -> None:
    text = ("       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  "
            "cgid      stime      rtime      ctime\n"
            "      1234         7   600          11          1   100   101     0     0     0"
            "     0 1700000000          0 1700000000\n"
            "garbage\n")
    rows = parse_table(text)
    assert list(rows) == [7]
    row = rows[7]
    assert (row.key, row.perms, row.cbytes, row.qnum, row.lspid, row.lrpid) == (
        1234, 0o600, 11, 1, 100, 101)
