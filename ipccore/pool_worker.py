"""A pool worker's life: WorkerStart, the message loop of its ipc type, WorkerStop.

SIGTERM asks a worker to stop, never kills it mid-message: the pool's handler only sets
``pool.running = False``. A worker waiting on its socket sleeps in ``select`` on a
wake-up fd (``signal.set_wakeup_fd``), so the signal ends the wait whenever it lands. A
worker waiting in ``msgrcv`` has no such tool (there is no ``msgrcv`` with a signal
mask), and a SIGTERM landing between its ``running`` test and the call would leave it
asleep; it says so on the board (``WAITING``) and the master repeats SIGTERM to such
workers until they are out. A message already taken is always handled to the end.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import select
import signal
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import sysv_ipc

from ipccore import _trace, timer
from ipccore._sockets import private_buffer, sndbuf_cap
from ipccore.constants import IPC_MSGQUEUE, IPC_UNIXSOCK
from ipccore.pool_board import IDLE, WAITING

if TYPE_CHECKING:
    from ipccore.pool import Pool


def call(pool: Pool, callback: Callable[..., Any] | None, arg: object) -> None:
    """``callback(pool, arg)``; an ``async def`` one runs in a fresh loop."""
    if callback is None:
        return
    result = callback(pool, arg)
    if inspect.isawaitable(result):
        awaitable = result
        timer.run(lambda: awaitable)


def run_worker(pool: Pool, worker_id: int) -> None:
    """The body of worker ``worker_id`` (the Process callback of every (re)spawn)."""
    pool._enter_worker(worker_id)

    def on_term(_sig: int, _frame: object) -> None:
        pool.running = False

    signal.signal(signal.SIGTERM, on_term)
    # Ctrl-C reaches the whole process group: the master alone turns it into a
    # graceful stop, a worker waits for the SIGTERM that follows.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    assert pool._board is not None
    pool._board.set_ready(worker_id, os.getpid())  # the master may SIGTERM it now
    call(pool, pool._callbacks.get("workerstart"), worker_id)
    if pool.ipc_type == IPC_MSGQUEUE:
        _queue_loop(pool, worker_id)
    elif pool.ipc_type == IPC_UNIXSOCK and "message" in pool._callbacks:
        _socket_loop(pool, worker_id)  # without Message the sockets are the user's
    if not pool._detached:
        call(pool, pool._callbacks.get("workerstop"), worker_id)


def _handle(pool: Pool, worker_id: int, data: bytes, via: str) -> None:
    """Run Message on a message already on the board; clear the board after."""
    board = pool._board
    assert board is not None
    em = _trace.emitter
    if em is not None:
        em.emit("pool.message", {"worker_id": worker_id, "nbytes": len(data), "via": via},
                data)
    try:
        call(pool, pool._callbacks.get("message"), data)
    finally:
        if not pool._detached:
            board.release(worker_id)


def _queue_loop(pool: Pool, worker_id: int) -> None:
    board = pool._board
    assert board is not None
    assert pool.msgqueue_key is not None
    msgmax = pool._msgmax
    mq = sysv_ipc.MessageQueue(pool.msgqueue_key, 0, max_message_size=msgmax)
    receive = mq.receive
    while pool.running and not pool._detached:
        board.set_state(worker_id, WAITING)
        if not pool.running:
            break
        try:
            data, mtype = receive(True, 0)
            board.hold(worker_id, data, mtype)  # first: the unprotected instant is here
        except sysv_ipc.ExistentialError:
            break  # the queue was removed: the pool is going away
        except sysv_ipc.Error as exc:
            if type(exc) is sysv_ipc.Error:  # EINTR: a handler ran; look at running
                continue
            raise
        em = _trace.emitter
        if em is not None:
            em.queue_io("queue.pop", pool.msgqueue_key, mq.id, mtype, len(data), data)
        _handle(pool, worker_id, data, "queue")
    if not pool._detached:
        board.set_state(worker_id, IDLE)


def _socket_loop(pool: Pool, worker_id: int) -> None:
    sock = pool._worker_sockets[worker_id]
    board = pool._board
    assert board is not None
    wake_r, wake_w = socket.socketpair()
    wake_w.setblocking(False)
    signal.set_wakeup_fd(wake_w.fileno(), warn_on_full_buffer=False)
    buf = private_buffer(sndbuf_cap())
    try:
        while pool.running and not pool._detached:
            ready, _, _ = select.select([sock, wake_r], [], [])
            if wake_r in ready:
                with contextlib.suppress(BlockingIOError):
                    wake_r.recv(4096)
            if not pool.running or sock not in ready:
                continue
            try:
                n = sock.recv_into(buf, 0, socket.MSG_DONTWAIT)
            except BlockingIOError:
                continue  # someone else (a get_process() reader) took it
            if n == 0:
                break
            data = buf[:n]
            board.hold(worker_id, data, 1)
            em = _trace.emitter
            if em is not None:
                em.pipe_io("pipe.read", sock.fileno(), pool.master_pid, n, "pipe", data)
            _handle(pool, worker_id, data, "socket")
    finally:
        signal.set_wakeup_fd(-1)
        wake_r.close()
        wake_w.close()
        buf.close()


def close_master_only(pool: Pool, worker_id: int) -> None:
    """In a new worker: drop the fds only the master uses, and the other workers' ends."""
    for fd_owner in pool._master_only:
        fd_owner.close()
    for wid, sock in enumerate(pool._worker_sockets):
        if wid != worker_id:
            sock.close()
