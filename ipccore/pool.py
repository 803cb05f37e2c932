"""``Pool``: Swoole\\Process\\Pool in Python — N workers, supervised, fed by a SysV queue
or by Unix sockets.

This module is the API (arguments checked before anything is created or forked); the
master's loop lives in :mod:`ipccore.pool_master`, a worker's life in
:mod:`ipccore.pool_worker`, the shared pid/in-hand table in :mod:`ipccore.pool_board`.
See ``docs/pool.md`` for the semantics and where they differ from Swoole.
"""

from __future__ import annotations

import math
import os
import signal
import socket
from collections.abc import Callable
from typing import Any

from ipccore import _sysv
from ipccore.constants import IPC_MSGQUEUE, IPC_NONE, IPC_UNIXSOCK
from ipccore.errors import IPCError, MessageTooLarge, NotStarted, WorkerGone
from ipccore.keys import KEY_MAX
from ipccore.pool_board import Board
from ipccore.pool_process import WorkerProcess

EVENTS = ("workerstart", "workerstop", "message", "start", "shutdown")
"""``on()`` names, matched case-insensitively like Swoole's."""
IPC_SOCKET = 3
"""Swoole's TCP/Unix listening mode; not provided (see ``docs/pool.md``)."""
WORKERS_MAX = 1024
MAX_PACKAGE_SIZE = 2 * 1024 * 1024
"""Default biggest IPC_UNIXSOCK message (Swoole's ``max_package_size`` default)."""
MAX_WAIT_TIME = 3.0
"""Default bound on a graceful stop (Swoole's server ``max_wait_time`` is 3 s)."""
_PHP_ONLY = {
    "enable_message_bus": "messages are never cut here, so there is nothing to reassemble",
}


def _check_bool(name: str, value: object) -> bool:
    if not isinstance(value, int):
        raise TypeError(f"{name} must be a bool, not {type(value).__name__}")
    return bool(value)


class Pool:
    """A master that keeps ``worker_num`` workers alive and feeds them messages.

    ``start()`` blocks in the master until the pool is shut down (SIGTERM/SIGINT to the
    master, or ``shutdown()``): workers get SIGTERM, finish the message in hand, run
    WorkerStop, and are waited for up to ``max_wait_time`` seconds (then SIGKILLed); the
    queue is removed; ``start()`` returns True.
    """

    def __init__(
        self,
        worker_num: int,
        ipc_type: int = IPC_NONE,
        msgqueue_key: int = 0,
        enable_coroutine: bool = False,
    ) -> None:
        if type(worker_num) is not int:
            raise TypeError(f"worker_num must be an int, not {type(worker_num).__name__}")
        if not 1 <= worker_num <= WORKERS_MAX:
            raise ValueError(f"worker_num must be in 1..{WORKERS_MAX}, got {worker_num}")
        if type(ipc_type) is not int:
            raise TypeError(f"ipc_type must be an int, not {type(ipc_type).__name__}")
        if ipc_type == IPC_SOCKET:
            raise ValueError("IPC_SOCKET (a TCP listener fed to workers) is not provided: "
                             "use asyncio.start_server in WorkerStart, or IPC_UNIXSOCK")
        if ipc_type not in (IPC_NONE, IPC_UNIXSOCK, IPC_MSGQUEUE):
            raise ValueError("ipc_type must be IPC_NONE (0), IPC_UNIXSOCK (1) or "
                             f"IPC_MSGQUEUE (2), not {ipc_type}")
        if type(msgqueue_key) is not int:
            raise TypeError(f"msgqueue_key must be an int, not {type(msgqueue_key).__name__}")
        if not 0 <= msgqueue_key <= KEY_MAX:
            raise ValueError(f"msgqueue_key must be in 0..{KEY_MAX:#x}, got {msgqueue_key}")
        self.worker_num = worker_num
        self.ipc_type = ipc_type
        self.msgqueue_key: int | None = msgqueue_key if ipc_type == IPC_MSGQUEUE else None
        """The queue's key (``msgqueue_key``, or the script's key when that is 0)."""
        self.enable_coroutine = _check_bool("enable_coroutine", enable_coroutine)
        self.max_wait_time = MAX_WAIT_TIME
        self.max_package_size = MAX_PACKAGE_SIZE
        self.master_pid: int | None = None
        """The master's pid once ``start()`` runs."""
        self.worker_id = -1
        """In a worker its id (0..worker_num-1); -1 in the master."""
        self.worker_pid: int | None = None
        """In a worker its pid; None in the master."""
        self.running = False
        """True while the pool (in the master) or this worker runs; a worker's SIGTERM
        sets it to False: an IPC_NONE WorkerStart loop should test it."""
        self._callbacks: dict[str, Callable[..., Any]] = {}
        self._board: Board | None = None
        self._msgmax = 0
        self._master_sockets: list[socket.socket] = []
        self._worker_sockets: list[socket.socket] = []
        self._master_only: list[Any] = []
        self._control: socket.socket | None = None
        self._views: dict[int, WorkerProcess] = {}
        self._detached = False
        self._stop_requested = False

    def set(self, **options: Any) -> bool:
        """``enable_coroutine``, ``max_wait_time`` (seconds a stop waits for workers),
        ``max_package_size`` (largest IPC_UNIXSOCK message)."""
        for name in options:
            if name in _PHP_ONLY:
                raise ValueError(f"{name} is not provided: {_PHP_ONLY[name]}")
            if name not in ("enable_coroutine", "max_wait_time", "max_package_size"):
                raise ValueError(f"unknown Pool option {name!r}")
        if "max_wait_time" in options:
            wait = options["max_wait_time"]
            if isinstance(wait, bool) or not isinstance(wait, int | float):
                raise TypeError("max_wait_time must be a number of seconds")
            if not (wait > 0 and math.isfinite(wait)):
                raise ValueError(f"max_wait_time must be a finite number > 0, got {wait}")
        if "max_package_size" in options:
            size = options["max_package_size"]
            if type(size) is not int:
                raise TypeError("max_package_size must be an int")
            if not 1 <= size <= 64 << 20:
                raise ValueError(f"max_package_size must be in 1..64 MiB, got {size}")
        if "enable_coroutine" in options:
            self.enable_coroutine = _check_bool("enable_coroutine",
                                                options["enable_coroutine"])
        self.max_wait_time = float(options.get("max_wait_time", self.max_wait_time))
        self.max_package_size = int(options.get("max_package_size", self.max_package_size))
        return True

    def on(self, event: str, callback: Callable[..., Any]) -> bool:
        """``WorkerStart(pool, worker_id)``, ``WorkerStop(pool, worker_id)``,
        ``Message(pool, data)`` in workers; ``Start(pool, None)`` and
        ``Shutdown(pool, None)`` in the master. Names are case-insensitive."""
        if not isinstance(event, str):
            raise TypeError(f"event must be a str, not {type(event).__name__}")
        name = event.lower().removeprefix("on")
        if name not in EVENTS:
            raise ValueError(f"unknown event {event!r}: WorkerStart, WorkerStop, Message, "
                             "Start or Shutdown")
        if not callable(callback):
            raise TypeError("callback must be callable")
        if name == "message" and self.ipc_type == IPC_NONE:
            raise ValueError("a Message callback needs ipc_type IPC_MSGQUEUE or IPC_UNIXSOCK")
        self._callbacks[name] = callback
        return True

    def start(self) -> bool:
        """Run the master until shutdown; True when it ended cleanly."""
        if self.master_pid is not None:
            raise IPCError("this Pool was already started")
        has_start = "workerstart" in self._callbacks
        if "message" not in self._callbacks and not (
                self.ipc_type == IPC_UNIXSOCK and has_start):
            if self.ipc_type == IPC_MSGQUEUE:
                raise IPCError("an IPC_MSGQUEUE pool needs a Message callback")
            if not has_start:
                raise IPCError("a pool without a Message callback needs a WorkerStart "
                               "callback: it is the workers' whole life")
        from ipccore.pool_master import Supervisor

        self._msgmax = _sysv.msgmax()
        return Supervisor(self).run()

    def _is_worker(self) -> bool:
        return self.worker_id >= 0 and self.worker_pid == os.getpid()

    def get_process(self, worker_id: int = -1) -> WorkerProcess:
        """The Process of worker ``worker_id`` (-1: the calling worker), the same object
        on every call; its ``pid`` is always the worker's current pid."""
        if type(worker_id) is not int:
            raise TypeError(f"worker_id must be an int, not {type(worker_id).__name__}")
        if worker_id == -1:
            if not self._is_worker():
                raise IPCError("get_process() with no worker_id names the calling worker; "
                               "the master has to name one")
            worker_id = self.worker_id
        if not 0 <= worker_id < self.worker_num:
            raise WorkerGone(f"no worker {worker_id}: ids are 0..{self.worker_num - 1}")
        if self._board is None:
            raise NotStarted("get_process() needs a started pool (call it in a callback)")
        view = self._views.get(worker_id)
        if view is None:
            sock = None
            if self.ipc_type == IPC_UNIXSOCK:
                own = self._is_worker() and worker_id == self.worker_id
                sock = (self._worker_sockets if own else self._master_sockets)[worker_id]
            view = self._views[worker_id] = WorkerProcess(self._board, worker_id, sock)
        return view

    def send_message(self, data: bytes | str, worker_id: int) -> bool:
        """Send one message to worker ``worker_id``'s Message callback (IPC_UNIXSOCK),
        from the master or any worker. It waits in that worker's socket, which outlives
        the worker, so a restarted worker still gets it."""
        if self.ipc_type != IPC_UNIXSOCK:
            raise IPCError("send_message() needs ipc_type IPC_UNIXSOCK")
        body = data.encode() if isinstance(data, str) else data
        if not isinstance(body, bytes | bytearray | memoryview):
            raise TypeError(f"send_message() takes bytes or str, not {type(data).__name__}")
        if len(body) > self.max_package_size:
            raise MessageTooLarge(f"a {len(body)}-byte message is over max_package_size "
                                  f"({self.max_package_size}); raise it with set()")
        self.get_process(worker_id).write(bytes(body))
        return True

    def write(self, data: bytes | str) -> bool:
        """In a worker: send ``data`` out on its own socket (IPC_UNIXSOCK); whoever holds
        ``get_process(worker_id)`` reads it."""
        if not self._is_worker():
            raise IPCError("write() answers from a worker; the master uses send_message()")
        if self.ipc_type != IPC_UNIXSOCK:
            raise IPCError("write() needs ipc_type IPC_UNIXSOCK")
        self.get_process().write(data)
        return True

    def detach(self) -> bool:
        """In a worker: leave the pool. The master starts a replacement at once and no
        longer restarts this process; it takes no more messages and ends when its
        callback returns (no WorkerStop). It still dies with the master."""
        if not self._is_worker():
            raise IPCError("detach() is called in a worker")
        if self._detached:
            return False
        assert self._board is not None
        assert self._control is not None
        self._board.release(self.worker_id)
        self._detached = True
        self._control.send(f"detach {self.worker_id} {os.getpid()}".encode())
        return True

    def shutdown(self) -> bool:
        """Stop the pool: in the master at once, from a worker by asking the master."""
        if self._is_worker():
            assert self._control is not None
            self._control.send(b"shutdown")
            return True
        if self.master_pid != os.getpid():
            raise NotStarted("shutdown() needs a started pool")
        self._stop_requested = True
        return True

    def _enter_worker(self, worker_id: int) -> None:
        """In a new worker process: become worker ``worker_id``."""
        from ipccore.pool_worker import close_master_only

        signal.set_wakeup_fd(-1)  # the master's, inherited through fork
        self.worker_id = worker_id
        self.worker_pid = os.getpid()
        self.running = True
        self._views = {}
        assert self._board is not None
        self._board.set_pid(worker_id, self.worker_pid)
        close_master_only(self, worker_id)

    def __repr__(self) -> str:
        return (f"<Pool worker_num={self.worker_num} ipc_type={self.ipc_type} "
                f"master_pid={self.master_pid} worker_id={self.worker_id}>")
