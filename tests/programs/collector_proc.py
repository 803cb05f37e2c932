"""A collector in a process of its own (so a test can SIGKILL or SIGSTOP it).

argv[1]: socket path (its directory must be 0700). Prints {"ready": pid} once listening.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

from ipccore.monitor.collector import Collector


async def main() -> None:
    collector = Collector(sys.argv[1])
    await collector.start()
    print(json.dumps({"ready": os.getpid()}), flush=True)
    async for _event in collector.events():
        pass


asyncio.run(main())
