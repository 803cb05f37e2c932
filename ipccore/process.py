"""``Process``: Swoole\\Process in Python. Lean on purpose: the work lives in ``pipe``,
``lifecycle``, ``signals``, ``timer`` and ``queue``; this class holds the state and the API.
"""

from __future__ import annotations

import inspect
import os
import signal as _signal
import socket
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar

import setproctitle

from ipccore import _trace, lifecycle, procctl, signals, timer
from ipccore._prctl import set_comm
from ipccore.constants import PIPE_TYPE_DGRAM, PIPE_TYPE_NONE, PIPE_TYPE_STREAM
from ipccore.errors import IPCError
from ipccore.pipe import PipeMixin
from ipccore.queue import QueueMixin
from ipccore.signals import WaitResult
from ipcevents.procname import own_ps_name

_PIPE_TYPES = frozenset({PIPE_TYPE_NONE, PIPE_TYPE_STREAM, PIPE_TYPE_DGRAM})
"""Also ``socket.SOCK_STREAM``/``SOCK_DGRAM``, which equal 1 and 2 as in Swoole."""

# setproctitle finds the argv/environ area on first use; doing it at import, before the
# program edits its environment or memory gets reused, keeps name() reliable later.
setproctitle.getproctitle()


class Process(QueueMixin, PipeMixin):
    """A child process with a pipe (and optionally a SysV queue) back to its master.

    ``callback(worker)`` runs in the child with this same object, whose ``pid`` is then
    the child's own pid and ``pipe`` the worker end. The child ends with code 0 when the
    callback returns, ``n`` on ``exit(n)``/``sys.exit(n)``, 255 on an uncaught exception.
    """

    _constructed: ClassVar[int] = 0

    def __init__(
        self,
        callback: Callable[[Process], Any],
        redirect_stdin_stdout: bool = False,
        pipe_type: int = PIPE_TYPE_DGRAM,
        enable_coroutine: bool = False,
    ) -> None:
        if not callable(callback):
            raise TypeError("callback must be callable: it runs in the child as callback(worker)")
        if type(pipe_type) is not int and not isinstance(pipe_type, socket.SocketKind):
            raise TypeError(f"pipe_type must be an int, not {type(pipe_type).__name__}")
        if int(pipe_type) not in _PIPE_TYPES:
            raise ValueError(
                f"pipe_type must be 0 (none), 1 (SOCK_STREAM) or 2 (SOCK_DGRAM), not {pipe_type}")
        kind = PIPE_TYPE_STREAM if redirect_stdin_stdout else int(pipe_type)
        self.callback = callback
        self.redirect_stdin_stdout = bool(redirect_stdin_stdout)
        self.enable_coroutine = bool(enable_coroutine)
        self.pid: int | None = None
        Process._constructed += 1
        self.id: int = Process._constructed
        self._init_pipe(kind)

    def start(self) -> int:
        """Fork the child and return its pid."""
        if self.pid is not None:
            raise IPCError(f"process {self.id} was already started (pid {self.pid})")
        if self._orphaned:
            raise IPCError(
                "this Process was constructed in another process, which started a child "
                "first; construct it in the process that starts it")
        pid = lifecycle.spawn(self._run_in_child)
        self.pid = pid
        self._pipe_started(pid)
        em = _trace.emitter
        if em is not None:
            em.emit("proc.spawn", {
                "child": pid, "id": self.id, "pipe_type": self.pipe_type, "fd": self.pipe,
                "redirect": self.redirect_stdin_stdout, "coroutine": self.enable_coroutine,
            })
        return pid

    def _run_in_child(self, parent: int) -> None:
        """The child's side of :meth:`start`: this object now describes the child, which
        says hello and runs the callback (its coroutine too, with ``enable_coroutine``)."""
        self.pid = os.getpid()
        self._pipe_in_child(parent)
        if self.redirect_stdin_stdout and self.pipe is not None:
            lifecycle.redirect_stdio(self.pipe)
        em = _trace.emitter
        if em is not None:
            em.emit("proc.hello", {
                "role": "child", "ppid": parent, "name": own_ps_name(), "id": self.id,
                "pipe_type": self.pipe_type, "fd": self.pipe,
            })
        result = self.callback(self)
        if self.enable_coroutine and inspect.isawaitable(result):
            timer.run(lambda: result)

    def name(self, title: str) -> bool:
        """Rename the current process as seen by ``ps`` (args and comm) and psutil."""
        if not isinstance(title, str):
            raise TypeError(f"title must be a str, not {type(title).__name__}")
        if not title or "\0" in title:
            raise ValueError("title must be a non-empty string without NUL")
        setproctitle.setproctitle(title)
        set_comm(title)
        em = _trace.emitter
        if em is not None:
            em.emit("proc.name", {"name": title})
        return True

    def exit(self, code: int = 0) -> None:
        """End the current process with ``code`` (raises ``SystemExit``, so cleanups run)."""
        if type(code) is not int or not 0 <= code <= 255:
            raise ValueError(f"exit code must be an int in 0..255, not {code!r}")
        raise SystemExit(code)

    @staticmethod
    def set_affinity(cpus: Iterable[int]) -> bool:
        """Pin the current process to ``cpus`` (CPU numbers)."""
        cpu_set = set(cpus)
        if not cpu_set or any(type(c) is not int or c < 0 for c in cpu_set):
            raise ValueError("cpus must be a non-empty collection of CPU numbers (ints >= 0)")
        os.sched_setaffinity(0, cpu_set)
        return True

    @staticmethod
    def get_affinity() -> list[int]:
        """The CPUs the current process may run on, ascending."""
        return procctl.get_affinity()

    def exec(self, path: str, args: Sequence[str]) -> None:
        """Replace the current process with the program ``path`` (argv ``[path, *args]``).

        No ``PATH`` search, like Swoole's ``execv``. Under ``redirect_stdin_stdout`` the
        pipe stays the program's stdin and stdout. Returns only by raising.
        """
        procctl.exec_program(path, args)

    def set_timeout(self, seconds: float | None) -> bool:
        """Bound later ``read()``/``write()`` calls; past it they raise ``TimeoutError``."""
        return procctl.set_timeout(self, seconds)

    def set_blocking(self, blocking: bool) -> bool:
        """``False``: ``read()``/``write()`` raise ``BlockingIOError`` instead of waiting."""
        return procctl.set_blocking(self, blocking)

    def close(self, which: int = 0) -> bool:
        """Close the pipe (0), one side's end (``PIPE_MASTER``/``PIPE_WORKER``) or one
        direction (``PIPE_READ``/``PIPE_WRITE``); False if it was already closed."""
        return procctl.close_pipe(self, which)

    def set_priority(self, which: int, priority: int) -> bool:
        """Set the nice value of this process (``PRIO_PROCESS``), its group or its user."""
        return procctl.set_priority(self, which, priority)

    def get_priority(self, which: int) -> int:
        """The nice value of this process (``PRIO_PROCESS``), its group or its user."""
        return procctl.get_priority(self, which)

    def set(self, **options: Any) -> bool:
        """Swoole's ``set()``: ``enable_coroutine=bool`` (its only option)."""
        return procctl.set_options(self, options)

    @staticmethod
    def signal(signum: int, handler: Callable[[int], object] | None) -> bool:
        """Call ``handler(signum)`` when ``signum`` arrives; ``None`` restores the default."""
        return signals.install(signum, handler)

    @staticmethod
    def kill(pid: int, signum: int = _signal.SIGTERM) -> bool:
        """Send a signal; ``signum=0`` tests existence. Refuses pid <= 0 and pid 1."""
        return signals.kill(pid, signum)

    @staticmethod
    def wait(blocking: bool = True) -> WaitResult | None:
        """Reap one child: ``WaitResult(pid, code, signal)``, or None."""
        return signals.wait(blocking)

    @staticmethod
    def alarm(usec: int, type: int = 0) -> bool:
        """Interval timer every ``usec`` µs: 0 real (SIGALRM), 1 virtual, 2 profiling."""
        return signals.alarm(usec, type)

    @staticmethod
    def daemon(nochdir: bool = True, noclose: bool = True) -> bool:
        """Detach from the terminal like ``daemon(3)``; only the detached child returns."""
        return lifecycle.daemon(nochdir, noclose)

    def __repr__(self) -> str:
        return (f"<Process id={self.id} pid={self.pid} pipe={self.pipe} "
                f"pipe_type={self.pipe_type} msg_queue_id={self.msg_queue_id}>")
