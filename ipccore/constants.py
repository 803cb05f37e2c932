"""Public constants, numerically equal to Swoole's so ported code keeps its literals."""

from __future__ import annotations

PIPE_TYPE_NONE = 0
"""No pipe: ``write``/``read``/``export_socket`` raise ``NoPipe``."""
PIPE_TYPE_STREAM = 1
"""A byte stream (``socket.SOCK_STREAM``): writes may coalesce, reads return what is there."""
PIPE_TYPE_DGRAM = 2
"""Whole messages (``socket.SOCK_DGRAM``), Swoole's default."""

IPC_NOWAIT = 256
"""OR-ed into ``use_queue``'s mode: ``push``/``pop`` never block."""
MODE_ORIENT = 1
"""``pop()`` takes only messages tagged ``self.id + 1``."""
MODE_BALANCE = 2
"""``pop()`` takes any message (the default)."""

SWOOLE_READ_SIZE = 8192
"""Swoole's default ``read()`` size; ipccore reads whole messages instead."""
EXPORT_RECV_SIZE = 65536
"""Swoole's default ``recv()`` size of an exported socket."""

ALARM_TYPES = (0, 1, 2)
"""``alarm`` types: real (SIGALRM), virtual (SIGVTALRM), profiling (SIGPROF)."""
