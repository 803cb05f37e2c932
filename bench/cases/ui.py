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
"""The numbers of the last UI flood (for :func:`memory`)."""
_travel: dict[str, float] = {}
"""The numbers of the last time-travel run (for :func:`travel_facts`)."""


def _mib(value: float) -> str:
    return f"{value / 2**20:.1f} MiB"


def _fresh_interpreter(module: str, *args: str, timeout: float, took: str,
                      keep: dict[str, float] | None) -> Runner:
    """Each repetition runs ``python -m MODULE N ARGS`` in a fresh interpreter and reads
    its last line: one JSON object, of which only the numbers are kept (nothing is
    evaluated), into ``keep`` for the report's extra lines. The measure is its
    ``seconds``. A failure, or fewer than ``n`` events taken (``took``: who, for the
    message), raises instead of reporting a number."""

    def run(n: int) -> float:
        out = subprocess.run(
            [sys.executable, "-m", module, str(n), *args],
            capture_output=True, text=True, check=False, timeout=timeout,
        )
        if out.returncode != 0:
            name = module.rpartition(".")[2]
            raise RuntimeError(f"{name} exited {out.returncode}: {out.stderr[-300:]}")
        data = json.loads(out.stdout.strip().splitlines()[-1])
        numbers = {k: float(v) for k, v in data.items() if isinstance(v, int | float)}
        if numbers.get("events") != n:
            raise RuntimeError(f"{took} {numbers.get('events')} of {n} events")
        if keep is not None:
            keep.clear()
            keep.update(numbers)
        return numbers["seconds"]

    return run


def flood() -> Runner:
    return _fresh_interpreter("bench.uiflood", timeout=600, took="the app saw", keep=_last)


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


def travel(mode: str) -> Runner:
    """``python -m bench.timetravel N MODE``: CPU seconds to take N events (folding only,
    or into the time-travel run, whose step and memory facts are kept)."""
    return _fresh_interpreter("bench.timetravel", mode, timeout=900, took="the run took",
                              keep=_travel if mode == "travel" else None)


def travel_facts() -> dict[str, str]:
    """Step-back latency and memory of the last time-travel run."""
    if not _travel:
        return {}
    t = _travel
    return {
        "a step back, CPU time (median / p99 / max of 300 random places; worst place)": (
            f"{t['step_median_ms']:.2f} / {t['step_p99_ms']:.2f} / {t['step_max_ms']:.2f}; "
            f"{t['step_worst_place_ms']:.2f} ms (target < 50 ms)"),
        "a step back, wall clock, worst of the 300": f"{t['step_wall_max_ms']:.1f} ms",
        "events kept for stepping back": f"{t['events'] - t['kept_from']:,.0f} "
                                         f"(chart rows kept: {t['rows_kept']:,.0f})",
        "RSS at start / after 10 % / after all events": " / ".join(
            _mib(t[k]) for k in ("rss_start", "rss_tenth", "rss_end")),
        "growth over the last 90 % of the events": _mib(t["rss_end"] - t["rss_tenth"]),
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
        ),
        Case(
            "ui-timetravel",
            "Time travel: events into checkpoints and the sequence chart; a step back",
            "event",
            (Variant("timeline + sequence", travel("travel"), ui),
             Variant("fold only", travel("fold"), ui)),
            base="fold only",
            fixed_n=50_000 if quick else 1_000_000,
            extra=travel_facts,
            max_reps=1,
            warmup=False,
            timeout_s=900,
        ),
    ]
