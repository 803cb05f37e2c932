"""Test program: a child floods its pipe while the master signals it after every
message it reads (the child's handler reports ``signal.handle`` in the middle of its
writes). argv: N (messages). Prints one JSON line: the child's pid, signals sent."""

from __future__ import annotations

import json
import os
import signal
import sys

from ipccore import Process

N = int(sys.argv[1])


def child(worker: Process) -> None:
    Process.signal(signal.SIGUSR1, lambda signum: None)
    worker.write(b"ready")
    for i in range(N):
        worker.write(b"m%06d" % i)
    worker.write(b"end")


def main() -> None:
    p = Process(child)
    pid = p.start()
    assert p.read() == b"ready"
    sent = 0
    while p.read() != b"end":
        os.kill(pid, signal.SIGUSR1)
        sent += 1
    Process.wait()
    print(json.dumps({"child": pid, "sent": sent}))


if __name__ == "__main__":
    main()
