"""Running a Pool's master in a child of the test, and reading what its workers noted."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import psutil

from ipccore import Process
from ipccore.pool import Pool
from tests.core.helpers import reap, wait_until


def note(path: Path | str, line: str) -> None:
    """Append one line atomically (O_APPEND, one write): safe from many processes."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)


def lines(path: Path) -> list[list[str]]:
    """The noted lines, split into words ([] before the first note)."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return []
    return [line.split() for line in text.splitlines() if line]


def words(path: Path, first: str) -> list[list[str]]:
    return [w for w in lines(path) if w and w[0] == first]


def idle(p: Pool, step: float = 0.02) -> None:
    """What a worker does once its test work is done: wait until the pool stops it (the
    master's SIGTERM clears ``running``), so the worker ends through WorkerStop."""
    while p.running:
        time.sleep(step)


def start_master(pool: Pool) -> int:
    """Fork a child that runs ``pool.start()`` and exits 0 when it returned True."""

    def master(_w: Process) -> None:
        sys.exit(0 if pool.start() else 1)

    return Process(master, pipe_type=0).start()


def stop_master(pid: int, timeout: float = 60.0) -> tuple[int, int]:
    """SIGTERM the master and reap it: (code, signal)."""
    os.kill(pid, signal.SIGTERM)
    return reap(pid, timeout)


def workers_of(master: int) -> list[psutil.Process]:
    try:
        children: list[psutil.Process] = psutil.Process(master).children()
        return children
    except psutil.NoSuchProcess:
        return []


def wait_for(pred: object, timeout: float = 30.0, what: str = "") -> None:
    assert wait_until(pred, timeout), f"timed out waiting for {what or pred}"
