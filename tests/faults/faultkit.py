"""Helpers for the fault, bad-input and security tests: real processes, bounded waits.

Nothing here sleeps for synchronisation: every wait polls a condition against a deadline.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil

from ipcevents.events import Event

PROGRAMS = Path(__file__).parent.parent / "programs"
REPO = Path(__file__).parent.parent.parent


def fd_count() -> int:
    """Open descriptors of this process (``/proc/self/fd``)."""
    return len(os.listdir("/proc/self/fd"))


def rss() -> int:
    return int(psutil.Process().memory_info().rss)


def deadline_until(pred: Callable[[], object], timeout: float, what: str) -> None:
    """Poll ``pred`` every 10 ms; AssertionError naming ``what`` after ``timeout`` s."""
    end = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > end:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(0.01)


def status_of(pid: int) -> str:
    try:
        return str(psutil.Process(pid).status())
    except psutil.NoSuchProcess:
        return "gone"


def program_env(tmp: Path, **extra: str) -> dict[str, str]:
    """An environment whose temp dir and queue registry live under ``tmp`` (nothing leaks)."""
    env = dict(os.environ)
    env.pop("IPCCORE_MONITOR", None)
    (tmp / "tmp").mkdir(exist_ok=True)
    (tmp / "reg").mkdir(mode=0o700, exist_ok=True)
    env["TMPDIR"] = str(tmp / "tmp")
    env["IPCCORE_REGISTRY_DIR"] = str(tmp / "reg")
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONPATH"] = str(REPO)
    env.update(extra)
    return env


def record_argv(program: str, out: Path, *args: str, full: bool = False) -> list[str]:
    """``python -m ipccore record [--full] tests/programs/<program> ARGS -o OUT``."""
    return [sys.executable, "-m", "ipccore", "record", *(["--full"] if full else []),
            str(PROGRAMS / program), *args, "-o", str(out)]


def program_argv(program: str, *args: str) -> list[str]:
    return [sys.executable, str(PROGRAMS / program), *args]


@contextlib.contextmanager
def popen(argv: list[str], env: dict[str, str], **kw: Any) -> Iterator[subprocess.Popen[str]]:
    """A text-mode Popen that is killed and reaped whatever happens in the test."""
    proc = subprocess.Popen(argv, env=env, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True, **kw)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)


def read_json_line(proc: subprocess.Popen[str], timeout: float = 30.0) -> dict[str, Any]:
    """The next stdout line that is a JSON object (other output is skipped)."""
    assert proc.stdout is not None
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        line = proc.stdout.readline()
        if not line:
            break
        line = line.strip()
        if line.startswith("{"):
            return dict(json.loads(line))
    err = proc.stderr.read() if proc.stderr and proc.poll() is not None else ""
    raise AssertionError(f"no JSON line from {proc.args!r}; stderr: {err[-2000:]}")


def load(path: Path) -> list[Event]:
    """The complete lines of a recording (a line still being written is skipped)."""
    out = []
    with open(path, "rb") as f:
        for raw in f:
            if raw.endswith(b"\n"):
                out.append(Event.from_json(raw))
    return out


def recorded(path: Path, pred: Callable[[Event], bool]) -> bool:
    if not path.exists():
        return False
    return any(pred(e) for e in load(path))
