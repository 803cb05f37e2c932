"""``python -m bench.collect_sink``: a collector that drains and counts, in its own process.

Prints its socket path on the first line, serves until stdin closes, then prints one
JSON line: events received and events the emitters reported dropped. The monitor case
attaches its driver to this path; a separate process is the realistic shape (the live
source runs the collector outside the monitored program) and keeps the collector's
asyncio threads away from the benchmark process, which forks.
"""

from __future__ import annotations

import asyncio
import json
import sys

from ipccore.monitor.collector import Collector


async def serve() -> dict[str, int]:
    collector = Collector()
    await collector.start()
    counts = {"events": 0, "dropped": 0}

    async def drain() -> None:
        async for event in collector.events():
            counts["events"] += 1
            if event.kind == "monitor.dropped":
                dropped = event.get("count", 0)
                counts["dropped"] += dropped if type(dropped) is int else 0

    task = asyncio.create_task(drain())
    print(collector.path, flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.buffer.read)
    await asyncio.sleep(collector.reorder_s * 2)
    await collector.close()
    await task
    return counts


def main() -> int:
    print(json.dumps(asyncio.run(serve())), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
