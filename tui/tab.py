"""What a monitor started by ``--serve`` for a browser tab does differently: it dies with the
server that started it.

The server ends its tabs itself when it stops (:mod:`tui.serve`); this covers a server that
cannot (SIGKILL, a crash). Textual's web driver does not end the app when its input closes,
so without it such a tab's monitor, and the run it watches, would live on with nobody
looking. SIGTERM, not SIGKILL: the web driver turns it into a normal quit, which stops the
run and removes its queues.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal

ENV_SERVER = "IPCSCOPE_SERVED_BY"
"""Set by the server for its tabs: its pid."""
_PR_SET_PDEATHSIG = 1


def die_with_server() -> None:
    """If this monitor was started for a tab, ask for SIGTERM when the server dies (and
    send it now if the server is already gone). The variable is not passed on to the run."""
    value = os.environ.pop(ENV_SERVER, "")
    if not value.isdigit() or int(value) <= 1:
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    if os.getppid() != int(value):
        os.kill(os.getpid(), signal.SIGTERM)
