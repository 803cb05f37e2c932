"""Shared fixtures: every test must leave no child process and no SysV queue behind."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from typing import Any

import psutil
import pytest


def pytest_configure(config: pytest.Config) -> None:
    """Give SIGINT its default back when the run was started with it ignored (a shell
    starts a background job that way when it has no job control, and so may a CI runner):
    an ignored signal stays ignored across fork and exec, so the tests that stop a
    program with SIGINT would wait for a signal that never lands."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def sysv_queue_ids() -> set[int]:
    """msqids of all SysV message queues on the machine (from the kernel)."""
    with open("/proc/sysvipc/msg") as f:
        lines = f.read().splitlines()[1:]
    return {int(line.split()[1]) for line in lines if line.strip()}


def _children() -> list[psutil.Process]:
    try:
        children: list[Any] = psutil.Process().children(recursive=True)
        return children
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


def _our_temp_entries() -> set[str]:
    """Files and directories our code makes in the temp dir (collectors' private dirs).

    The queue registry ``ipccore-<uid>`` is meant to outlive runs (it is how a SIGKILLed
    master's queues are reclaimed by the next start), so it does not count.
    """
    root = tempfile.gettempdir()
    registry = f"ipccore-{os.getuid()}"
    return {
        name for name in os.listdir(root)
        if name.startswith(("ipcscope-", "ipccore-")) and name != registry
    }


@pytest.fixture(scope="session", autouse=True)
def machine_as_found() -> Iterator[None]:
    """The whole suite leaves the machine as it found it: no queue, no temp entry of ours.

    (Per-test children are checked by :func:`no_leaks`.)
    """
    queues, temp = sysv_queue_ids(), _our_temp_entries()
    yield
    new_queues = sysv_queue_ids() - queues
    new_temp = _our_temp_entries() - temp
    if new_queues and not os.environ.get("CI"):
        new_queues = set()  # shared development machine: see no_leaks
    assert not new_queues, f"the suite left SysV queues: {sorted(new_queues)}"
    assert not new_temp, f"the suite left files in {tempfile.gettempdir()}: {sorted(new_temp)}"
