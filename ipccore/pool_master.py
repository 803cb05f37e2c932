"""The pool's master: start the workers, restart the ones that end, stop them gracefully.

The master sleeps in ``select`` on a wake-up fd (``signal.set_wakeup_fd``) and on the
workers' control socket, and reaps with ``waitpid(WNOHANG)`` every time it wakes, so a
child that exits is reaped and replaced at once, whatever else the program does with
its signals (Swoole's SIGCHLD callback waited for its event loop, #1366). SIGTERM or
SIGINT starts a graceful stop: workers get SIGTERM, the master waits for every one of
them up to ``max_wait_time`` and SIGKILLs what is left, then removes the queue (Swoole's
pool exited without waiting, #4438). SIGUSR1 restarts every worker (SIGTERM; each is
replaced when it has ended).
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import time
from typing import TYPE_CHECKING, Any

import sysv_ipc

from ipccore import _trace, signals
from ipccore.constants import IPC_MSGQUEUE, IPC_UNIXSOCK, MODE_BALANCE
from ipccore.pool_board import WAITING, Board
from ipccore.pool_worker import call, run_worker
from ipccore.process import Process

if TYPE_CHECKING:
    from ipccore.pool import Pool

RESIGNAL_S = 0.2
"""How often a stopping master repeats SIGTERM to workers still waiting in msgrcv."""
_MASTER_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1, signal.SIGCHLD)


def _emit(kind: str, fields: dict[str, Any], data: bytes | None = None) -> None:
    em = _trace.emitter
    if em is not None:
        em.emit(kind, fields, data)


def _never(_worker: Process) -> None:  # pragma: no cover - a queue handle, never started
    return None


class Supervisor:
    """One run of ``Pool.start()`` in the master."""

    def __init__(self, pool: Pool) -> None:
        self.pool = pool
        self.pids: dict[int, int] = {}
        """Live worker pid -> worker id."""
        self.detached: set[int] = set()
        self.pending: list[tuple[int, bytes, int]] = []
        """Messages to give back (worker id, body, mtype) that did not fit yet."""
        self.stopping = False
        self.termed: set[int] = set()
        """Pids the stop has sent SIGTERM to."""
        self.deadline = 0.0
        self.killed = 0
        self.reload = False
        self.reaped: list[tuple[int, int]] = []
        """(pid, status) reaped but not yet acted on."""
        self._queue: Process | None = None
        self._mq: Any = None

    # -- setup and teardown -------------------------------------------------------

    def run(self) -> bool:
        pool = self.pool
        pool.master_pid = os.getpid()
        pool.running = True
        slot = pool._msgmax if pool.ipc_type == IPC_MSGQUEUE else pool.max_package_size
        pool._board = Board(pool.worker_num, slot if pool.ipc_type else 0)
        wake_r, wake_w = socket.socketpair()
        wake_r.setblocking(False)
        wake_w.setblocking(False)
        ctl_r, ctl_w = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pool._control = ctl_w
        pool._master_only = [wake_r, wake_w, ctl_r]
        self._wake, self._ctl = wake_r, ctl_r
        old_handlers: dict[int, Any] = {}
        old_wakeup = -1
        try:
            self._open_ipc()
            for num in _MASTER_SIGNALS:
                old_handlers[num] = signal.signal(num, self._on_signal)
            old_wakeup = signal.set_wakeup_fd(wake_w.fileno(), warn_on_full_buffer=False)
            _emit("pool.start", {
                "workers": pool.worker_num, "ipc_type": pool.ipc_type,
                "key": pool.msgqueue_key,
                "msqid": None if self._queue is None else self._queue.msg_queue_id})
            for wid in range(pool.worker_num):
                self._spawn(wid, None)
            call(pool, pool._callbacks.get("start"), None)
            self._loop()
            call(pool, pool._callbacks.get("shutdown"), None)
        finally:
            self._stop_all_now()
            signal.set_wakeup_fd(old_wakeup, warn_on_full_buffer=False)
            for signum, old in old_handlers.items():
                signal.signal(signum, old)
            self._close(wake_r, wake_w, ctl_r, ctl_w)
            pool.running = False
        _emit("pool.end", {"killed": self.killed})
        return True

    def _open_ipc(self) -> None:
        pool = self.pool
        if pool.ipc_type == IPC_MSGQUEUE:
            self._queue = Process(_never, pipe_type=0)
            self._queue.use_queue(pool.msgqueue_key or 0, MODE_BALANCE)
            pool.msgqueue_key = self._queue.msg_queue_key
            self._mq = sysv_ipc.MessageQueue(pool.msgqueue_key, 0,
                                             max_message_size=pool._msgmax)
        elif pool.ipc_type == IPC_UNIXSOCK:
            for _ in range(pool.worker_num):
                a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
                pool._master_sockets.append(a)
                pool._worker_sockets.append(b)

    def _close(self, *socks: socket.socket) -> None:
        pool = self.pool
        for sock in (*socks, *pool._master_sockets, *pool._worker_sockets):
            sock.close()
        for view in pool._views.values():
            view._sock = None
            view.pipe = None
            view._bind()
        if self._queue is not None:
            self._queue.free_queue()
        if pool._board is not None:
            pool._board.close()

    # -- the loop -----------------------------------------------------------------

    def _on_signal(self, signum: int, _frame: object) -> None:
        if signum in (signal.SIGTERM, signal.SIGINT):
            self.pool._stop_requested = True
        elif signum == signal.SIGUSR1:
            self.reload = True
        elif signum == signal.SIGCHLD:
            self._collect()

    def _loop(self) -> None:
        pool = self.pool
        while True:
            self._reap()
            if pool._stop_requested and not self.stopping:
                self._begin_stop()
            if self.stopping and not self.pids and not self.detached:
                return
            if self.reload:
                self.reload = False
                for pid in self._ready():
                    signals.kill(pid, signal.SIGTERM)
            self._give_back()
            timeout = None
            if self.stopping:
                timeout = max(min(RESIGNAL_S, self.deadline - time.monotonic()), 0.0)
            elif self.pending:
                timeout = 0.05
            try:
                ready, _, _ = select.select([self._wake, self._ctl], [], [], timeout)
            except InterruptedError:  # pragma: no cover - PEP 475 retries select
                ready = []
            if self._wake in ready:
                with contextlib.suppress(BlockingIOError):
                    self._wake.recv(4096)
            if self._ctl in ready:
                self._control()
            if self.stopping:
                self._press_stop()

    def _control(self) -> None:
        while True:
            try:
                msg = self._ctl.recv(256, socket.MSG_DONTWAIT).decode(errors="replace")
            except BlockingIOError:
                return
            words = msg.split()
            if words == ["shutdown"]:
                self.pool._stop_requested = True
            elif len(words) == 3 and words[0] == "detach" and words[2].isdigit():
                pid = int(words[2])
                wid = self.pids.pop(pid, None)
                if wid is not None:
                    self.detached.add(pid)
                    _emit("pool.detach", {"worker_id": wid, "child": pid})
                    if not self.stopping:
                        self._spawn(wid, pid)

    def _collect(self) -> None:
        """Reap every ended child now (also from the SIGCHLD handler, so a master busy
        in a Start callback leaves no zombie); the loop acts on them later, since a
        handler must not fork or emit (the emitter is not reentrant)."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.reaped.append((pid, status))

    def _reap(self) -> None:
        self._collect()
        while self.reaped:
            pid, status = self.reaped.pop(0)
            sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0
            code = 0 if sig else os.waitstatus_to_exitcode(status)
            _emit("proc.reap", {"child": pid, "code": code, "signal": sig})
            self._ended(pid, code, sig)

    def _ended(self, pid: int, code: int, sig: int) -> None:
        pool = self.pool
        if pid in self.detached:
            self.detached.discard(pid)
            return
        wid = self.pids.pop(pid, None)
        if wid is None:
            return
        board = pool._board
        assert board is not None
        held = board.in_hand(wid) if board.pid(wid) == pid else None
        if held is not None:
            self.pending.append((wid, *held))
        board.release(wid)  # the next worker of this id starts with an empty slot
        _emit("pool.exit", {"worker_id": wid, "child": pid, "code": code, "signal": sig,
                            "requeued": held is not None})
        if not (self.stopping or pool._stop_requested):
            self._spawn(wid, pid)

    def _spawn(self, wid: int, previous: int | None) -> None:
        pool = self.pool

        def body(_worker: Process, wid: int = wid) -> None:
            run_worker(pool, wid)

        proc = Process(body, pipe_type=0)
        pid = proc.start()
        assert pool._board is not None
        pool._board.set_pid(wid, pid)
        self.pids[pid] = wid
        _emit("pool.spawn", {"worker_id": wid, "child": pid, "restart": previous is not None,
                             "previous": previous})

    def _give_back(self) -> None:
        """Return messages that died in a worker's hands to the queue / the socket."""
        pool, left = self.pool, []
        for wid, body, mtype in self.pending:
            try:
                if self._mq is not None:
                    self._mq.send(body, False, max(mtype, 1))
                    em = _trace.emitter
                    if em is not None:
                        em.queue_io("queue.push", pool.msgqueue_key, self._mq.id,
                                    max(mtype, 1), len(body), body)
                elif pool.ipc_type == IPC_UNIXSOCK:
                    pool._master_sockets[wid].send(body, socket.MSG_DONTWAIT)
            except (sysv_ipc.BusyError, BlockingIOError):
                left.append((wid, body, mtype))
                continue
            _emit("pool.requeue", {"worker_id": wid, "nbytes": len(body)}, body)
        self.pending = left

    # -- stopping -----------------------------------------------------------------

    def _begin_stop(self) -> None:
        self.stopping = True
        self.deadline = time.monotonic() + self.pool.max_wait_time
        _emit("pool.stop", {"wait": self.pool.max_wait_time,
                            "workers": len(self.pids) + len(self.detached)})
        for pid in (*self._ready(), *self.detached):
            signals.kill(pid, signal.SIGTERM)
            self.termed.add(pid)

    def _ready(self) -> list[int]:
        """Live workers whose SIGTERM handler is in place (see Board.ready)."""
        board = self.pool._board
        assert board is not None
        return [pid for pid, wid in self.pids.items() if board.ready(wid) == pid]

    def _press_stop(self) -> None:
        """Repeat SIGTERM to workers asleep in msgrcv; past the deadline, SIGKILL."""
        board = self.pool._board
        assert board is not None
        if time.monotonic() >= self.deadline:
            for pid in (*self.pids, *self.detached):
                if signals.kill(pid, signal.SIGKILL):
                    self.killed += 1
            self.deadline = float("inf")
            return
        for pid in self._ready():
            if pid not in self.termed:  # it was still STARTING at the first round
                signals.kill(pid, signal.SIGTERM)
                self.termed.add(pid)
        for pid, wid in self.pids.items():
            if board.state(wid) == WAITING and board.pid(wid) == pid:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)

    def _stop_all_now(self) -> None:
        """Leaving start() by an exception: no worker may outlive it, none left unreaped."""
        self._collect()
        done = {pid for pid, _ in self.reaped}
        live = [pid for pid in (*self.pids, *self.detached) if pid not in done]
        for pid in live:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for pid in live:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        self.pids.clear()
        self.detached.clear()

