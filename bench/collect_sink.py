"""``python -m bench.collect_sink``: a collector that drains and counts, in its own process.

``python -m bench.collect_sink EXPECTED``. Prints its socket path on the first line,
serves until stdin closes, then prints one JSON line: events received, events the
emitters reported dropped, and ``done_at``, the wall-clock time when pipe events and
reported drops first added up to ``EXPECTED`` (the collector had taken in the driver's
last event; its reorder window is 5 ms here, so that is soon after it was drained). The monitor case
attaches its driver to this path; a separate process is the realistic shape (the live
source runs the collector outside the monitored program) and keeps the collector's
asyncio threads away from the benchmark process, which forks.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from ipccore.monitor.collector import Collector


async def serve(expected: int) -> dict[str, float]:
    collector = Collector(reorder_s=0.005)
    await collector.start()
    counts: dict[str, float] = {"events": 0, "dropped": 0, "done_at": 0.0}
    seen = 0

    async def drain() -> None:
        nonlocal seen
        async for event in collector.events():
            counts["events"] += 1
            if event.kind == "monitor.dropped":
                dropped = event.get("count", 0)
                n = dropped if type(dropped) is int else 0
                counts["dropped"] += n
                seen += n
            elif event.kind in ("pipe.write", "pipe.read"):
                seen += 1
            if seen >= expected and not counts["done_at"]:
                counts["done_at"] = time.time()

    task = asyncio.create_task(drain())
    print(collector.path, flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.buffer.read)
    await asyncio.sleep(collector.reorder_s * 2)
    await collector.close()
    await task
    return counts


def main() -> int:
    print(json.dumps(asyncio.run(serve(int(sys.argv[1])))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
