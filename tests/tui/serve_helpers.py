"""Starting ``python -m tui --serve`` for a test, and proving it left nothing behind."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil

from tests.conftest import sysv_queue_ids

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Served:
    """A server process, the processes it started (tracked while they live) and the
    queues that appeared while it ran."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.queues_before = sysv_queue_ids()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tui", "--serve", "--port", str(self.port), *args],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=env, start_new_session=True)
        self.seen: dict[int, psutil.Process] = {}

    def track(self) -> set[int]:
        """Remember every descendant now alive (they may be reparented once orphaned)."""
        with contextlib.suppress(psutil.Error):
            for child in psutil.Process(self.proc.pid).children(recursive=True):
                self.seen.setdefault(child.pid, child)
        return set(self.seen)

    def alive(self) -> list[int]:
        left = []
        for pid, proc in self.seen.items():
            with contextlib.suppress(psutil.Error):
                if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                    left.append(pid)
        return left

    def new_queues(self) -> set[int]:
        return sysv_queue_ids() - self.queues_before

    async def wait_listening(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server ended: {self.proc.communicate()}")
            try:
                _r, w = await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                await asyncio.sleep(0.1)
                continue
            w.close()
            with contextlib.suppress(OSError):
                await w.wait_closed()
            return
        raise AssertionError("the server did not listen in time")

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 30.0) -> float:
        """Signal the server, wait for it; returns how long it took."""
        t0 = time.monotonic()
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signum)
        try:
            self.proc.wait(timeout)
        finally:
            self.kill_all()
        return time.monotonic() - t0

    def kill_all(self) -> None:
        """Last resort for a failed test: nothing of ours may outlive it."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        for proc in self.seen.values():
            with contextlib.suppress(psutil.Error):
                proc.kill()
        for pid in self.seen:
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(pid, os.WNOHANG)
        for out in (self.proc.stdout, self.proc.stderr):
            if out is not None:
                out.close()


@contextlib.contextmanager
def served(*args: str, env: dict[str, str] | None = None) -> Iterator[Served]:
    server = Served(*args, env=env)
    try:
        yield server
    finally:
        server.kill_all()
        for qid in server.new_queues():
            subprocess.run(["ipcrm", "-q", str(qid)], check=False)
