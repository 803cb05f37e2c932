"""Live sources: run a program under a collector (:class:`LiveSource`), or listen at a
user-given socket for programs started elsewhere (:class:`AttachSource`).

The program always runs as a fresh interpreter (``asyncio.create_subprocess_exec``): the
caller (a Textual app with threads) is never forked. The program dies with the monitor
(``IPCCORE_PDEATHSIG``, SIGTERM so its queues are cleaned up), and ``stop()`` leaves
nothing behind: processes reaped, created queues removed, socket and directory gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import TextIO

import psutil  # type: ignore[import-untyped, unused-ignore]
import sysv_ipc

from ipccore.monitor.collector import Collector
from ipccore.monitor.commands import carry_out
from ipccore.monitor.tee import LINE_MAX
from ipccore.observe.tracer import SLOWDOWN_NOTE, Tracer, explain, strace_argv, strace_path
from ipccore.observe.watcher import TreeWatcher
from ipcevents.events import Event
from ipcevents.source import Command

STOP_GRACE_S = 2.0
"""How long ``stop()`` waits after SIGTERM before SIGKILL."""


class _CollectorSource:
    """What both live sources share: a collector, its events and commands."""

    def __init__(self, title: str) -> None:
        self._title = title
        self.collector: Collector | None = None
        self._record: str | os.PathLike[str] | None = None

    @property
    def title(self) -> str:
        return self._title

    @property
    def recording(self) -> Path | None:
        """The NDJSON file this source records to (``record=``), or None."""
        return None if self._record is None else Path(self._record)

    def _need(self) -> Collector:
        if self.collector is None:
            raise RuntimeError("call start() first")
        return self.collector

    async def events(self) -> AsyncIterator[Event]:
        async for event in self._need().events():
            yield event

    async def send(self, command: Command) -> None:
        carry_out(self._need(), command)


class LiveSource(_CollectorSource):
    """Runs ``argv`` with ``IPCCORE_MONITOR`` set and serves what it does."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        title: str,
        env: dict[str, str] | None = None,
        record: str | os.PathLike[str] | None = None,
        passthrough: TextIO | None = None,
        passthrough_err: TextIO | None = None,
        observe: bool = True,
        trace: bool = False,
        spool: bool = False,
    ) -> None:
        """``spool``: the recording is the only consumer (``record --full``): the
        collector spools the rings and writes the recording when the run ends, and
        :meth:`events` serves nothing (see ``ipccore/monitor/spool.py``)."""
        if not argv or not all(isinstance(a, str) for a in argv):
            raise TypeError("argv must be a non-empty sequence of str")
        super().__init__(title)
        self.argv = list(argv)
        self._env = env
        self._record = record
        self._passthrough = passthrough
        self._passthrough_err = passthrough_err
        self.process: asyncio.subprocess.Process | None = None
        self.returncode: int | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._stopped = False
        self.observe = observe
        """Also sample the tree from the kernel (channels, signal masks, I/O)."""
        self.watcher: TreeWatcher | None = None
        self.trace = trace
        """Run the program under strace (every message, slower)."""
        self.tracer: Tracer | None = None
        self.spool = spool
        if spool and record is None:
            raise ValueError("spool=True needs a recording (record=) to write")
        if trace:
            strace_path()  # TraceUnavailable now, not after the collector started
            self._title = f"{title} ({SLOWDOWN_NOTE})"

    @classmethod
    def for_demo(
        cls, name: str, speed: float = 1.0, extra_args: Sequence[str] = (), **kwargs: object
    ) -> LiveSource:
        """``python -m ipccore demo NAME --speed F ...`` with the same interpreter."""
        if not isinstance(name, str) or not name:
            raise ValueError("demo name must be a non-empty str")
        if not speed > 0:
            raise ValueError("speed must be positive")
        argv = [sys.executable, "-m", "ipccore", "demo", name, "--speed", str(speed),
                *extra_args]
        return cls(argv, title=f"demo {name}", **kwargs)  # type: ignore[arg-type]

    async def start(self) -> None:
        collector = self.collector = Collector(record=self._record, spool=self.spool)
        await collector.start()
        env = dict(os.environ if self._env is None else self._env)
        env["IPCCORE_MONITOR"] = str(collector.path)
        env["IPCCORE_PDEATHSIG"] = str(os.getpid())
        env.setdefault("PYTHONUNBUFFERED", "1")
        argv = self.argv
        if self.trace:
            self.tracer = Tracer(collector, None)
            self.tracer.prepare()
            argv = strace_argv(self.tracer.output, command=self.argv)
        self.process = await asyncio.create_subprocess_exec(
            *argv, env=env, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        collector.registry.top = self.process.pid
        if self.tracer is None:
            collector.registry.add_pid(self.process.pid)
        if self.observe or self.tracer is not None:
            self.watcher = TreeWatcher(collector, [self.process.pid])
            if self.tracer is not None:
                self.watcher.transparent.add(self.process.pid)
                self.tracer.watcher = self.watcher
                self.tracer.start()
            self.watcher.start()
        self._tasks = [
            asyncio.create_task(self._drain(self.process.stdout, "io.stdout")),
            asyncio.create_task(self._drain(self.process.stderr, "io.stderr")),
            asyncio.create_task(self._wait()),
        ]

    async def _drain(self, stream: asyncio.StreamReader | None, kind: str) -> None:
        """Read the program's output so it never blocks; make events only for output
        the program did not report itself (it is not attached: no connection from it)."""
        if stream is None:
            return
        collector, pid = self._need(), self.process.pid if self.process else 0
        out = self._passthrough if kind == "io.stdout" else self._passthrough_err
        while True:
            try:
                line = await stream.readline()
            except ValueError:
                line = await stream.read(65536)
            if not line:
                return
            if out is not None:
                with contextlib.suppress(OSError, ValueError):
                    out.write(line.decode("utf-8", "replace"))
                    out.flush()
            if self.tracer is not None and line.startswith(b"strace: "):
                text = explain(line.rstrip(b"\n").decode("utf-8", "backslashreplace"))
                collector.inject("error", {"op": "trace", "error": "TraceFailed",
                                           "message": text[:LINE_MAX]}, pid=pid)
            elif pid not in collector.attached:
                text = line.rstrip(b"\n").decode("utf-8", "backslashreplace")
                collector.inject(kind, {"line": text[:LINE_MAX]}, pid=pid)

    async def _wait(self) -> None:
        proc = self.process
        if proc is None:
            return
        rc = await proc.wait()
        self.returncode = rc
        if self.tracer is not None:
            self.tracer.poll(final=True)  # strace is done: its file is complete
        code, sig = (rc, None) if rc >= 0 else (None, -rc)
        self._need().program_ended(proc.pid, code, sig)

    async def wait(self) -> int:
        """The program's return code (negative: killed by that signal)."""
        await asyncio.gather(*self._tasks, return_exceptions=True)
        assert self.returncode is not None
        return self.returncode

    async def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        proc, collector = self.process, self.collector
        if proc is not None and proc.returncode is None:
            await _terminate(proc)
        if self.tracer is not None:
            await self.tracer.stop()
        if self.watcher is not None:
            await self.watcher.stop()
            _kill_watched(self.watcher)
        if collector is not None:
            _kill_strays(collector)
        for task in self._tasks:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(task), STOP_GRACE_S)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if collector is not None:
            _remove_created_queues(collector)
            await collector.close()


async def _terminate(proc: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(proc.wait(), STOP_GRACE_S)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()


def _kill_strays(collector: Collector) -> None:
    """SIGKILL monitored processes still alive after the top one ended (orphans).

    Only pids with an open connection: a known pid that exited may have been reused by
    a process that is not ours.
    """
    me = os.getpid()
    for pid in sorted(collector.connected_pids()):
        if pid <= 1 or pid == me:
            continue
        with contextlib.suppress(psutil.Error):
            proc = psutil.Process(pid)
            if proc.status() != psutil.STATUS_ZOMBIE and proc.uids().real == os.getuid():
                proc.kill()


def _kill_watched(watcher: TreeWatcher) -> None:
    """SIGKILL what the launched program left running (orphans that never attached):
    only processes seen in its tree, still the same process (start time), of our uid."""
    me = os.getpid()
    for pid in watcher.alive():
        if pid > 1 and pid != me and pid not in watcher.foreign:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


def _remove_created_queues(collector: Collector) -> None:
    for info in list(collector.registry.queues.values()):
        if not info.created:
            continue
        with contextlib.suppress(sysv_ipc.Error, OSError, ValueError):
            queue = sysv_ipc.MessageQueue(info.key)
            if queue.id == info.msqid:
                queue.remove()


class AttachSource(_CollectorSource):
    """A collector at ``path`` for programs started by hand with ``IPCCORE_MONITOR=path``.

    The path's directory must be yours with mode 0700 (``ValueError`` otherwise), so no
    other user can read the stream or feed it.
    """

    def __init__(self, path: str | os.PathLike[str], *, title: str | None = None,
                 record: str | os.PathLike[str] | None = None) -> None:
        super().__init__(title or f"attach {os.fspath(path)}")
        self.path = os.fspath(path)
        self._record = record

    async def start(self) -> None:
        self.collector = Collector(self.path, record=self._record)
        await self.collector.start()

    async def stop(self) -> None:
        if self.collector is not None:
            await self.collector.close()
