"""Test program: a pipe and queue flood, a signal in its middle, then a quiet exchange.

argv: N (messages each way), K (the child signals itself after K reads), SLOW (quiet
round trips after the flood, 0.2 s apart), KEY (a SysV queue key). Prints one JSON line
with what it did (its own truth, to compare with the recording).
"""

from __future__ import annotations

import json
import sys
import time

from ipccore import Process
from tests.programs.children import take_flood

N, K, SLOW, KEY = (int(a) for a in sys.argv[1:5])


def child(worker: Process) -> None:
    handled = take_flood(worker, N, K)
    worker.write(b"flood done")
    for _ in range(SLOW):
        worker.write(b"slow echo " + worker.read())
    assert handled == 1


def main() -> None:
    p = Process(child)
    p.use_queue(KEY)
    p.start()
    body = b"m" * 64
    for _ in range(N):
        p.write(body)
    for _ in range(N):
        p.push(body)
    assert p.read() == b"flood done"
    for i in range(SLOW):
        time.sleep(0.2)
        p.write(b"slow %d" % i)
        p.read()
    res = Process.wait()
    p.free_queue()
    print(json.dumps({"child": res.pid if res else None, "code": res.code if res else None}))


if __name__ == "__main__":
    main()
