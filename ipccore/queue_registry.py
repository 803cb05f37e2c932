"""Who created which queue, and removing it when that program is gone.

Swoole leaves every queue in the kernel forever. ipccore removes a queue when the master
that created it exits: normal return, uncaught exception, Ctrl-C (``KeyboardInterrupt``)
and SIGTERM (a handler is installed only if the program has none). A SIGKILLed master
cannot clean up, so each created queue also gets a small file in a per-user 0700
directory naming its key, msqid and creator (pid + start time, so a recycled pid does
not look alive); the next :func:`reclaim_orphans` — run by every ``use_queue()`` in any
ipccore program of the same user — removes queues whose creator is dead.

A queue created inside a forked child belongs to the master it was forked from (the
process that imported ipccore): a child ends with ``os._exit`` and runs no cleanup, and
its queue usually outlives it on purpose.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import tempfile
import threading
from pathlib import Path
from types import FrameType

import sysv_ipc

from ipccore._sysv import queue_row

ENV_DIR = "IPCCORE_REGISTRY_DIR"
"""Overrides the registry directory (tests use it to stay out of the shared one)."""

_import_pid = os.getpid()
_owned: dict[int, int] = {}
"""msqid -> key of the queues this process created and must remove at exit."""
_hooks_pid = 0


def registry_dir() -> Path | None:
    """The per-user registry directory, created 0700; None if it cannot be trusted.

    ``$IPCCORE_REGISTRY_DIR``, else ``$XDG_RUNTIME_DIR/ipccore``, else
    ``<tmp>/ipccore-<uid>``. A directory that is a symlink, not ours, or open to other
    users is not used (nothing is recorded rather than trusting someone else's files).
    """
    uid = os.geteuid()
    override = os.environ.get(ENV_DIR)
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if override:
        path = Path(override)
    elif xdg and os.path.isdir(xdg) and os.stat(xdg).st_uid == uid:
        path = Path(xdg) / "ipccore"
    else:
        path = Path(tempfile.gettempdir()) / f"ipccore-{uid}"
    try:
        path.mkdir(mode=0o700, exist_ok=True)
        st = os.lstat(path)
    except OSError:
        return None
    if not path.is_dir() or path.is_symlink() or st.st_uid != uid or st.st_mode & 0o077:
        return None
    return path


def _start_time(pid: int) -> int | None:
    """Field 22 of ``/proc/<pid>/stat``; None if the process is gone or a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()
    if not fields or fields[0] in ("Z", "X"):
        return None
    return int(fields[19])


def _entry(msqid: int) -> Path | None:
    base = registry_dir()
    return None if base is None else base / f"{msqid}.queue"


def _record(key: int, msqid: int, owner: int) -> None:
    path = _entry(msqid)
    started = _start_time(owner)
    if path is None or started is None:
        return
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(f"{key} {msqid} {owner} {started}\n")
    os.replace(tmp, path)


def _forget(msqid: int) -> None:
    path = _entry(msqid)
    if path is not None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _remove_if_same(key: int, msqid: int) -> bool:
    """Remove queue ``msqid`` only if it still has ``key`` and was created by our uid."""
    row = queue_row(msqid)
    if row is None or row.key != key or row.cuid != os.geteuid():
        return False
    try:
        sysv_ipc.remove_message_queue(msqid)
    except sysv_ipc.Error:
        return False
    return True


def own(key: int, msqid: int) -> None:
    """Record a queue this program just created, so it is removed when the program ends."""
    if os.getpid() == _import_pid:
        _owned[msqid] = key
        _install_hooks()
    _record(key, msqid, _import_pid if _start_time(_import_pid) else os.getpid())


def disown(msqid: int) -> None:
    """Forget a queue (it was freed explicitly)."""
    _owned.pop(msqid, None)
    _forget(msqid)


def cleanup() -> list[int]:
    """Remove every queue this process created; no-op in a forked child. Returns msqids."""
    if os.getpid() != _hooks_pid:
        return []
    removed = []
    for msqid, key in list(_owned.items()):
        if _remove_if_same(key, msqid):
            removed.append(msqid)
        disown(msqid)
    return removed


def reclaim_orphans() -> list[int]:
    """Remove queues recorded by programs that have died (e.g. SIGKILLed). Returns msqids.

    Only queues with the recorded key, created by our uid, whose creator pid is gone (or
    now belongs to a process with another start time) are removed.
    """
    base = registry_dir()
    if base is None:
        return []
    removed = []
    for path in base.glob("*.queue"):
        try:
            key, msqid, pid, started = (int(x) for x in path.read_text().split())
        except (OSError, ValueError):
            continue
        if _start_time(pid) == started:
            continue
        if _remove_if_same(key, msqid):
            removed.append(msqid)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    return removed


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    """Remove our queues, then die of SIGTERM as if no handler had been installed."""
    cleanup()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)


def _install_hooks() -> None:
    global _hooks_pid
    if _hooks_pid == os.getpid():
        return
    _hooks_pid = os.getpid()
    atexit.register(cleanup)
    if (
        threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    ):
        signal.signal(signal.SIGTERM, _on_sigterm)
