"""Test program: numbered pipe and queue floods (every message distinct), a signal in
the middle of the pipe flood, optionally the master SIGKILLing itself mid-flood.

argv: N (messages each way), K (the child signals itself after K reads), KEY (a SysV
queue key), and ``kill`` to make the master SIGKILL itself after N // 2 pushes. Prints
one JSON line with what it did (its own truth, to compare with the recording).
"""

from __future__ import annotations

import json
import os
import signal
import sys

from ipccore import Process
from tests.programs.children import take_flood

N, K, KEY = (int(a) for a in sys.argv[1:4])
KILL = sys.argv[4:5] == ["kill"]


def child(worker: Process) -> None:
    handled = take_flood(worker, N, K)
    worker.write(b"done")
    assert handled == 1


def main() -> None:
    p = Process(child)
    p.use_queue(KEY)
    pid = p.start()
    print(json.dumps({"master": os.getpid(), "child": pid}), flush=True)
    for i in range(N):
        p.write(b"w%06d" % i)
    for i in range(N):
        p.push(b"q%06d" % i)
        if KILL and i + 1 == N // 2:
            os.kill(os.getpid(), signal.SIGKILL)
    assert p.read() == b"done"
    Process.wait()
    p.free_queue()


if __name__ == "__main__":
    main()
