"""``Pool.get_process(worker_id)``: a :class:`Process` that always names the live worker.

Its ``pid`` is read from the pool's shared board on every access, so an object fetched
before a worker restarted names the new process (Swoole cached the object and with it
the dead pid, #4231). Its ``id`` is ``worker_id + 1`` (Process ids start at 1), so
``push()`` through it tags messages ``worker_id + 2``: never 0, which ``msgsnd`` refuses
with EINVAL (Swoole's worker 0 pushed with mtype 0, #2652). Under ``IPC_UNIXSOCK`` its
pipe is the worker's socket: in the worker itself its own end (``read()`` gets what
others send it, ``write()`` answers), anywhere else the other end (``write()`` sends to
the worker).
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

from ipccore._sockets import private_buffer, sndbuf_cap
from ipccore.errors import IPCError
from ipccore.process import Process

if TYPE_CHECKING:
    from ipccore.pool_board import Board


def _not_here(_worker: Process) -> None:  # pragma: no cover - never started
    raise IPCError("a pool worker runs the pool's callbacks")


class WorkerProcess(Process):
    """The Process view of one pool worker; the pool starts and restarts it."""

    def __init__(self, board: Board, worker_id: int, sock: socket.socket | None) -> None:
        self._board = board
        self.worker_id = worker_id
        super().__init__(_not_here, pipe_type=0)
        self.id = worker_id + 1
        if sock is not None:
            self._sock = sock
            self.pipe = sock.fileno()
            self.pipe_type = 2
            self._rbuf = private_buffer(sndbuf_cap())
            self._bind()

    @property
    def pid(self) -> int | None:
        """The pid of the process that is worker ``worker_id`` now (None before start)."""
        return self._board.pid(self.worker_id) or None

    @pid.setter
    def pid(self, _value: int | None) -> None:
        """Process.__init__ assigns None; the board is the only source."""

    @property
    def _peer(self) -> int | None:
        return self.pid

    @_peer.setter
    def _peer(self, _value: int | None) -> None:
        pass

    def start(self) -> int:
        raise IPCError("a pool worker is started (and restarted) by Pool.start()")

    def __repr__(self) -> str:
        return (f"<WorkerProcess worker_id={self.worker_id} pid={self.pid} pipe={self.pipe} "
                f"msg_queue_id={self.msg_queue_id}>")
