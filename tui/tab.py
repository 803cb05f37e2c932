"""What a monitor started by ``--serve`` for a browser tab does differently: it dies with the
server that started it.

The server ends its tabs itself when it stops (:mod:`tui.serve`); this covers a server that
cannot (SIGKILL, a crash). Textual's web driver does not end the app when its input closes,
so without it such a tab's monitor, and the run it watches, would live on with nobody
looking. The kernel sends SIGHUP when the server dies (``PR_SET_PDEATHSIG``); the handler
points stdout and stderr (pipes to the dead server) at ``/dev/null`` and sends SIGTERM, which
the web driver turns into a normal quit: the run is stopped and its queues removed. Without
the redirection the quit's own drawing hit the broken pipe and the run's collector
directory stayed behind.
"""

from __future__ import annotations

import os
import signal
from types import FrameType

from ipccore._prctl import die_with_parent
from tui.ending import silence_output

ENV_SERVER = "IPCSCOPE_SERVED_BY"
"""Set by the server for its tabs: its pid."""


def _server_gone(_signum: int, _frame: FrameType | None) -> None:
    silence_output()
    os.kill(os.getpid(), signal.SIGTERM)


def die_with_server() -> None:
    """If this monitor was started for a tab, quit when the server dies (at once if it is
    already gone). The variable is not passed on to the run."""
    value = os.environ.pop(ENV_SERVER, "")
    if not value.isdigit() or int(value) <= 1:
        return
    # A write to a dead server must fail (and be survived), not kill us with SIGPIPE before
    # the run is stopped (subprocess restored SIGPIPE's default for us).
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, _server_gone)
    die_with_parent(int(value), signal.SIGHUP)
