"""The pool demo, run as ``python -m ipccore demo pool``: 3 workers, 12 jobs, worker #1
SIGKILLed in the middle of a job and back under a new pid, no job lost, nothing left."""

from __future__ import annotations

import re

from tests.demos.helpers import assert_gone, run_clean

UP = re.compile(r"worker #(\d) \(pid (\d+)\) is up")
DID = re.compile(r"worker #(\d) \(pid (\d+)\) did job (\d+)")
KILL = re.compile(r"\[demo\] SIGKILL worker #1 \(pid (\d+)\) in the middle of job (\d+)")


def test_pool_demo_loses_no_job_and_restarts_the_killed_worker() -> None:
    run = run_clean("pool", "--speed", "0.2", timeout=60)
    ups = [UP.fullmatch(line) for line in run.text]
    started = [(int(m[1]), int(m[2])) for m in ups if m]
    kills = [m for m in (KILL.fullmatch(line) for line in run.text) if m]
    assert len(kills) == 1, run.text
    victim = int(kills[0][1])
    assert (1, victim) in started
    ones = [pid for wid, pid in started if wid == 1]
    assert len(ones) == 2
    assert ones[0] == victim
    assert ones[1] != victim, "worker #1 came back under a new pid"
    assert sorted({wid for wid, _ in started}) == [0, 1, 2]
    did = [m for m in (DID.fullmatch(line) for line in run.text) if m]
    assert {int(m[3]) for m in did} == set(range(1, 13)), "every job done"
    assert "[demo] all 12 jobs done, none lost; stopping the pool" in run.text
    assert run.text[-1] == "[demo] the pool's master ended (cleanly)"
    assert sum(line.endswith(" stops") for line in run.text) == 3
    assert_gone({pid for _, pid in started})
