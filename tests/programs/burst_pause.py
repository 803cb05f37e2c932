"""Test program: a burst of pipe writes, a pause, then slow writes on the same channel
with nothing else the monitor sees in between.

argv: N (burst messages), SLOW (slow messages after the pause), GAP (seconds between
slow messages). Prints one JSON line: the child's pid and the wall-clock time right
after each write returned (its own truth, to check the recording's ``ts0``/``ts``).
"""

from __future__ import annotations

import json
import sys
import time

from ipccore import Process

N, SLOW = int(sys.argv[1]), int(sys.argv[2])
GAP = float(sys.argv[3])


def child(worker: Process) -> None:
    for _ in range(N + SLOW):
        worker.read()


def main() -> None:
    p = Process(child)
    p.start()
    times: list[float] = []
    for i in range(N):
        p.write(b"burst %d" % i)
        times.append(time.time())
    time.sleep(0.2)
    for i in range(SLOW):
        time.sleep(GAP)
        p.write(b"slow %d" % i)
        times.append(time.time())
    res = Process.wait()
    print(json.dumps({"child": res.pid if res else None, "times": times}))


if __name__ == "__main__":
    main()
