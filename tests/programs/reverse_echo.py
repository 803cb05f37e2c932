"""The child both pair programs run (``busy_pair.py``, ``stop_pair.py``): it writes each
message back reversed, so the master checks every round trip, and ends on ``end`` or EOF.

Not a program of its own: the pair programs import it (their environment puts the
repository on ``PYTHONPATH``).
"""

from __future__ import annotations

from ipccore import Process


def reverse_echo(worker: Process) -> None:
    while True:
        msg = worker.read()
        if msg in (b"", b"end"):
            return
        worker.write(msg[::-1])
