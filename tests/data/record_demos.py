"""``python tests/data/record_demos.py``: re-record ``tests/data/recordings/`` (the snapshot
tests' input) from the demos run for real at ``--speed 0.1``.

What ``python -m ipccore record DEMO --speed 0.1`` records, without the /proc observation
of the tree (``proc.seen``/``proc.io``/``proc.chan``...: made for programs that do not
report their own events; an ipccore demo reports everything itself). After re-recording:
``pytest tests/tui/test_tui_snapshots.py --snapshot-update``, look at the pictures, and
``python -m tui.screenshots``.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from ipccore.monitor.live import LiveSource

FOLDER = Path(__file__).parent / "recordings"
DEMOS = ("pipe", "sibling", "coroutine", "queue", "signal")
SPEED = 0.1


async def record(name: str, out: Path) -> int:
    """Run demo ``name`` to its end under a collector that writes ``out``."""
    source = LiveSource.for_demo(name, speed=SPEED, record=out, observe=False)
    await source.start()
    try:
        async for _event in source.events():
            pass
        return await source.wait()
    finally:
        await source.stop()


def main(names: list[str]) -> int:
    for name in names or DEMOS:
        rc = asyncio.run(record(name, FOLDER / f"{name}.ndjson"))
        print(f"{name}: exit {rc}, {FOLDER / f'{name}.ndjson'}")
        if rc != 0:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
