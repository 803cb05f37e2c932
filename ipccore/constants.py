"""Public constants, numerically equal to Swoole's so ported code keeps its literals."""

from __future__ import annotations

PIPE_TYPE_NONE = 0
"""No pipe: ``write``/``read``/``export_socket`` raise ``NoPipe``."""
PIPE_TYPE_STREAM = 1
"""A byte stream (``socket.SOCK_STREAM``): writes may coalesce, reads return what is there."""
PIPE_TYPE_DGRAM = 2
"""Whole messages, Swoole's default. Equal to ``socket.SOCK_DGRAM`` (Swoole's value), but
the pair is ``SOCK_SEQPACKET``: boundaries kept, and a reader sees its peer's exit."""

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

PIPE_MASTER = 1
"""``close(PIPE_MASTER)``: the master's end (Swoole's ``Process::PIPE_MASTER``)."""
PIPE_WORKER = 2
"""``close(PIPE_WORKER)``: the child's end."""
PIPE_READ = 3
"""``close(PIPE_READ)``: stop reading (``shutdown(SHUT_RD)``)."""
PIPE_WRITE = 4
"""``close(PIPE_WRITE)``: stop writing (``shutdown(SHUT_WR)``): the peer reads end of file."""

PRIO_PROCESS = 0
"""``set_priority``/``get_priority``: one process (``os.PRIO_PROCESS``)."""
PRIO_PGRP = 1
"""A process group (``os.PRIO_PGRP``)."""
PRIO_USER = 2
"""All processes of a user (``os.PRIO_USER``)."""

IPC_NONE = 0
"""``Pool`` ipc_type: the workers get no messages; WorkerStart is their whole life."""
IPC_UNIXSOCK = 1
"""``Pool`` ipc_type: each worker reads messages from its own Unix socket."""
IPC_MSGQUEUE = 2
"""``Pool`` ipc_type: the workers take messages from one SysV queue."""
