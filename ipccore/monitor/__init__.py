"""The event stream's producing side: attach a process to a collector, the collector and
the live sources. The vocabulary (events, sources' protocol, replay, fake) is
:mod:`ipcevents`.

Headless: never imports textual or rich. With no monitor attached the core pays one
``is None`` test per operation (see :mod:`ipccore._trace`). Importing this package has no
side effect: the emitter, the tee and the fork hook load on the first :func:`attach`,
and :mod:`ipccore._trace` calls :func:`attach_from_env` when it first loads (importing
them here would make a circle with it).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import sys

from ipcevents.procname import own_ps_name

__all__ = ["attach", "attach_from_env", "detach"]

ENV_SOCKET = "IPCCORE_MONITOR"
ENV_PDEATHSIG = "IPCCORE_PDEATHSIG"
"""Set by a live source to the monitor's pid: the top process dies with the monitor."""


def _after_fork_in_child() -> None:
    from ipccore import _trace
    from ipccore.monitor.emitter import SocketEmitter

    emitter = _trace.emitter
    if isinstance(emitter, SocketEmitter):
        emitter.reconnect_after_fork()


_fork_hook = False
"""Whether :func:`_after_fork_in_child` is registered (once, by the first attach)."""


def _close_emitter() -> None:
    from ipccore import _trace
    from ipccore.monitor.tee import Tee

    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, Tee):
            with contextlib.suppress(Exception):
                stream.flush_partial()
    emitter = _trace.emitter
    if emitter is not None:
        emitter.close()


def attach(path: str) -> None:
    """Send this process's events (and its future children's) to the collector at ``path``.

    Sends ``proc.hello`` (role ``master``) and tees ``sys.stdout``/``sys.stderr``.
    Raises ``ConnectionError`` when no collector listens there.
    """
    if not isinstance(path, str):
        raise TypeError(f"path must be a str, not {type(path).__name__}")
    if not path:
        raise ValueError("path must not be empty")
    global _fork_hook
    from ipccore import _trace
    from ipccore.monitor.emitter import SocketEmitter
    from ipccore.monitor.tee import Tee

    if not _fork_hook:
        os.register_at_fork(after_in_child=_after_fork_in_child)
        _fork_hook = True
    if _trace.emitter is not None:
        detach()
    emitter = SocketEmitter(path)
    if emitter.foreign_uid is not None:
        raise PermissionError(
            f"the event collector at {path!r} belongs to uid {emitter.foreign_uid}, not to "
            f"us (uid {os.getuid()}): refusing to send it this program's events")
    if not emitter.enabled:
        raise ConnectionRefusedError(f"no event collector listens at {path!r}")
    _trace.emitter = emitter
    emitter.emit(
        "proc.hello",
        {"role": "master", "ppid": os.getppid(), "name": own_ps_name(), "id": None,
         "pipe_type": None, "fd": None},
    )
    if not isinstance(sys.stdout, Tee) and sys.stdout is not None:
        sys.stdout = Tee(sys.stdout, "io.stdout")
    if not isinstance(sys.stderr, Tee) and sys.stderr is not None:
        sys.stderr = Tee(sys.stderr, "io.stderr")
    atexit.register(_close_emitter)


def detach() -> None:
    """Flush and stop sending events; restore the real stdout/stderr."""
    from ipccore import _trace
    from ipccore.monitor.tee import Tee

    atexit.unregister(_close_emitter)
    _close_emitter()
    _trace.emitter = None
    if isinstance(sys.stdout, Tee):
        sys.stdout = sys.stdout.wrapped
    if isinstance(sys.stderr, Tee):
        sys.stderr = sys.stderr.wrapped


def attach_from_env() -> None:
    """Attach if ``IPCCORE_MONITOR`` is set; called when the first module that reports
    events loads (:mod:`ipccore._trace`). Never raises."""
    from ipccore import _trace
    from ipccore._prctl import die_with_parent

    pdeath = os.environ.pop(ENV_PDEATHSIG, "")
    if pdeath.isdigit() and int(pdeath) > 1:
        # SIGTERM, not SIGKILL, so the queue module's handler can clean up.
        die_with_parent(int(pdeath), int(signal.SIGTERM))
    path = os.environ.get(ENV_SOCKET)
    if not path or _trace.emitter is not None:
        return
    with contextlib.suppress(OSError, ValueError):
        attach(path)
