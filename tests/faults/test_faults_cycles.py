"""Fault table: 1,000 start/exit/wait cycles and 200 children at once.

Nothing may accumulate: no zombie, no descriptor (``/proc/self/fd`` counted before and
after), no queue, and memory stays flat (RSS growth bounded after a warm-up).
"""

from __future__ import annotations

import gc

import psutil
import pytest

from ipccore import MODE_BALANCE, Process, WaitResult
from ipccore.keys import fresh_key
from tests.faults.faultkit import fd_count, rss

MiB = 1 << 20


def _cycle(i: int) -> None:
    p = Process(lambda w: None, pipe_type=2 if i % 2 else 1)
    pid = p.start()
    assert Process.wait() == WaitResult(pid, 0, 0)


@pytest.mark.slow
def test_thousand_start_exit_wait_cycles_leave_nothing() -> None:
    for i in range(30):
        _cycle(i)
    gc.collect()
    fds, mem = fd_count(), rss()
    for i in range(1000):
        _cycle(i)
    gc.collect()
    assert fd_count() == fds
    assert psutil.Process().children() == []
    growth = rss() - mem
    assert growth < 16 * MiB, f"RSS grew by {growth / MiB:.1f} MiB over 1,000 cycles"


@pytest.mark.slow
def test_two_hundred_children_at_once_with_a_shared_queue() -> None:
    """200 children each take one message from a shared queue and answer on their pipe;
    every answer arrives once, every child is reaped, no fd or queue is left."""
    gc.collect()
    fds = fd_count()

    def child(worker: Process) -> None:
        msg = worker.pop()
        worker.write(b"%d:" % worker.id + (msg or b""))

    procs = [Process(child) for _ in range(200)]
    procs[0].use_queue(fresh_key(), MODE_BALANCE)
    key = procs[0].msg_queue_key
    assert key is not None
    for p in procs[1:]:
        p.use_queue(key, MODE_BALANCE)
    pids = {p.start() for p in procs}
    assert len(pids) == 200
    try:
        for i in range(200):
            procs[0].push(b"job%d" % i)
        answers = [p.read() for p in procs]
        reaped = {Process.wait() for _ in range(200)}
    finally:
        procs[0].free_queue()
    assert {r.pid for r in reaped if r} == pids
    assert all(r is not None and (r.code, r.signal) == (0, 0) for r in reaped)
    jobs = sorted(a.split(b":")[1] for a in answers)
    assert jobs == sorted(b"job%d" % i for i in range(200))
    assert [a.split(b":")[0] for a in answers] == [b"%d" % p.id for p in procs]
    assert Process.wait(blocking=False) is None
    del procs, answers, p
    gc.collect()
    assert fd_count() == fds
    assert psutil.Process().children() == []
