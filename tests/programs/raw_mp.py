"""No ipccore: multiprocessing's Pool, Pipe and Queue.

Prints one JSON line with the pids (``main``, ``consumer``, ``pool``) once all run. The
main process then feeds the Queue 1 KiB items every 5 ms and the consumer takes them;
stop the consumer (SIGSTOP) and the Queue's pipe fills up. It ends after ``argv[1]``
seconds or on SIGTERM.
"""

import json
import multiprocessing as mp
import os
import sys
import time


def square(x: int) -> int:
    return x * x


def consume(queue: "mp.Queue[bytes]", conn: "mp.connection.Connection") -> None:
    conn.send(os.getpid())
    while True:
        item = queue.get()
        if item == b"end":
            return


if __name__ == "__main__":
    mp.set_start_method("fork")
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 30
    with mp.Pool(2) as pool:
        assert pool.map(square, range(4)) == [0, 1, 4, 9]
        workers = sorted(p.pid for p in pool._pool)  # type: ignore[attr-defined]
        parent_end, child_end = mp.Pipe()
        queue: "mp.Queue[bytes]" = mp.Queue()
        consumer = mp.Process(target=consume, args=(queue, child_end))
        consumer.start()
        assert parent_end.recv() == consumer.pid
        print(json.dumps({"main": os.getpid(), "consumer": consumer.pid, "pool": workers}),
              flush=True)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            queue.put(b"x" * 1024)
            time.sleep(0.005)
        queue.put(b"end")
        consumer.join()
