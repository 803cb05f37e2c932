"""The collector's private directory, and reclaiming those of collectors that died.

A collector binds its socket in ``<tmp>/ipcscope-<pid>-XXXX`` (mode 0700, made by
``mkdtemp``) and removes it when it closes. A collector that is SIGKILLed cannot: the
next collector of the same user removes every such directory whose owner pid is gone
("reclaimed by the next start").
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


def make_private_dir() -> Path:
    """A fresh 0700 directory named after this process."""
    path = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"))
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
    base = Path(root or tempfile.gettempdir())
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
