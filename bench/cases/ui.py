"""UI ingestion: events per second the monitor app absorbs from a flood, and its memory.

Each repetition runs ``python -m bench.uiflood N`` in a fresh interpreter (see that
module for why) and reads back one JSON line of numbers; nothing from the child is
ever evaluated or unpickled.
"""

from __future__ import annotations

import json
import subprocess
import sys

from bench.cases import missing
from bench.harness import Case, Runner, Variant

_last: dict[str, float] = {}


def _mib(value: float) -> str:
    return f"{value / 2**20:.1f} MiB"


def flood() -> Runner:
    def run(n: int) -> float:
        out = subprocess.run(
            [sys.executable, "-m", "bench.uiflood", str(n)],
            capture_output=True, text=True, check=False, timeout=600,
        )
        if out.returncode != 0:
            raise RuntimeError(f"uiflood exited {out.returncode}: {out.stderr[-300:]}")
        data = json.loads(out.stdout.strip().splitlines()[-1])
        numbers = {k: float(v) for k, v in data.items() if isinstance(v, int | float)}
        if numbers.get("events") != n:
            raise RuntimeError(f"the app saw {numbers.get('events')} of {n} events")
        _last.clear()
        _last.update(numbers)
        return numbers["seconds"]

    return run


def memory() -> dict[str, str]:
    """RSS of the app process, from the last flood: bounded means end ≈ at 10 %."""
    if not _last:
        return {}
    growth = _last["rss_end"] - _last["rss_tenth"]
    n = _last["events"]
    return {
        "a key press in mid-flood waits": f"{_last.get('key_latency', -1) * 1000:.0f} ms",
        "the state model alone": f"{n / max(_last.get('model_seconds', 0), 1e-9):,.0f} events/s",
        "app RSS at start / after 10 % / after all events": " / ".join(
            _mib(_last[k]) for k in ("rss_start", "rss_tenth", "rss_end")
        ),
        "growth over the last 90 % of the events": _mib(growth),
    }


def cases(quick: bool) -> list[Case]:
    ui = missing("tui.app", "MonitorApp")
    return [
        Case(
            "ui-ingest",
            "UI ingestion: monitor app fed a flood of events",
            "event",
            (Variant("tui app", flood(), ui),),
            base="tui app",
            fixed_n=50_000 if quick else 1_000_000,
            extra=memory,
            max_reps=1,
            warmup=False,
        )
    ]
