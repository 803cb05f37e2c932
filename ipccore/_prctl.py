"""Linux ``prctl(2)`` for the two things ipccore asks of it: a process's short name, and
dying with its parent. One home for the forked children (SIGKILL, in
:mod:`ipccore.lifecycle`), a program started by the monitor (SIGTERM, so the queue
cleanup runs; :mod:`ipccore.monitor`) and a monitor started for a browser tab (SIGHUP, so
it quits cleanly; :mod:`tui.tab`).
"""

from __future__ import annotations

import os
from typing import Any

from ipccore._libc import libc

_PR_SET_NAME = 15
_PR_SET_PDEATHSIG = 1
_prctl: Any = libc().prctl
"""Looked up once in the parent: loading libc in every child cost ~80 page faults a spawn."""


def prctl(option: int, arg: int | bytes) -> int:
    """Linux ``prctl(2)`` through ctypes (0 on success)."""
    return int(_prctl(option, arg, 0, 0, 0))


def set_comm(title: str) -> None:
    """Set the kernel's short name (``comm``, 15 bytes): what ``ps -o comm`` and psutil show."""
    _prctl(_PR_SET_NAME, title.encode()[:15], 0, 0, 0)


def die_with_parent(parent: int, signum: int) -> None:
    """Have the kernel send ``signum`` when the parent dies; if ``parent`` is already gone
    (it died between our fork and this call, and the kernel will not tell us), now."""
    _prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0)
    if os.getppid() != parent:
        os.kill(os.getpid(), signum)
