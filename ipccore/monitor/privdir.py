"""The collector's private directory, and reclaiming those of collectors that died.

A collector binds its socket in ``<tmp>/ipcscope-<pid>-XXXX`` (mode 0700, made by
``mkdtemp``) and removes it when it closes. Where ``<tmp>`` is so deep that the socket's
path would pass AF_UNIX's 108-byte limit (a ``TMPDIR`` inside a test's own temp dir is
enough), the directory goes to ``/tmp`` instead of failing at ``bind``. A collector
that is SIGKILLed cannot remove its directory: the next collector of the same user
removes every such directory whose owner pid is gone ("reclaimed by the next start").
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
from pathlib import Path

PREFIX = "ipcscope-"
_NAME = re.compile(rf"^{PREFIX}(\d+)-[A-Za-z0-9_]+$")
SOCKET_NAME = "events.sock"
SUN_PATH_MAX = 107
"""``sizeof(sun_path)`` is 108 on Linux, with room for the terminating NUL."""
_SHORT_BASE = "/tmp"
# mkdtemp's suffix is 8 characters; a pid has at most 7 digits (pid_max is 2**22).
_WORST_NAME = f"/{PREFIX}{'9' * 7}-{'x' * 8}/{SOCKET_NAME}"


def private_bases() -> list[Path]:
    """Where private directories are made: the temp dir, or ``/tmp`` where a socket path
    in the temp dir would be too long (both are searched when reclaiming)."""
    base = tempfile.gettempdir()
    if len(os.fsencode(base + _WORST_NAME)) <= SUN_PATH_MAX:
        return [Path(base)]
    return [Path(_SHORT_BASE), Path(base)]


def make_private_dir() -> Path:
    """A fresh 0700 directory named after this process, short enough for a socket."""
    path = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=private_bases()[0]))
    path.chmod(0o700)
    return path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reclaim_stale_dirs(root: str | None = None) -> list[Path]:
    """Remove our private directories whose collector process no longer exists.

    Only directories (never symlinks) owned by our uid, named by :func:`make_private_dir`.
    Returns what was removed.
    """
    removed: list[Path] = []
    for base in [Path(root)] if root else private_bases():
        removed += _reclaim_in(base)
    return removed


def _reclaim_in(base: Path) -> list[Path]:
    removed: list[Path] = []
    try:
        entries = list(base.iterdir())
    except OSError:
        return removed
    uid = os.getuid()
    for entry in entries:
        match = _NAME.match(entry.name)
        if match is None:
            continue
        try:
            st = entry.lstat()
        except OSError:
            continue
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != uid:
            continue
        if _alive(int(match.group(1))):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    return removed
