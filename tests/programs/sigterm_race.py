"""SIGTERM a child right after start(), many times, in a small fresh process.

argv[1]: "queue" (ipccore's SIGTERM handler, installed with the first queue) or "none".
Prints {"tries": n, "survivors": k}; stops at the first child that survives 1 s.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time

from ipccore import MODE_BALANCE, Process
from ipccore.keys import fresh_key


def child(worker: Process) -> None:
    worker.read()


def main() -> None:
    if sys.argv[1] == "queue":
        q = Process(lambda w: None, pipe_type=0)
        q.use_queue(fresh_key(), MODE_BALANCE)
        q.free_queue()
    tries = survivors = 0
    for _ in range(100):
        tries += 1
        p = Process(child)
        pid = p.start()
        Process.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 1.0
        while (res := Process.wait(False)) is None and time.monotonic() < deadline:
            time.sleep(0.001)
        if res is None or res.signal != signal.SIGTERM:
            survivors += 1
            os.kill(pid, signal.SIGKILL)
            Process.wait()
            break
    print(json.dumps({"tries": tries, "survivors": survivors}), flush=True)


if __name__ == "__main__":
    main()
