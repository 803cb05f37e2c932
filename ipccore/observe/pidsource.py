"""``--pid PID``: watch a process that is already running, and its descendants.

Nothing is started and nothing is ever killed: ``stop()`` only stops looking. The
process must be ours (same uid, :class:`~ipccore.observe.procfs.NotOurs` otherwise).
The stream ends once the process and every descendant seen are gone; their exit codes
belong to their parents, so ``monitor.end`` carries none.
"""

from __future__ import annotations

import asyncio
import contextlib
import os

from ipccore.monitor.collector import Collector
from ipccore.monitor.live import _CollectorSource
from ipccore.observe import procfs
from ipccore.observe.tasks import cancel_and_wait
from ipccore.observe.tracer import SLOWDOWN_NOTE, Tracer, explain, strace_argv, strace_path
from ipccore.observe.watcher import TreeWatcher

END_POLL_S = 0.1


class PidSource(_CollectorSource):
    """Samples ``pid``'s tree from the kernel; signals may go to that tree only."""

    def __init__(self, pid: int, *, record: str | os.PathLike[str] | None = None,
                 trace: bool = False) -> None:
        if not isinstance(pid, int) or isinstance(pid, bool):
            raise TypeError("pid must be an int")
        if pid <= 1:
            raise ValueError(f"refusing pid {pid}: give the pid of one of your programs")
        procfs.check_ours(pid)
        if trace:
            strace_path()
        super().__init__(f"pid {pid}" + (f" ({SLOWDOWN_NOTE})" if trace else ""))
        self.trace = trace
        self.tracer: Tracer | None = None
        self._strace: asyncio.subprocess.Process | None = None
        self._errors: asyncio.Task[None] | None = None
        self.pid = pid
        self._record = record
        self.watcher: TreeWatcher | None = None
        self._ender: asyncio.Task[None] | None = None

    async def start(self) -> None:
        procfs.check_ours(self.pid)
        collector = self.collector = Collector(record=self._record)
        await collector.start()
        collector.registry.top = self.pid
        collector.registry.add_pid(self.pid)
        self.watcher = TreeWatcher(collector, [self.pid])
        self.watcher.sample()
        if self.trace:
            await self._start_strace(collector, self.watcher)
        self.watcher.start()
        self._ender = asyncio.create_task(self._end_when_gone())

    async def _start_strace(self, collector: Collector, watcher: TreeWatcher) -> None:
        """strace attaches to every process of the tree now (``-f`` follows new ones);
        on stop it detaches and the program runs on untouched."""
        tracer = self.tracer = Tracer(collector, watcher)
        tracer.prepare()
        pids = watcher.alive() or [self.pid]
        self._strace = await asyncio.create_subprocess_exec(
            *strace_argv(tracer.output, pids=pids), stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        watcher.transparent.add(self._strace.pid)
        tracer.start()
        self._errors = asyncio.create_task(self._strace_errors(self._strace))

    async def _strace_errors(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stderr is not None
        while line := await proc.stderr.readline():
            text = explain(line.rstrip(b"\n").decode("utf-8", "backslashreplace"))
            self._need().inject("error", {"op": "trace", "error": "TraceFailed",
                                          "message": text[:1024]}, pid=self.pid)

    async def _end_when_gone(self) -> None:
        watcher, collector = self.watcher, self._need()
        assert watcher is not None
        while watcher.alive():
            await asyncio.sleep(END_POLL_S)
        await watcher.stop()
        if self.tracer is not None:
            if self._strace is not None:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._strace.wait(), 2.0)
            self.tracer.poll(final=True)
        collector.program_ended(self.pid, None, None)

    async def stop(self) -> None:
        await cancel_and_wait(self._ender)
        if self._strace is not None:
            if self._strace.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    self._strace.terminate()  # strace detaches from every tracee
            await self._strace.wait()
        await cancel_and_wait(self._errors)
        if self.tracer is not None:
            await self.tracer.stop()
        if self.watcher is not None:
            await self.watcher.stop()
        if self.collector is not None:
            await self.collector.close()
