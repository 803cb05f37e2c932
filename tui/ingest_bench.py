"""How fast the monitor folds a flood, and how much memory it keeps: numbers, not vibes.

``python -m tui.ingest_bench [N]`` prints both measurements. The benchmark engineer can
call :func:`bench_state` (the pure model alone) and :func:`bench_app` (the whole app,
headless, fed by an in-memory source, with a key press timed in the middle of the flood).
"""

from __future__ import annotations

import asyncio
import resource
import sys
import time
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

from ipcevents.events import Event
from ipcevents.source import Command
from tui.state import MonitorState, apply

PIDS = tuple(range(9001, 9009))


def synthetic(n: int) -> Iterator[Event]:
    """A realistic mix: pipe traffic, queue traffic, samples, output lines, signals."""
    t0 = 1764336000.0
    for i in range(n):
        pid = PIDS[i % len(PIDS)]
        ts = t0 + i * 1e-5
        r = i % 10
        if r < 4:
            fields = {"fd": 5, "to": 9001, "nbytes": 24, "preview": f"message {i}", "via": "pipe"}
            yield Event(i + 1, ts, pid, "pipe.write", fields)
        elif r < 6:
            yield Event(i + 1, ts, pid, "queue.pop", {"key": 77, "msqid": 3, "mtype": 1,
                                                      "nbytes": 8, "preview": "job"})
        elif r < 8:
            yield Event(i + 1, ts, pid, "proc.stats", {"cpu": 1.0, "rss": 1 << 20,
                                                       "state": "running", "threads": 1})
        elif r == 8:
            yield Event(i + 1, ts, 9001, "queue.depth", {"key": 77, "msqid": 3, "qnum": i % 50,
                                                         "cbytes": 8 * (i % 50), "qbytes": 16384})
        else:
            yield Event(i + 1, ts, pid, "io.stdout", {"line": f"[bold]line {i}[/]"})


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass(frozen=True, slots=True)
class BenchResult:
    """One run's numbers."""

    events: int
    seconds: float
    events_per_s: float
    traced_peak_mib: float
    """tracemalloc peak during the run (0 when not traced)."""
    max_rss_mib: float
    """Process peak RSS (ru_maxrss) after the run."""
    key_latency_s: float | None = None
    """Time from a key press in mid-flood until its action ran (app benchmark only)."""


def bench_state(n: int = 1_000_000, trace: bool = True) -> BenchResult:
    """Fold ``n`` synthetic events into a fresh model; memory must not grow with ``n``."""
    events = synthetic(n)
    if trace:
        tracemalloc.start()
    start = time.perf_counter()
    state = MonitorState()
    for event in events:
        apply(state, event)
    seconds = time.perf_counter() - start
    peak = 0.0
    if trace:
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return BenchResult(n, seconds, n / seconds, peak, _rss_mib())


class FloodSource:
    """An in-memory source that yields ``n`` events as fast as the app takes them."""

    title = "flood"

    def __init__(self, n: int) -> None:
        self.n = n
        self.stopped = False

    async def start(self) -> None:
        return None

    async def events(self) -> AsyncIterator[Event]:
        for event in synthetic(self.n):
            if self.stopped:
                return
            yield event

    async def send(self, command: Command) -> None:
        return None

    async def stop(self) -> None:
        self.stopped = True


async def bench_app(n: int = 1_000_000) -> BenchResult:
    """Run the whole app headless on a flood; time the flood and a key press within it."""
    from textual import events

    from tui.app import MonitorApp
    from tui.widgets.eventlog import EventLog

    source = FloodSource(n)
    app = MonitorApp(lambda: source)
    latency: float | None = None
    async with app.run_test(size=(120, 36)) as pilot:
        start = time.perf_counter()
        while app.state.events < n // 2:
            await asyncio.sleep(0.005)
        log = app.query_one(EventLog)
        follow = log.follow
        pressed = time.perf_counter()
        # Posted like the driver posts a real key (pilot.press would wait for an idle app).
        app.post_message(events.Key("f", "f"))
        while log.follow == follow:
            await asyncio.sleep(0.001)
        latency = time.perf_counter() - pressed
        while not app.finished:
            await asyncio.sleep(0.005)
        seconds = time.perf_counter() - start
        log_lines = len(app.state.log)
        await pilot.press("q")
    assert log_lines <= 5000
    return BenchResult(n, seconds, n / seconds, 0.0, _rss_mib(), latency)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    n = int(args[0]) if args else 1_000_000
    fast = bench_state(n, trace=False)
    print(f"state model: {fast.events} events in {fast.seconds:.2f} s = "
          f"{fast.events_per_s:,.0f} events/s (untraced)")
    model = bench_state(n)
    print(f"state model: {model.events} events in {model.seconds:.2f} s = "
          f"{model.events_per_s:,.0f} events/s, tracemalloc peak {model.traced_peak_mib:.1f} MiB, "
          f"max RSS {model.max_rss_mib:.0f} MiB")
    whole = asyncio.run(bench_app(n))
    print(f"whole app:   {whole.events} events in {whole.seconds:.2f} s = "
          f"{whole.events_per_s:,.0f} events/s, key latency mid-flood "
          f"{(whole.key_latency_s or 0) * 1000:.0f} ms, max RSS {whole.max_rss_mib:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
