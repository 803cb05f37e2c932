"""ipccore: Swoole\\Process-style IPC on real fork, Unix socketpairs, SysV queues, signals.

``from ipccore import Process, Timer, WaitResult, event_wait, run``; see ``docs/core.md``.

Importing the package only defines names (PEP 562): the modules behind ``Process``,
``Timer``... load on first use, so a program that needs only the event vocabulary or the
demo list (the monitor's UI) loads neither ``sysv_ipc`` nor the forker. Attaching to
``IPCCORE_MONITOR`` happens when the first module that reports events loads
(:mod:`ipccore._trace`), which is before the first event.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ipccore import errors
from ipccore.constants import (
    IPC_MSGQUEUE,
    IPC_NONE,
    IPC_NOWAIT,
    IPC_UNIXSOCK,
    MODE_BALANCE,
    MODE_ORIENT,
)

if TYPE_CHECKING:
    from ipccore.pool import Pool
    from ipccore.process import Process
    from ipccore.signals import WaitResult
    from ipccore.timer import Timer, event_wait, run

__all__ = [
    "IPC_MSGQUEUE",
    "IPC_NONE",
    "IPC_NOWAIT",
    "IPC_UNIXSOCK",
    "MODE_BALANCE",
    "MODE_ORIENT",
    "Pool",
    "Process",
    "Timer",
    "WaitResult",
    "errors",
    "event_wait",
    "run",
]

_LAZY = {
    "Pool": "ipccore.pool",
    "Process": "ipccore.process",
    "WaitResult": "ipccore.signals",
    "Timer": "ipccore.timer",
    "event_wait": "ipccore.timer",
    "run": "ipccore.timer",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'ipccore' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
