"""The collector: one socket, any number of processes, one ordered stream.

It wires its parts, each a module of one job: ``intake`` (connections, peer identity,
line checks), ``drain`` (the shared-memory rings), ``spool`` (a ring's bytes on disk
until the run ends, when the only consumer is the recording), ``stream`` (ordering,
numbering, recording, serving), ``sampling`` (psutil and queue samples, vanished pids)
and ``ending`` (``monitor.end`` once every process closed). ``registry`` holds what it has
learnt about the program (pids, pipe ends, queues) for the commands and the samplers.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from ipccore.monitor.drain import Rings
from ipccore.monitor.ending import EndBarrier
from ipccore.monitor.intake import MAX_LINE, Intake, Rejects
from ipccore.monitor.privdir import SOCKET_NAME, SUN_PATH_MAX, make_private_dir, reclaim_stale_dirs
from ipccore.monitor.registry import Registry
from ipccore.monitor.sampling import GONE_GRACE_S, Sampling
from ipccore.monitor.stream import Stream
from ipcevents.events import Event

__all__ = ["GONE_GRACE_S", "MAX_LINE", "Collector", "check_private_dir"]

PUMP_S = 0.01
"""How often the rings are drained and ripe events released."""


def check_private_dir(path: Path) -> None:
    """Refuse a socket path whose directory is not ours with mode 0700, or that is too
    long for a Unix socket (ValueError)."""
    if len(os.fsencode(path)) > SUN_PATH_MAX:
        raise ValueError(
            f"cannot use {str(path)!r}: a Unix socket's path has at most {SUN_PATH_MAX} "
            f"bytes, this one has {len(os.fsencode(path))}"
        )
    try:
        st = path.parent.stat()
    except OSError as exc:
        raise ValueError(f"cannot use {str(path)!r}: {exc.strerror}") from None
    if st.st_uid != os.getuid() or st.st_mode & 0o077:
        raise ValueError(
            f"refusing {str(path)!r}: its directory must belong to you and have mode 0700 "
            f"(it has owner uid {st.st_uid}, mode {oct(st.st_mode & 0o777)})"
        )


class Collector:
    """One socket, any number of processes, one ordered stream."""

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        record: str | os.PathLike[str] | None = None,
        reorder_s: float = 0.04,
        stats_interval: float = 0.5,
        depth_interval: float = 0.09,
        uid: int | None = None,
        buffer_max: int = 200_000,
        spool: bool = False,
    ) -> None:
        """``spool``: the recording is the only consumer (``record --full``): the rings'
        records are copied to disk as they come and decoded, ordered and recorded when
        the run ends (``spool.py``); :meth:`events` serves nothing and just ends."""
        if spool and record is None:
            raise ValueError("spool=True needs a recording (record=) to write")
        self._own_dir: Path | None = None
        if path is None:
            reclaim_stale_dirs()
            self._own_dir = make_private_dir()
            self.path = self._own_dir / SOCKET_NAME
        else:
            self.path = Path(path)
            check_private_dir(self.path)
        self.reorder_s = reorder_s
        self.uid = os.getuid() if uid is None else uid
        self.registry = Registry()
        self._stream = Stream(reorder_s, Path(record) if record is not None else None,
                              buffer_max, spool=spool)
        self._rejects = Rejects()
        self._end = EndBarrier(self.path)
        self._intake = Intake(
            self.uid, self.registry, self._stream, self._rejects,
            on_ring=self._on_ring, on_closed=self._on_closed, on_seen=self._on_seen,
            is_barrier=self._on_barrier,
        )
        self._rings = Rings(self.path.parent, self.uid, self._stream, self._rejects,
                            self._intake, spool=spool)
        self._sampling = Sampling(self.registry, self._stream, self.connected_pids,
                                  stats_interval, depth_interval)
        self._server: asyncio.Server | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._closed = False

    # -- what others read ---------------------------------------------------------------
    # One read-only property per fact a part keeps, alike by design (the duplicate finder
    # pairs them by shape).

    @property
    def attached(self) -> set[int]:
        """Every pid that ever connected (its output is already reported by its tee)."""
        return self._intake.attached

    @property
    def invalid(self) -> int:
        """Lines, records and peers rejected so far."""
        return self._rejects.total

    @property
    def refused(self) -> int:
        """Connections refused (another uid)."""
        return self._intake.refused

    @property
    def dropped(self) -> int:
        """Released events the reader had no room for."""
        return self._stream.dropped

    @property
    def spooling(self) -> bool:
        """Rings go to disk and are decoded when the run ends (``spool=True``)."""
        return self._rings.spooling

    @property
    def taken_in_at(self) -> float:
        """Wall-clock time when a connection's ring was last drained at its end: once
        every process closed, the moment the collector had taken in everything (0 if
        none closed yet)."""
        return self._rings.last_closed_at

    def connected_pids(self) -> set[int]:
        """Pids with an open connection: certainly alive and certainly ours."""
        return set(self._intake.conns.values())

    # -- life ---------------------------------------------------------------------------

    async def start(self) -> None:
        self._server = await asyncio.start_unix_server(self._intake.serve, path=str(self.path))
        self.path.chmod(0o600)
        self._stream.open()
        self._tasks = [asyncio.create_task(self._pump()),
                       asyncio.create_task(self._sampling.run())]

    async def _pump(self) -> None:
        while not self._closed:
            await asyncio.sleep(PUMP_S)
            self._rings.drain_all()
            if self._rings.spooling:
                # Nothing goes out before the run is over: the spools come first.
                self._rejects.report(self._stream)
            else:
                self._release(time.time() - self.reorder_s)

    def _release(self, upto: float) -> None:
        self._rejects.report(self._stream)
        self._stream.release(upto)

    def inject(
        self, kind: str, fields: dict[str, Any], pid: int | None = None, ts: float | None = None
    ) -> None:
        """Add an event made by the monitor itself (samples, commands, end).

        ``ts`` is for a command's event, stamped before the command acted: its effects
        (a child's ``signal.handle``) must not sort before their cause.
        """
        draft = self._stream.inject(kind, fields, pid, ts)
        if draft is not None:  # None: after ``monitor.end``
            self.registry.learn(draft[1], kind, fields)

    def inject_traced(self, event: Event) -> None:
        """Add an event a tracer saw (strace) in the lane of its process, ``-pid``
        (connections count up from 1, the monitor's injects use 0): like a connection's,
        its order and ``ts`` are kept, and a read waits for its write from another lane."""
        if self._stream.finished.is_set():
            return
        self._stream.push(-event.pid, (event.ts, event.pid, event.kind, event.fields))
        self.registry.learn(event.pid, event.kind, event.fields)

    def take_all(self) -> list[Event]:
        """Release every buffered event now and take the served ones off the queue, for a
        caller that does not iterate :meth:`events` (a test checking what was reported)."""
        self._release(float("inf"))
        return self._stream.take_served()

    def events(self) -> AsyncIterator[Event]:
        """The ordered events; ends after ``monitor.end`` (or when closed)."""
        return self._stream.events()

    # -- the intake's callbacks ---------------------------------------------------------

    def _on_ring(self, conn: int, pid: int, name: str) -> None:
        self._rings.open(conn, pid, name)

    def _on_seen(self, pid: int) -> None:
        self._sampling.sample_first(pid)

    def _on_closed(self, conn: int) -> None:
        self._rings.close(conn)
        self._stream.close_lane(conn)
        self._maybe_end()
        if not self._rings.spooling and not self._stream.finished.is_set():
            # The process's last events were just drained: serve them as soon as the
            # reorder window allows, not at the pump's next tick (up to PUMP_S later; a
            # run's end waits for them).
            asyncio.get_running_loop().call_later(self.reorder_s, self._release_ripe)

    def _release_ripe(self) -> None:
        if not self._closed and not self._stream.finished.is_set():
            self._release(time.time() - self.reorder_s)

    def _on_barrier(self, pid: int) -> bool:
        if not self._end.take(pid):
            return False
        self._maybe_end()
        return True

    # -- end ----------------------------------------------------------------------------

    def program_ended(self, pid: int, code: int | None, sig: int | None) -> None:
        """The launched program was reaped; ``monitor.end`` follows once all peers closed."""
        self.registry.exits[pid] = (code, sig)
        self._end.program_ended(code, sig)
        self._maybe_end()

    def _maybe_end(self) -> None:
        ended = self._end.ended
        if ended is None or not self._end.due(len(self._intake.conns)) \
                or self._stream.finished.is_set():
            return
        self._sampling.check_gone(time.monotonic(), final=True)
        code, sig = ended
        self._rings.unspool(self._release)
        self._rejects.report(self._stream)
        self.inject("monitor.end", {"code": code, "signal": sig})
        self._release(float("inf"))
        self._stream.finish()

    async def wait_finished(self) -> None:
        await self._stream.finished.wait()

    async def close(self) -> None:
        """Stop serving, flush what is buffered, remove the socket and private dir."""
        if self._closed:
            return
        self._closed = True
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._end.close()
        self._rings.close_all()
        self._rings.unspool(self._release)
        self._intake.close_all()
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 1.0)
        self._release(float("inf"))
        self._stream.finish()
        self._stream.close_record()
        with contextlib.suppress(OSError):
            self.path.unlink()
        if self._own_dir is not None:
            shutil.rmtree(self._own_dir, ignore_errors=True)
