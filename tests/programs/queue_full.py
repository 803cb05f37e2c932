"""A master and a child both blocked in push() on a full queue, until asked to stop.

argv[1]: the queue key. Prints {"master", "child", "msqid"} before blocking.
"""

from __future__ import annotations

import json
import os
import sys

import sysv_ipc

from ipccore import Process

BIG = b"f" * 8192


def child(worker: Process) -> None:
    worker.push(BIG)


def main() -> None:
    p = Process(child, pipe_type=0)
    key = int(sys.argv[1])
    p.use_queue(key)
    capacity = sysv_ipc.MessageQueue(key).max_size
    while p.stat_queue()["queue_bytes"] + len(BIG) <= capacity:
        p.push(BIG)
    p.start()
    print(json.dumps({"master": os.getpid(), "child": p.pid, "msqid": p.msg_queue_id}),
          flush=True)
    p.push(BIG)


if __name__ == "__main__":
    main()
