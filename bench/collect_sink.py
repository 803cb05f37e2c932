"""``python -m bench.collect_sink EXPECTED_JSON [RECORDING]``: a collector in its own
process, counting what it takes in.

EXPECTED_JSON maps kinds to the number of operations the driver will do, e.g.
``{"pipe.write": 2002, "pipe.read": 2002}``. Prints its socket path on the first line,
serves until stdin closes, then prints one JSON line.

Without RECORDING (the default mode, a live consumer): it drains ``events()`` and
reports the operations received per kind (the sum of ``count``: an aggregate stands for
``count`` operations), events received, operations reported dropped, and ``done_at``,
the wall-clock time when every expected kind had reached its number (the collector had
taken in the driver's last operation; its reorder window is 5 ms here, so that is soon
after it was drained).

With RECORDING (full mode, like ``python -m ipccore record --full``): the collector
spools its rings and writes RECORDING when the run ends (stdin closed: the driver and
its children were reaped). ``done_at`` is when it had taken in the last operation (the
last ring drained into its spool at its process's end), ``recorded_at`` when the
recording was complete; the counts are read back from the finished recording.

A separate process is the realistic shape (the live source runs the collector outside
the monitored program) and keeps the collector's asyncio threads away from the benchmark
process, which forks.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from ipccore.monitor.collector import Collector


async def serve(expected: dict[str, int]) -> dict[str, object]:
    collector = Collector(reorder_s=0.005)
    await collector.start()
    ops = dict.fromkeys(expected, 0)
    counts: dict[str, object] = {"events": 0, "dropped": 0, "done_at": 0.0, "ops": ops}
    missing = len(expected)

    async def drain() -> None:
        nonlocal missing
        events = dropped = 0
        async for event in collector.events():
            events += 1
            kind = event.kind
            if kind in ops:
                before = ops[kind]
                ops[kind] = now = before + event.count
                if before < expected[kind] <= now:
                    missing -= 1
                    if not missing:
                        counts["done_at"] = time.time()
            elif kind == "monitor.dropped":
                n = event.get("count", 0)
                dropped += n if type(n) is int else 0
        counts["events"], counts["dropped"] = events, dropped

    task = asyncio.create_task(drain())
    print(collector.path, flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.buffer.read)
    await asyncio.sleep(collector.reorder_s * 2)
    await collector.close()
    await task
    return counts


async def record(expected: dict[str, int], path: str) -> dict[str, object]:
    collector = Collector(reorder_s=0.005, record=path, spool=True)
    await collector.start()
    print(collector.path, flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.buffer.read)
    collector.program_ended(0, 0, None)  # the driver was reaped: the end once all closed
    await asyncio.wait_for(collector.wait_finished(), 300)
    recorded_at = time.time()
    taken_in_at = collector.taken_in_at
    await collector.close()
    return {**recorded(expected, path), "done_at": taken_in_at, "recorded_at": recorded_at}


def recorded(expected: dict[str, int], path: str) -> dict[str, object]:
    """Operations per kind (sum of ``count``), events and dropped operations, read from
    the finished recording."""
    ops = dict.fromkeys(expected, 0)
    events = dropped = 0
    with open(path, "rb") as f:
        for line in f:
            event = json.loads(line)
            events += 1
            kind = event["kind"]
            if kind in ops:
                count = event.get("count", 1)
                ops[kind] += count if type(count) is int and count > 1 else 1
            elif kind == "monitor.dropped":
                dropped += event.get("count", 0)
    return {"ops": ops, "events": events, "dropped": dropped}


def main() -> int:
    expected = json.loads(sys.argv[1])
    work = record(expected, sys.argv[2]) if len(sys.argv) > 2 else serve(expected)
    print(json.dumps(asyncio.run(work)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
