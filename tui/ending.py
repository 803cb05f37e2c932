"""SIGTERM and SIGHUP end the monitor as its ``q`` key does, never half-way.

Without this, both killed ``python -m tui`` at once (Textual's terminal driver leaves them
at their default action): the terminal stayed in the alternate screen with the mouse
captured, the private directories (the collector's socket, the run's recording) stayed
in the temp dir, and a program started with ``--run`` went on running with nobody
watching. ``kill PID``, a closed terminal window and an ssh session that drops all end
here. SIGHUP means the terminal is gone, so the output is pointed at ``/dev/null`` first:
the quit's own drawing must not fail on a dead tty (as :mod:`tui.tab` does for a browser
tab whose server died). The exit status says which signal ended the run: 128 + its number,
as a shell reports a process killed by it.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable, Coroutine
from typing import Any

ENDING_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


def silence_output() -> None:
    """Point stdout and stderr (the terminal, or a pipe to a dead server) at /dev/null."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
    finally:
        os.close(devnull)


def quit_on_ending_signals(
    quit_with: Callable[[int], Coroutine[Any, Any, None]],
) -> Callable[[], None]:
    """From now on (in the running loop), SIGTERM and SIGHUP call ``quit_with(128 + n)``;
    returns what gives them back their defaults (when the app is gone).

    ``quit_with`` is the app's own quit (stop the run, remove its queues, exit with the
    status); a second signal while it runs changes nothing.
    """
    loop = asyncio.get_running_loop()
    quitting: list[asyncio.Task[None]] = []
    """The quit under way (held here: the loop keeps only a weak reference to a task)."""

    def on_signal(signum: int) -> None:
        if signum == signal.SIGHUP:
            silence_output()
        if not quitting:
            quitting.append(loop.create_task(quit_with(128 + signum)))

    for signum in ENDING_SIGNALS:
        loop.add_signal_handler(signum, on_signal, int(signum))

    def restore() -> None:
        for signum in ENDING_SIGNALS:
            loop.remove_signal_handler(signum)

    return restore
