"""Interleaved runs: every variant of a case alternates with its baselines in one process.

Absolute times drift on a shared 2-core VM, so a case never runs its variants one after
the other: each repetition runs A, B, C once, and only the median per variant and the
ratio to the case's raw-Python baseline (measured in the same repetitions) are reported.
"""

from __future__ import annotations

import contextlib
import os
import signal
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import FrameType

Runner = Callable[[int], float]
"""Runs ``n`` operations and returns the seconds spent on them (setup not counted)."""


class BenchTimeout(Exception):
    """A variant took far longer than its budget (a peer died or hangs)."""


@dataclass(frozen=True)
class Variant:
    """One implementation of a case: ipccore or a baseline."""

    label: str
    run: Runner
    unavailable: str | None = None
    """Why this variant cannot run here (e.g. the ipccore part is not written yet)."""


@dataclass(frozen=True)
class Case:
    """Variants doing the same work, compared side by side."""

    key: str
    """Short id for ``--only`` (e.g. ``pipe-pingpong-dgram``)."""
    title: str
    unit: str
    """What one operation is (``round trip``, ``msg``, ``spawn``...)."""
    variants: tuple[Variant, ...]
    base: str
    """Label of the variant the ratio column divides by."""
    n0: int = 1000
    """Operations for the first calibration run."""
    fixed_n: int | None = None
    """Run exactly this many operations (no calibration), e.g. the UI flood."""
    extra: Callable[[], dict[str, str]] | None = None
    """Extra facts to print under the table (e.g. memory after the flood)."""
    max_reps: int | None = None
    """Cap on repetitions for a slow case (the UI flood)."""
    warmup: bool = True
    """Run one discarded repetition first (caches, lazy imports, page faults)."""
    budget: float = 1.0
    """Scales ``Settings.target_s`` for a case whose other variants are much slower."""
    timeout_s: float | None = None
    """Wall-clock seconds one repetition may take, when the default is too short (a
    million-event run on a loaded machine)."""


@dataclass(frozen=True)
class Settings:
    """How long and how often to run each case."""

    target_s: float = 0.25
    """Seconds the base variant should take per repetition."""
    reps: int = 7
    n: int | None = None
    """Fixed operation count for every case (skips calibration; for smoke tests)."""
    timeout_s: float = 60.0


@dataclass
class Row:
    """The measured times of one variant in one mode."""

    label: str
    times: list[float] = field(default_factory=list)
    """Seconds per operation, one per repetition."""
    error: str | None = None

    @property
    def median(self) -> float | None:
        return statistics.median(self.times) if self.times else None

    @property
    def spread(self) -> float | None:
        """(max - min) / median of the per-op times: how noisy this row was."""
        med = self.median
        if not med or len(self.times) < 2:
            return None
        return (max(self.times) - min(self.times)) / med


@dataclass
class CaseResult:
    """One case in one mode (pinned or unpinned)."""

    case: Case
    mode: str
    n: int
    rows: list[Row]
    extra: dict[str, str] = field(default_factory=dict)

    def row(self, label: str) -> Row | None:
        return next((r for r in self.rows if r.label == label), None)

    def ratio(self, label: str, against: str) -> float | None:
        """Rate of ``label`` over the rate of ``against`` (> 1 means faster)."""
        a, b = self.row(label), self.row(against)
        if a is None or b is None or a.median is None or b.median is None:
            return None
        return b.median / a.median


ALL_CPUS = frozenset(os.sched_getaffinity(0))


@contextlib.contextmanager
def pinned(on: bool) -> Iterator[None]:
    """Pin this process (and so every child it forks) to CPU 0, or spread it out."""
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(ALL_CPUS)} if on else ALL_CPUS)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise BenchTimeout("variant exceeded its time budget")


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Raise :class:`BenchTimeout` in this process if the block runs too long.

    Raising from a SIGALRM handler interrupts a blocking recv/waitpid (PEP 475 retries
    only when the handler returns), so a hung peer cannot wedge the whole run; the
    variant's own ``finally`` then kills and reaps its children.
    """
    old = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _once(variant: Variant, n: int, timeout_s: float) -> float:
    with deadline(timeout_s):
        return variant.run(n)


def calibrate(case: Case, settings: Settings) -> int:
    """Operations per repetition so the base variant takes about ``target_s``."""
    if settings.n is not None:
        return settings.n
    if case.fixed_n is not None:
        return case.fixed_n
    base = next(v for v in case.variants if v.label == case.base)
    n = case.n0
    elapsed = _once(base, n, case.timeout_s or settings.timeout_s)
    while elapsed < settings.target_s * case.budget / 10 and n < 10_000_000:
        n *= 10
        elapsed = _once(base, n, case.timeout_s or settings.timeout_s)
    target = settings.target_s * case.budget
    return max(10, int(n * target / max(elapsed, 1e-9)))


def run_case(case: Case, mode: str, settings: Settings, log: Callable[[str], None]) -> CaseResult:
    """Calibrate, warm up once, then repeat A B C ... ``reps`` times."""
    rows = [Row(v.label, error=v.unavailable) for v in case.variants]
    with pinned(mode == "pinned"):
        n = calibrate(case, settings)
        log(f"{case.key} [{mode}] n={n}")
        live = [(v, r) for v, r in zip(case.variants, rows, strict=True) if r.error is None]
        reps = min(settings.reps, case.max_reps or settings.reps)
        first = 0 if case.warmup else 1
        for rep in range(first, reps + 1):
            for variant, row in live:
                if row.error is not None:
                    continue
                try:
                    elapsed = _once(variant, n, case.timeout_s or settings.timeout_s)
                except Exception as exc:  # a broken variant must not stop the run
                    row.error = f"{type(exc).__name__}: {exc}"[:120]
                    log(f"  {variant.label}: {row.error}")
                    continue
                if rep > 0:
                    row.times.append(elapsed / n)
        extra = case.extra() if case.extra else {}
    return CaseResult(case, mode, n, rows, extra)


def run_all(
    cases: list[Case], modes: list[str], settings: Settings, log: Callable[[str], None]
) -> list[CaseResult]:
    """Every case in every mode, in order; progress goes to ``log``."""
    results = []
    for case in cases:
        for mode in modes:
            start = time.monotonic()
            results.append(run_case(case, mode, settings, log))
            log(f"  done in {time.monotonic() - start:.1f} s")
    return results


def stderr_log(line: str) -> None:
    """Progress for the person running the benchmark; stdout stays pure Markdown."""
    print(line, file=sys.stderr, flush=True)
