"""The seed's five scenarios as runnable demos, in the seed's order.

A registry only: each demo module is imported when it is run, so listing the demos (the
CLI's ``--list``, the monitor's picker) costs nothing and forks nothing.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Demo:
    """One scenario: its CLI name, its module and what it shows in one line."""

    name: str
    module: str
    about: str

    def load(self) -> Callable[..., int]:
        """The module's ``main(speed=1.0, lang="en", **options) -> int``."""
        main: Callable[..., int] = importlib.import_module(self.module).main
        return main


DEMOS: tuple[Demo, ...] = (
    Demo("pipe", "ipccore.demos.pipe", "master <-> 2 children over their pipes"),
    Demo("sibling", "ipccore.demos.sibling",
         "child 2 writes 5 messages to child 1, then SIGKILLs it"),
    Demo("coroutine", "ipccore.demos.coroutine",
         "as pipe, through export_socket() coroutine sockets"),
    Demo("queue", "ipccore.demos.queue", "2 children pop 5 messages from one SysV queue"),
    Demo("signal", "ipccore.demos.signal",
         "children SIGUSR2 the master, which SIGKILLs them all"),
    Demo("pool", "ipccore.demos.pool",
         "3 pool workers take 12 jobs from a queue; one SIGKILLed, back under a new pid"),
)

NAMES: tuple[str, ...] = tuple(d.name for d in DEMOS)


def get(name: str) -> Demo:
    """The demo called ``name``; ValueError naming the valid ones otherwise."""
    for demo in DEMOS:
        if demo.name == name:
            return demo
    raise ValueError(f"no demo called {name!r}; choose one of: {', '.join(NAMES)}")
