"""SysV IPC keys: Swoole's default key (``ftok`` of the main script) and fresh ones.

Swoole's ``useQueue()`` with key <= 0 uses ``ftok(<script>, 1)``, so every run of the
same script meets the same queue. That is what a ported program expects; a demo or a
test that must not collide with another run of itself asks :func:`fresh_key` instead.
"""

from __future__ import annotations

import os
import random
import sys

from ipccore._sysv import read_table

KEY_MAX = 0x7FFFFFFF
"""``key_t`` is a signed 32-bit int; keys above this do not fit."""


def ftok(path: str | os.PathLike[str], proj_id: int = 1) -> int:
    """glibc's ``ftok()``, computed from ``os.stat`` (same bits, same result as PHP's).

    ``(st_ino & 0xffff) | ((st_dev & 0xff) << 16) | ((proj_id & 0xff) << 24)``.
    """
    if isinstance(proj_id, bool) or not isinstance(proj_id, int):
        raise TypeError(f"proj_id must be an int, not {type(proj_id).__name__}")
    if not 1 <= proj_id <= 255:
        raise ValueError(f"proj_id must be in 1..255, got {proj_id}")
    st = os.stat(path)
    return (st.st_ino & 0xFFFF) | ((st.st_dev & 0xFF) << 16) | ((proj_id & 0xFF) << 24)


def main_script() -> str | None:
    """The file of the running program (``__main__.__file__``, else ``sys.argv[0]``).

    None when there is none: the REPL, ``python -c`` or an embedded interpreter.
    """
    main = sys.modules.get("__main__")
    candidate = getattr(main, "__file__", None)
    if isinstance(candidate, str) and os.path.isfile(candidate):
        return candidate
    argv0 = sys.argv[0] if sys.argv else ""
    if argv0 and os.path.isfile(argv0):
        return argv0
    return None


def script_key() -> int:
    """The key ``use_queue(key<=0)`` uses: ``ftok(main script, 1)``.

    Without a main script (REPL, ``python -c``) it falls back to ``ftok(os.getcwd(), 1)``,
    so sessions started in the same directory share a queue the way runs of one script do.
    """
    return ftok(main_script() or os.getcwd(), 1)


def fresh_key() -> int:
    """A positive key that no message queue uses right now.

    Chosen at random and checked against ``/proc/sysvipc/msg``; another program could
    still take it before you do, so ``use_queue`` stays safe either way (it refuses a
    foreign queue, see ``ipccore.queue``).
    """
    used = {row.key for row in read_table().values()}
    rng = random.SystemRandom()
    while True:
        key = rng.randint(0x10000, KEY_MAX)
        if key not in used:
            return key
