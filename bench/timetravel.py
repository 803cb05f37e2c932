"""``python -m bench.timetravel N MODE``: time travel over N events, print one JSON line.

MODE ``fold`` folds the events into the state model only (what the monitor did before
time travel: the baseline); ``travel`` feeds them to :class:`tui.travel.Travel` (the
state, its checkpoints, the kept events and the sequence chart), then answers steps back
from random places of the kept window, and samples the process's memory on the way.

A fresh interpreter per run, so the RSS belongs to this run alone. The events are the UI
flood's realistic mix (``bench.uiflood``), generated on the fly. Times are the process's
CPU time (one thread): on the shared 2-core machine, wall time measured the neighbours
(a load of 7 turned 2 ms steps into 20 ms ones); ``step_wall_max_ms`` keeps the wall
clock's worst for the record. A full garbage collection over the kept window (about
100 ms for 200,000 tracked objects here) can fall into any step, as into any ingest.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time

import psutil  # type: ignore[import-untyped, unused-ignore]

from bench.uiflood import _event
from ipcevents.events import Event
from tui.state import MonitorState, apply
from tui.travel import Travel

STEPS = 300
"""Steps back measured, from random places of the kept window."""


def events(n: int) -> list[Event]:
    base = 1_000_000.0
    return [Event(i + 1, base + i * 1e-5, e.pid, e.kind, e.fields)
            for i, e in ((i, _event(i, 0.0)) for i in range(n))]


def fold(n: int) -> dict[str, float]:
    state = MonitorState()
    batch = 100_000
    seconds = 0.0
    for start in range(0, n, batch):
        chunk = events(min(batch, n - start))
        t = time.process_time()
        for event in chunk:
            apply(state, event)
        seconds += time.process_time() - t
    return {"events": state.events, "seconds": seconds}


def travel(n: int) -> dict[str, float]:
    proc = psutil.Process()
    run = Travel()
    batch = 100_000
    seconds = 0.0
    rss_start = proc.memory_info().rss
    rss_tenth = 0
    for start in range(0, n, batch):
        chunk = events(min(batch, n - start))
        t = time.process_time()
        for event in chunk:
            run.feed(event)
        seconds += time.process_time() - t
        del chunk
        if not rss_tenth and run.count >= n // 10:
            rss_tenth = proc.memory_info().rss
    rss_end = proc.memory_info().rss
    rng = random.Random(12)
    first, count = run.timeline.first, run.count
    took = []
    wall = 0.0
    for _ in range(STEPS):
        run.go(rng.randint(first + 1, count))
        t, w = time.process_time(), time.perf_counter()
        run.step(-1)
        state = run.shown()
        took.append(time.process_time() - t)
        wall = max(wall, time.perf_counter() - w)
        assert state.events == run.at
    # The worst place: just below a checkpoint, so the most events are refolded.
    worst_at = count - count % run.timeline.every - 1 if count > run.timeline.every else 1
    run.go(worst_at + 1)
    t = time.process_time()
    run.step(-1)
    run.shown()
    worst = time.process_time() - t
    took.sort()
    return {
        "events": run.count,
        "seconds": seconds,
        "kept_from": first,
        "step_median_ms": statistics.median(took) * 1000,
        "step_p99_ms": took[int(len(took) * 0.99) - 1] * 1000,
        "step_max_ms": max(*took, worst) * 1000,
        "step_wall_max_ms": wall * 1000,
        "step_worst_place_ms": worst * 1000,
        "rss_start": rss_start,
        "rss_tenth": rss_tenth,
        "rss_end": rss_end,
        "rows_kept": len(run.sequence.rows),
    }


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    mode = sys.argv[2] if len(sys.argv) > 2 else "travel"
    if n < 10 or mode not in ("fold", "travel"):
        print("usage: python -m bench.timetravel N fold|travel (N >= 10)", file=sys.stderr)
        return 2
    print(json.dumps(fold(n) if mode == "fold" else travel(n)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
