"""Shared helpers for the queue tests: unique keys, leftover removal, blocked-in-kernel waits."""

from __future__ import annotations

import contextlib
import os
import select
import time
from collections.abc import Iterator
from typing import Any

import sysv_ipc

from ipccore import _sysv, _trace
from ipccore.keys import fresh_key


def remove_key(key: int) -> None:
    """Remove the queue at ``key`` if a test left it (only keys the test chose)."""
    with contextlib.suppress(sysv_ipc.ExistentialError):
        sysv_ipc.MessageQueue(key).remove()


@contextlib.contextmanager
def fresh_keys(n: int = 1) -> Iterator[list[int]]:
    """``n`` unused keys; whatever queue sits at them afterwards is removed."""
    keys = [fresh_key() for _ in range(n)]
    try:
        yield keys
    finally:
        for key in keys:
            remove_key(key)


def exists(msqid: int) -> bool:
    return _sysv.queue_row(msqid) is not None


def wait_blocked(pid: int, syscall: str, timeout: float = 10.0) -> None:
    """Wait until ``pid`` sleeps inside ``syscall`` (``msgrcv``/``msgsnd``), per /proc wchan."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/wchan") as f:
                if syscall in f.read():
                    return
        except OSError:
            pass
        time.sleep(0.005)
    raise AssertionError(f"process {pid} never blocked in {syscall}")


def read_line(fd: int, timeout: float = 10.0) -> bytes:
    """One newline-terminated record from a pipe, within ``timeout``."""
    buf = b""
    deadline = time.monotonic() + timeout
    while not buf.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise AssertionError(f"no line within {timeout}s (got {buf!r})")
        chunk = os.read(fd, 1)
        if not chunk:
            raise AssertionError(f"pipe closed (got {buf!r})")
        buf += chunk
    return buf[:-1]


def nothing_to_read(fd: int, wait: float = 0.2) -> bool:
    return not select.select([fd], [], [], wait)[0]


class Recorder(_trace.EmitterBase):
    """An emitter that keeps every event, to check kinds and fields."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any], bytes | None]] = []

    def emit(self, kind: str, fields: dict[str, Any], data: bytes | None = None) -> None:
        self.events.append((kind, dict(fields), data))

    def close(self) -> None:
        pass

    def kinds(self) -> list[str]:
        return [k for k, _, _ in self.events]
