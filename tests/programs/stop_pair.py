"""A master/child ping-pong at a modest pace that runs until the master gets SIGUSR1.

Prints {"master", "child"} first and {"ok": round trips} at the end; every round trip is
checked, so a lost, duplicated or reordered message fails the program.
"""

from __future__ import annotations

import json
import os
import select
import signal

from ipccore import Process, WaitResult
from tests.programs.children import reverse_echo

stop = False


def _stop(_sig: int) -> None:
    global stop
    stop = True


def main() -> None:
    Process.signal(signal.SIGUSR1, _stop)
    p = Process(reverse_echo)
    p.start()
    print(json.dumps({"master": os.getpid(), "child": p.pid}), flush=True)
    n = 0
    while not stop:
        body = b"r%d" % n
        p.write(body)
        assert p.read() == body[::-1], n
        n += 1
        select.select([], [], [], 0.005)
    p.write(b"end")
    res = Process.wait()
    assert res == WaitResult(p.pid or 0, 0, 0), res
    print(json.dumps({"ok": n}), flush=True)


if __name__ == "__main__":
    main()
