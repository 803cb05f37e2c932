"""The benchmark harness end to end, tiny: real forks and a real queue, table shape only.

Speed is not asserted here (the machine is shared); the full run lives in bench/RESULTS.md.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
HEADER = "| variant | mode | rate (op/s) | µs/op | ratio | spread |"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )


def _rows(markdown: str, title_start: str) -> list[list[str]]:
    """The data rows of the table under the first heading starting with ``title_start``."""
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"### {title_start}"))
    head = next(i for i in range(start, len(lines)) if lines[i] == HEADER)
    rows = []
    for line in lines[head + 2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def test_quick_run_prints_one_row_per_variant_and_mode() -> None:
    result = _run("--quick", "--only", "pipe-pingpong-dgram", "queue-oneway-64b",
                  "--n", "50", "--reps", "1")
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert out.startswith("# ipccore benchmarks")
    assert "| msgmax / msgmnb / msgmni |" in out
    assert "## Targets (pinned rows)" in out

    pipe = _rows(out, "pipe ping-pong, DGRAM")
    labels = ["ipccore", "raw socketpair", "raw SEQPACKET", "mp.Pipe bytes", "mp.Pipe pickle"]
    assert [(r[0], r[1]) for r in pipe] == [
        (label, mode) for mode in ("pinned", "unpinned") for label in labels
    ]
    queue = _rows(out, "queue one-way, 64 B")
    assert [r[0] for r in queue] == ["ipccore", "raw sysv_ipc", "mp.Queue"] * 2
    for row in pipe + queue:
        assert len(row) == 6
        if row[0] != "ipccore":
            assert float(row[3].replace(",", "")) > 0, row
    bases = [r for r in pipe if r[0] == "raw socketpair"] + [
        r for r in queue if r[0] == "raw sysv_ipc"
    ]
    assert all(r[4] == "1.00" for r in bases)
    assert "(pinned n=50, unpinned n=50)" in out


def test_list_and_bad_arguments() -> None:
    listed = _run("--list")
    assert listed.returncode == 0
    keys = [line.split()[0] for line in listed.stdout.splitlines()]
    assert {"pipe-pingpong-dgram", "queue-contention", "spawn", "ui-ingest"} <= set(keys)
    assert _run("--only", "no-such-case").returncode == 2
    assert _run("--reps", "0").returncode == 2


def test_monitor_cases_check_the_recorded_totals() -> None:
    """Each attached run raises (an error row) unless the collector's sum of ``count``
    per kind is exactly the work's number of operations, with nothing dropped."""
    result = _run("--only", "monitor-pipe-oneway", "monitor-queue-pingpong", "--n", "300",
                  "--reps", "1", "--pinned")
    assert result.returncode == 0, result.stderr[-2000:]
    for title in ("monitor attached: pipe one-way", "monitor attached: queue ping-pong"):
        rows = _rows(result.stdout, title)
        assert [r[0] for r in rows] == ["ipccore + collector", "ipccore + collector, full",
                                        "ipccore"]
        for row in rows:
            assert float(row[3].replace(",", "")) > 0, (row, result.stderr[-2000:])
    assert "operations / events received (exact totals)" in result.stdout
