"""Carrying out the UI's commands, and the rules that refuse them.

Signals go only to pids of the monitored tree (never 0, 1, negatives or the monitor
itself). A pipe write is done from the monitor with a duplicate of the master's end of
the child's pipe (``pidfd_getfd``), so the child reads it exactly like a master's write.
Queue pushes go only to queues seen in ``queue.open``. Every command, carried out or
refused, is reported as ``monitor.command``; its effects come back as ordinary events.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import time
from typing import assert_never

import psutil  # type: ignore[import-untyped, unused-ignore]
import sysv_ipc

from ipccore._libc import pidfd_getfd
from ipccore.constants import PIPE_TYPE_STREAM
from ipccore.errors import CommandRefused
from ipccore.monitor.collector import Collector
from ipcevents.events import preview, signal_name
from ipcevents.source import Command, PushQueue, SendSignal, WritePipe

WRITE_TIMEOUT_S = 1.0


def in_tree(collector: Collector, pid: int) -> bool:
    """Said hello, was spawned, or descends from the launched program."""
    known = collector.registry
    if pid in known.pids:
        return True
    if known.top is None:
        return False
    try:
        return any(p.pid == pid for p in psutil.Process(known.top).children(recursive=True))
    except psutil.Error:
        return False


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_types(command: object) -> Command:
    """``command`` if it is a well-typed command; the UI's values are not trusted."""
    match command:
        case SendSignal(pid=pid, signum=signum):
            if not _is_int(pid) or not _is_int(signum):
                raise TypeError("SendSignal needs an int pid and an int signum")
            if signum not in signal.valid_signals() or signum == 0:
                raise ValueError(f"{signum} is not a signal number")
        case WritePipe(pid=pid, data=data):
            if not _is_int(pid) or not isinstance(data, bytes):
                raise TypeError("WritePipe needs an int pid and bytes data")
        case PushQueue(key=key, data=data, mtype=mtype):
            if not _is_int(key) or not _is_int(mtype):
                raise TypeError("PushQueue needs an int key and an int mtype")
            if not isinstance(data, bytes):
                raise TypeError("PushQueue needs bytes data")
            if mtype <= 0:
                raise ValueError("mtype must be positive")
        case _:
            raise TypeError(f"not a command: {type(command).__name__}")
    return command


def _signal(collector: Collector, cmd: SendSignal) -> None:
    pid = int(cmd.pid)
    if pid <= 1:
        raise CommandRefused(f"refusing to signal pid {pid}: only monitored processes")
    if pid == os.getpid():
        raise CommandRefused("refusing to signal the monitor itself")
    if not in_tree(collector, pid):
        raise CommandRefused(f"pid {pid} is not part of the monitored program")
    sent_at = time.time()
    try:
        os.kill(pid, int(cmd.signum))
    except ProcessLookupError:
        raise CommandRefused(f"pid {pid} has already exited") from None
    collector.inject(
        "signal.send",
        {"to": pid, "signal": int(cmd.signum), "name": signal_name(cmd.signum),
         "ok": True, "via": "monitor"},
        ts=sent_at,
    )


def _write(collector: Collector, cmd: WritePipe) -> None:
    end = collector.registry.pipes.get(cmd.pid)
    if end is None:
        raise CommandRefused(f"pid {cmd.pid} is not a monitored child with a pipe")
    try:
        dup = pidfd_getfd(end.master, end.fd)
    except OSError as exc:
        raise CommandRefused(f"cannot reach the pipe of {cmd.pid}: {exc.strerror}") from None
    sock = socket.socket(fileno=dup)
    sent_at = time.time()
    try:
        view = memoryview(cmd.data)
        deadline = time.monotonic() + WRITE_TIMEOUT_S
        while True:
            try:
                # MSG_DONTWAIT: never change O_NONBLOCK, which is shared with the master.
                sent = sock.send(view, socket.MSG_DONTWAIT)
            except BlockingIOError:
                sent = 0
            view = view[sent:]
            if not view or end.pipe_type != PIPE_TYPE_STREAM:
                break
            left = deadline - time.monotonic()
            if left <= 0:
                raise CommandRefused(f"the pipe of {cmd.pid} is full")
            select.select([], [sock], [], left)
    except OSError as exc:
        raise CommandRefused(f"cannot write to the pipe of {cmd.pid}: {exc}") from None
    finally:
        sock.close()
    collector.inject(
        "pipe.write",
        {"fd": end.fd, "to": cmd.pid, "nbytes": len(cmd.data), "via": "monitor",
         "preview": preview(cmd.data)},
        ts=sent_at,
    )


def _push(collector: Collector, cmd: PushQueue) -> None:
    if collector.registry.queue_by_key(cmd.key) is None:
        raise CommandRefused(f"queue key {cmd.key} was not opened by the monitored program")
    sent_at = time.time()
    try:
        sysv_ipc.MessageQueue(cmd.key).send(cmd.data, block=False, type=cmd.mtype)
    except sysv_ipc.BusyError:
        raise CommandRefused(f"queue {cmd.key} is full") from None
    except (sysv_ipc.Error, ValueError, OSError) as exc:
        raise CommandRefused(f"cannot push to queue {cmd.key}: {exc}") from None
    opened = collector.registry.queue_by_key(cmd.key)
    collector.inject(
        "queue.push",
        {"key": cmd.key, "msqid": getattr(opened, "msqid", None), "mtype": cmd.mtype,
         "nbytes": len(cmd.data), "via": "monitor",
         "preview": preview(cmd.data)},
        ts=sent_at,
    )


def carry_out(collector: Collector, command: Command) -> None:
    """Do ``command`` or raise ``CommandRefused``; report either way."""
    command = _check_types(command)
    name: str
    target: int
    try:
        match command:
            case SendSignal():
                name, target = "signal", command.pid
                _signal(collector, command)
            case WritePipe():
                name, target = "write", command.pid
                _write(collector, command)
            case PushQueue():
                name, target = "push", command.key
                _push(collector, command)
            case _:
                assert_never(command)
    except CommandRefused as exc:
        with contextlib.suppress(Exception):
            collector.inject(
                "monitor.command", {"command": name, "target": target, "ok": False,
                                    "error": str(exc)})
        raise
    collector.inject(
        "monitor.command", {"command": name, "target": target, "ok": True, "error": None})
