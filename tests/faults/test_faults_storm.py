"""Fault table: a storm of 10,000 signals at a process blocked in ``read()`` / ``pop()``.

What can be counted: standard signals coalesce in the kernel (one pending bit per
signal), and CPython coalesces again (one handler call per check of its "tripped" flag),
so handler runs are only bounded: ``1 <= runs <= successful kill() calls``. What must be
exact: every message sent during the storm arrives once, in order, and the process
survives (no crash, no EINTR escaping: PEP 475 retries the blocked call).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable

import pytest

from ipccore import MODE_BALANCE, Process
from ipccore.keys import fresh_key
from tests.core.helpers import reap
from tests.faults.faultkit import deadline_until, status_of

SIGNALS = 10_000
EVERY = 100


def _storm_child(use_queue: bool) -> Callable[[Process], None]:
    def child(worker: Process) -> None:
        runs = 0

        def handler(_sig: int) -> None:
            nonlocal runs
            runs += 1

        Process.signal(signal.SIGUSR1, handler)
        Process.signal(signal.SIGUSR2, handler)
        worker.write(b"ready")
        got: list[bytes] = []
        while True:
            msg = worker.pop() if use_queue else worker.read()
            if msg == b"end":
                break
            got.append(msg or b"")
        expected = [b"s%d" % i for i in range(SIGNALS // EVERY)]
        worker.write(b"%d %d %d" % (runs, len(got), got == expected))
    return child


@pytest.mark.slow
@pytest.mark.parametrize("via", ["read", "pop"])
def test_signal_storm_at_a_blocked_reader(via: str) -> None:
    """10,000 SIGUSR1/SIGUSR2 interleaved with 100 messages, the reader blocked in
    ``read()`` (pipe) or ``pop()`` (queue) between them."""
    use_queue = via == "pop"
    p = Process(_storm_child(use_queue))
    if use_queue:
        p.use_queue(fresh_key(), MODE_BALANCE)
    pid = p.start()
    try:
        assert p.read() == b"ready"
        deadline_until(lambda: status_of(pid) == "sleeping", 10, "the child blocks")
        sent = 0
        send = p.push if use_queue else p.write
        for i in range(SIGNALS):
            if Process.kill(pid, signal.SIGUSR1 if i % 2 else signal.SIGUSR2):
                sent += 1
            if i % EVERY == EVERY - 1:
                send(b"s%d" % (i // EVERY))
        send(b"end")
        runs, count, in_order = (int(x) for x in p.read().split())
    finally:
        code, sig = reap(pid)
        if use_queue:
            p.free_queue()
    assert (code, sig) == (0, 0)
    assert sent == SIGNALS
    assert 1 <= runs <= sent
    assert count == SIGNALS // EVERY
    assert in_order == 1, "a message was lost, duplicated or reordered"


def test_storm_at_the_master_blocked_in_read() -> None:
    """The master itself blocked in ``read()`` under a signal storm from its child still
    reads every message and then end-of-file when the child exits."""
    runs = 0

    def handler(_sig: int) -> None:
        nonlocal runs
        runs += 1

    def child(worker: Process) -> None:
        parent = os.getppid()
        for i in range(2000):
            os.kill(parent, signal.SIGUSR1)
            if i % 20 == 0:
                worker.write(b"m%d" % i)

    old = signal.getsignal(signal.SIGUSR1)
    Process.signal(signal.SIGUSR1, handler)
    try:
        p = Process(child)
        pid = p.start()
        got = []
        while msg := p.read():
            got.append(msg)
        assert reap(pid) == (0, 0)
    finally:
        signal.signal(signal.SIGUSR1, old)
    assert got == [b"m%d" % i for i in range(0, 2000, 20)]
    assert 1 <= runs <= 2000
