"""The bodies two test programs' children share, written once.

Not a program of its own: the programs import it (their environment puts the repository
on ``PYTHONPATH``).
"""

from __future__ import annotations

import os
import signal

from ipccore import Process


def reverse_echo(worker: Process) -> None:
    """Write each message back reversed, so the master checks every round trip; end on
    ``end`` or EOF (``busy_pair.py``, ``stop_pair.py``)."""
    while True:
        msg = worker.read()
        if msg in (b"", b"end"):
            return
        worker.write(msg[::-1])


def take_flood(worker: Process, n: int, k: int) -> int:
    """Read ``n`` pipe messages, sending itself SIGUSR1 after the ``k``-th, then pop ``n``
    queue messages; returns how many SIGUSR1 its handler saw (``flood.py``,
    ``numbered_flood.py``: the recording must show the signal where it happened)."""
    handled = 0

    def on_usr1(signum: int) -> None:
        nonlocal handled
        handled += 1

    Process.signal(signal.SIGUSR1, on_usr1)
    for i in range(n):
        worker.read()
        if i + 1 == k:
            os.kill(os.getpid(), signal.SIGUSR1)
    for _ in range(n):
        worker.pop()
    return handled
