"""Markdown output: machine facts, one table per case, and the targets with met/missed.

Only ratios measured in the same run are claimed; absolute rates are printed for
context and drift with the machine's load (the load average is printed too).
"""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.harness import CaseResult

COLUMNS = ("variant", "mode", "rate (op/s)", "µs/op", "ratio", "spread")


@dataclass(frozen=True)
class Target:
    """A goal from the issue, checked on the pinned rows."""

    text: str
    case: str
    label: str
    against: str | None
    min_ratio: float = 0.0
    """Rate of ``label`` / rate of ``against`` must be at least this."""
    min_rate: float = 0.0
    """Or, with ``against`` None: the rate of ``label`` must be at least this."""


def _read(path: str) -> str:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return "?"


def _cpu_model() -> str:
    for line in _read("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "?"


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, check=False, timeout=5,
            cwd=Path(__file__).resolve().parent,
        )
    except (OSError, subprocess.SubprocessError):
        return "?"
    return out.stdout.strip() or "?"


def machine_facts() -> list[tuple[str, str]]:
    """What a reader needs to judge the numbers: CPUs, kernel, Python, queue limits, load."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return [
        ("date (UTC)", datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M")),
        ("cpus", f"{os.cpu_count()} × {_cpu_model()}"),
        ("kernel", platform.release()),
        ("python", f"{platform.python_implementation()} {sys.version.split()[0]}"),
        ("msgmax / msgmnb / msgmni", " / ".join(
            _read(f"/proc/sys/kernel/{k}") for k in ("msgmax", "msgmnb", "msgmni")
        )),
        ("commit", _commit()),
        ("load average at start", load),
    ]


def _fmt_rate(rate: float) -> str:
    return f"{rate / 1e3:,.1f} k" if rate >= 10_000 else f"{rate:,.0f}"


def _table(rows: list[list[str]], header: tuple[str, ...]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def case_table(results: list[CaseResult]) -> list[str]:
    """One Markdown table for a case, both modes, ratio against the case's base."""
    case = results[0].case
    lines = [f"### {case.title}", ""]
    lines.append(f"`{case.key}`, one op = one {case.unit}; ratio = rate / rate of "
                 f"*{case.base}* in the same mode.")
    lines.append("")
    rows = []
    for res in results:
        for row in res.rows:
            if row.median is None:
                rows.append([row.label, res.mode, "n/a", "n/a", "n/a", row.error or "no data"])
                continue
            ratio = res.ratio(row.label, case.base)
            spread = row.spread
            rows.append([
                row.label,
                res.mode,
                _fmt_rate(1 / row.median),
                f"{row.median * 1e6:,.2f}",
                "n/a" if ratio is None else f"{ratio:.2f}",
                "" if spread is None else f"±{spread * 50:.0f}%",
            ])
    lines += _table(rows, COLUMNS)
    ns = ", ".join(f"{r.mode} n={r.n}" for r in results)
    lines += ["", f"({ns})"]
    for res in results:
        for k, v in res.extra.items():
            lines.append(f"- {res.mode}: {k}: {v}")
    lines.append("")
    return lines


def target_rows(targets: list[Target], results: list[CaseResult]) -> list[list[str]]:
    """Each target against its pinned result: measured value, required value, verdict."""
    by_key = {(r.case.key, r.mode): r for r in results}
    rows = []
    for t in targets:
        res = by_key.get((t.case, "pinned"))
        measured: float | None = None
        if res is not None:
            if t.against is None:
                row = res.row(t.label)
                measured = 1 / row.median if row and row.median else None
            else:
                measured = res.ratio(t.label, t.against)
        if t.against is None:
            need = f"≥ {t.min_rate:,.0f}/s"
            got = "n/a" if measured is None else f"{measured:,.0f}/s"
            ok = measured is not None and measured >= t.min_rate
        else:
            need = f"≥ {t.min_ratio:.2f}"
            got = "n/a" if measured is None else f"{measured:.2f}"
            ok = measured is not None and measured >= t.min_ratio
        verdict = "not measured" if measured is None else ("met" if ok else "**missed**")
        against = "" if t.against is None else f" / {t.against}"
        rows.append([t.text, f"`{t.case}`: {t.label}{against}", need, got, verdict])
    return rows


def render(
    results: list[CaseResult], targets: list[Target], facts: list[tuple[str, str]],
    command: str, seconds: float,
) -> str:
    """The whole report as Markdown."""
    lines = ["# ipccore benchmarks", "", f"Command: `{command}` ({seconds:.0f} s).", ""]
    lines += _table([[k, v] for k, v in facts], ("machine", "value"))
    lines += ["", "## Targets (pinned rows)", ""]
    lines += ["Why a target is missed and what would close it: "
              "[docs/bench.md](../docs/bench.md#missed-targets).", ""]
    lines += _table(
        target_rows(targets, results), ("target", "compared", "required", "measured", "verdict")
    )
    lines += ["", "## Cases", ""]
    by_case: dict[str, list[CaseResult]] = {}
    for res in results:
        by_case.setdefault(res.case.key, []).append(res)
    for group in by_case.values():
        lines += case_table(group)
    lines.append(f"Load average at end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}.")
    return "\n".join(lines) + "\n"
