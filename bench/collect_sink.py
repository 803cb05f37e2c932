"""``python -m bench.collect_sink EXPECTED_JSON``: a collector that drains and counts, in
its own process.

EXPECTED_JSON maps kinds to the number of operations the driver will do, e.g.
``{"pipe.write": 2002, "pipe.read": 2002}``. Prints its socket path on the first line,
serves until stdin closes, then prints one JSON line: the operations received per kind
(the sum of ``count``: an aggregate stands for ``count`` operations), events received,
operations reported dropped, and ``done_at``, the wall-clock time when every expected
kind had reached its number (the collector had taken in the driver's last operation;
its reorder window is 5 ms here, so that is soon after it was drained). A separate
process is the realistic shape (the live source runs the collector outside the
monitored program) and keeps the collector's asyncio threads away from the benchmark
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


def main() -> int:
    print(json.dumps(asyncio.run(serve(json.loads(sys.argv[1])))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
