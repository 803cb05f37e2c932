"""Fault program: a master with a queue and three blocked children SIGKILLs itself.

argv[1]: the queue key. Prints one JSON line (pids, msqid) first.
"""

from __future__ import annotations

import json
import os
import signal
import sys

from ipccore import Process


def child(worker: Process) -> None:
    worker.pop()


def main() -> None:
    key = int(sys.argv[1])
    procs = [Process(child) for _ in range(3)]
    procs[0].use_queue(key)
    for p in procs[1:]:
        p.use_queue(key)
    pids = [p.start() for p in procs]
    print(json.dumps({"master": os.getpid(), "children": pids,
                      "msqid": procs[0].msg_queue_id}), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    main()
