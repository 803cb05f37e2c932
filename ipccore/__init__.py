"""ipccore: Swoole\\Process-style IPC on real fork, Unix socketpairs, SysV queues, signals.

``from ipccore import Process, Timer, WaitResult, event_wait, run``; see ``docs/core.md``.
"""

from __future__ import annotations

from ipccore import errors
from ipccore.constants import IPC_NOWAIT, MODE_BALANCE, MODE_ORIENT
from ipccore.process import Process
from ipccore.signals import WaitResult
from ipccore.timer import Timer, event_wait, run

__all__ = [
    "IPC_NOWAIT",
    "MODE_BALANCE",
    "MODE_ORIENT",
    "Process",
    "Timer",
    "WaitResult",
    "errors",
    "event_wait",
    "run",
]

from ipccore import monitor as _monitor

_monitor.attach_from_env()
