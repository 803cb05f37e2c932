"""The tree watcher itself, on a real pipeline: it reads the kernel in a worker thread
and reports on the event loop, counts I/O per process, and stops cleanly mid-read."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable

import pytest

from ipccore.monitor.collector import Collector
from ipccore.observe import procfs
from ipccore.observe.watcher import INTERVAL_S, TreeWatcher, _Plan, _Reading
from ipcevents.events import Event

pytestmark = pytest.mark.slow


class ThreadsSeen(TreeWatcher):
    """The real watcher, noting which thread reads and which one reports."""

    def __init__(self, collector: Collector, roots: list[int]) -> None:
        super().__init__(collector, roots)
        self.read_threads: set[int] = set()
        self.apply_threads: set[int] = set()

    def _read(self, plan: _Plan) -> _Reading:
        self.read_threads.add(threading.get_ident())
        return super()._read(plan)

    def _apply(self, reading: _Reading, started: float) -> None:
        self.apply_threads.add(threading.get_ident())
        super()._apply(reading, started)


@contextlib.asynccontextmanager
async def pipeline(*argv: str) -> AsyncIterator[tuple[int, Collector, list[Event]]]:
    """A program that is not an ipccore one, a collector, and the events it serves."""
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
    collector = Collector()
    await collector.start()
    events: list[Event] = []

    async def drain() -> None:
        async for event in collector.events():
            events.append(event)

    task = asyncio.create_task(drain())
    try:
        yield proc.pid, collector, events
    finally:
        for pid in procfs.descendants([proc.pid]):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        proc.kill()
        proc.wait()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await collector.close()


async def until(check: Callable[[], object], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not reached before the deadline"
        await asyncio.sleep(0.02)


async def test_reads_off_the_loop_reports_on_it_and_counts_io() -> None:
    async with pipeline("sh", "-c", "yes | cat > /dev/null") as (top, collector, events):
        watcher = ThreadsSeen(collector, [top])
        watcher.start()
        try:
            def io_of(cmd: str) -> list[Event]:
                pids = {e.pid for e in events if e.kind == "proc.seen" and e.get("cmd") == cmd}
                return [e for e in events if e.kind == "proc.io" and e.pid in pids]

            await until(lambda: len(io_of("yes")) >= 2 and len(io_of("cat")) >= 2)
            writes = [(e.get("wchar"), e.get("syscw")) for e in io_of("yes")]
            assert writes[-1][0] > writes[0][0]
            assert writes[-1][1] > writes[0][1], "write calls are counted"
            reads = [e.get("rchar") for e in io_of("cat")]
            assert reads[-1] > reads[0]
            yes = io_of("yes")[0].pid
            cat = io_of("cat")[0].pid
            await until(lambda: any(e.kind == "proc.chan" and e.pid == yes
                                    and e.get("peer") == cat and e.get("dir") == "out"
                                    for e in events))
        finally:
            await watcher.stop()
    loop_thread = threading.get_ident()
    assert watcher.apply_threads == {loop_thread}, "reported from the loop only"
    assert loop_thread not in watcher.read_threads, "the kernel is read in a worker thread"
    assert watcher.samples >= 2
    assert INTERVAL_S <= 0.1, "at least 10 samples a second by design"


SOCKETPAIR = "import socket, time; a, b = socket.socketpair(); time.sleep(60)"


async def test_stop_during_a_read_waits_for_it_and_leaves_nothing() -> None:
    """Stopped while its thread reads (a socketpair: sock_diag is asked): the read ends
    before the sock_diag socket closes, and no thread or task is left."""
    async with pipeline(sys.executable, "-c", SOCKETPAIR) as (top, collector, events):
        await until(lambda: socket_open(top))
        for _ in range(5):
            watcher = TreeWatcher(collector, [top])
            watcher.start()
            await asyncio.sleep(0)  # the task runs until it awaits its first read
            assert watcher._reading is not None, "stopped in the middle of a read"
            await watcher.stop()
            assert watcher._reading is None
            assert watcher._task is None
        watcher = TreeWatcher(collector, [top])
        await watcher.sample_off_loop()
        await watcher.stop()
        await until(lambda: any(e.kind == "proc.chan" and e.get("type") == "socketpair"
                                for e in events))
    assert not [t for t in threading.enumerate() if t.name.startswith("sock_diag")]


def socket_open(pid: int) -> bool:
    ends = procfs.read_fds(pid) or []
    return sum(1 for e in ends if e.kind == "socket") >= 2
