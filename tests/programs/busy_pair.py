"""A master/child pair checking every round trip, over a pipe and a queue.

Phase 1 (argv[2] round trips), then it waits for a line on stdin, then phase 2
(argv[3] round trips), then prints {"ok": n, "secs": s, "dropped": events dropped}.
argv[1] is the queue key.
"""

from __future__ import annotations

import json
import os
import sys
import time

from ipccore import MODE_ORIENT, Process, WaitResult, _trace
from tests.programs.children import reverse_echo


def rounds(p: Process, q: Process, start: int, n: int) -> int:
    for i in range(start, start + n):
        body = b"%d:" % i + b"x" * (i % 50)
        p.write(body)
        assert p.read() == body[::-1], i
        q.push(body)
        assert q.pop() == body, i
    return n


def main() -> None:
    key, first, second = (int(a) for a in sys.argv[1:4])
    p = Process(reverse_echo)
    q = Process(lambda w: None, pipe_type=0)
    q.use_queue(key, MODE_ORIENT)
    p.start()
    done = rounds(p, q, 0, first)
    print(json.dumps({"phase": 1, "master": os.getpid(), "child": p.pid}), flush=True)
    sys.stdin.readline()
    t0 = time.monotonic()
    done += rounds(p, q, first, second)
    p.write(b"end")
    res = Process.wait()
    assert res == WaitResult(p.pid or 0, 0, 0), res
    q.free_queue()
    dropped = getattr(_trace.emitter, "dropped_total", None)
    print(json.dumps({"ok": done, "secs": time.monotonic() - t0, "dropped": dropped}),
          flush=True)


if __name__ == "__main__":
    main()
