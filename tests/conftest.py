"""Shared fixtures: every test must leave no child process and no SysV queue behind."""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Iterator

import psutil
import pytest


def sysv_queue_ids() -> set[int]:
    """msqids of all SysV message queues on the machine (from the kernel)."""
    with open("/proc/sysvipc/msg") as f:
        lines = f.read().splitlines()[1:]
    return {int(line.split()[1]) for line in lines if line.strip()}


def _children() -> list[psutil.Process]:
    try:
        return psutil.Process().children(recursive=True)
    except psutil.Error:
        return []


@pytest.fixture(autouse=True)
def no_leaks() -> Iterator[None]:
    """Fail a test that leaves a child process (or zombie) or a new SysV queue."""
    queues_before = sysv_queue_ids()
    yield
    deadline = time.monotonic() + 5.0
    leftover = _children()
    while leftover and time.monotonic() < deadline:
        time.sleep(0.02)
        leftover = _children()
    new_queues = sysv_queue_ids() - queues_before
    problems = []
    if leftover:
        desc = [f"{p.pid} {p.status() if p.is_running() else '?'}" for p in leftover]
        for p in leftover:
            with contextlib.suppress(psutil.Error):
                p.kill()
        for p in leftover:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(p.pid, 0)
        problems.append(f"child processes left behind: {desc}")
    if new_queues and os.environ.get("CI"):
        # Only in CI: on a shared development machine another run's live queue may be new too.
        for q in new_queues:
            subprocess.run(["ipcrm", "-q", str(q)], check=False)
    if new_queues:
        problems.append(f"SysV queues left behind: {sorted(new_queues)}")
    if problems:
        pytest.fail("; ".join(problems))
