"""Fault program: the master floods a child with messages and SIGKILLs it mid-flood.

argv[1]: a file where the child appends the index of every message it read (its own
truth, independent of the monitor). Prints one JSON line with what the master saw.

The kill lands with messages still unread at any machine speed: the child stops reading
after :data:`STOP` messages and waits to be killed, and the master sends :data:`UNREAD`
more than that (few enough to fit in the pipe, so the master never blocks on them).
Before, the child could read all 3000 before the kill on a fast machine.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time

from ipccore import Process, errors

LOG = sys.argv[1]
STOP = 2500
"""The child reads this many messages, then waits to be killed."""
UNREAD = 50
TOTAL = STOP + UNREAD


def child(worker: Process) -> None:
    fd = os.open(LOG, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    n = 0
    while True:
        msg = worker.read()
        if not msg:
            return
        os.write(fd, msg[1:] + b"\n")
        n += 1
        if n == 100:
            worker.write(b"ack")
        if n == STOP:
            while True:
                signal.pause()


def main() -> None:
    p = Process(child)
    pid = p.start()
    for i in range(TOTAL):
        p.write(b"m%06d" % i)
    assert p.read() == b"ack"
    os.kill(pid, signal.SIGKILL)
    gone = False
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            p.write(b"after")
        except errors.ProcessGone:
            gone = True
            break
    res = Process.wait()
    assert res is not None
    print(json.dumps({"child": pid, "wait": [res.pid, res.code, res.signal], "gone": gone}))


if __name__ == "__main__":
    main()
