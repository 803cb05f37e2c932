"""``python -m bench.uiflood N``: flood the monitor app with N events, print one JSON line:
the app's time and memory, how long a key press waits in mid-flood, and the state model's
time alone on the same events.

Runs in a fresh interpreter on purpose: the app starts Textual's threads (the benchmark
process forks afterwards, which must not happen with threads alive), and the process's
RSS then belongs to the app alone. Events are generated on the fly by a source that
follows the ``EventSource`` protocol, so the flood itself holds no memory.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

import psutil  # type: ignore[import-untyped, unused-ignore]

from ipcevents.events import Event
from ipcevents.source import Command

PIDS = (4101, 4102, 4103)
MASTER = 4100
BODY = "x" * 64


def _event(i: int, ts: float) -> Event:
    """A realistic mix: pipe traffic, queue traffic, signals and stats samples."""
    pid = PIDS[i % 3]
    step = i % 8
    if step == 0:
        return Event(0, ts, MASTER, "pipe.write",
                     {"fd": 5, "to": pid, "nbytes": 64, "preview": BODY, "via": "pipe"})
    if step == 1:
        return Event(0, ts, pid, "pipe.read",
                     {"fd": 6, "from": MASTER, "nbytes": 64, "preview": BODY, "via": "pipe"})
    if step in (2, 3):
        kind = "queue.push" if step == 2 else "queue.pop"
        return Event(0, ts, MASTER if step == 2 else pid, kind,
                     {"key": 77, "msqid": 3, "mtype": 2, "nbytes": 64, "preview": BODY})
    if step == 4:
        return Event(0, ts, MASTER, "signal.send",
                     {"to": pid, "signal": 10, "name": "SIGUSR1", "ok": True})
    if step == 5:
        return Event(0, ts, pid, "signal.handle", {"signal": 10, "name": "SIGUSR1"})
    if step == 6:
        return Event(0, ts, 0, "queue.depth",
                     {"key": 77, "msqid": 3, "qnum": i % 50, "cbytes": 64 * (i % 50),
                      "qbytes": 16384})
    return Event(0, ts, pid, "proc.stats",
                 {"cpu": 12.5, "rss": 10_000_000 + i % 1000, "state": "running",
                  "threads": 1, "name": "worker"})


class FloodSource:
    """An EventSource that yields ``n`` events as fast as the consumer takes them."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.done_at: float | None = None

    @property
    def title(self) -> str:
        return f"flood of {self.n:,} events"

    async def start(self) -> None:
        return None

    async def events(self) -> AsyncIterator[Event]:
        base = time.time()
        hello = [Event(0, base, MASTER, "proc.hello",
                       {"role": "master", "ppid": 1, "name": "bench", "id": None})]
        hello += [Event(0, base, pid, "proc.hello",
                        {"role": "child", "ppid": MASTER, "name": "worker", "id": k + 1,
                         "pipe_type": 2, "fd": 6}) for k, pid in enumerate(PIDS)]
        seq = 0
        for event in hello:
            seq += 1
            yield Event(seq, event.ts, event.pid, event.kind, event.fields)
        for i in range(self.n - len(hello)):
            seq += 1
            event = _event(i, base + i * 1e-5)
            yield Event(seq, event.ts, event.pid, event.kind, event.fields)
        self.done_at = time.perf_counter()

    async def send(self, command: Command) -> None:
        return None

    async def stop(self) -> None:
        return None


def model_seconds(n: int) -> float:
    """The state model alone folding the same flood (no app, no redraws)."""
    from tui.state import MonitorState, apply

    state = MonitorState()
    start = time.perf_counter()
    for i in range(n):
        apply(state, _event(i, 1.0 + i * 1e-5))
    return time.perf_counter() - start


async def _key_latency(app: Any) -> float:
    """Time from a key (``f``) posted as the driver posts it until its action ran; a
    second ``f`` restores following, so the rest of the flood is measured as before."""
    from textual import events

    from tui.widgets.eventlog import EventLog

    log = app.query_one(EventLog)
    before = log.follow
    pressed = time.perf_counter()
    app.post_message(events.Key("f", "f"))  # pilot.press would wait for an idle app
    while log.follow == before:
        await asyncio.sleep(0.001)
    latency = time.perf_counter() - pressed
    app.post_message(events.Key("f", "f"))
    return latency


async def flood(n: int) -> dict[str, float]:
    """Run the real app headless on the flood; time it, sample its memory, and time a
    key press in the middle of it."""
    from tui.app import MonitorApp

    proc = psutil.Process()
    source = FloodSource(n)
    app = MonitorApp(lambda: source)
    rss_tenth = 0
    latency = -1.0
    async with app.run_test(headless=True, size=(120, 36)) as pilot:
        start = time.perf_counter()
        rss_start = proc.memory_info().rss
        deadline = start + 600
        while not app.finished and time.perf_counter() < deadline:
            await pilot.pause(0.02)
            if not rss_tenth and app.state.events >= n // 10:
                rss_tenth = proc.memory_info().rss
            if latency < 0 and app.state.events >= n // 2:
                latency = await _key_latency(app)
        end = source.done_at or time.perf_counter()
        await pilot.pause()
        rss_end = proc.memory_info().rss
        seen = app.state.events
    return {
        "events": seen,
        "seconds": end - start,
        "rss_start": rss_start,
        "rss_tenth": rss_tenth,
        "rss_end": rss_end,
        "key_latency": latency,
        "model_seconds": model_seconds(n),
    }


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    if n < 10:
        print("N must be at least 10", file=sys.stderr)
        return 2
    print(json.dumps(asyncio.run(flood(n))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
