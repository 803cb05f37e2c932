"""A process's name as a person recognises it: what ``ps`` shows, not the interpreter.

Every process of a Python program is ``python`` to the kernel (its comm), and setproctitle
may even leave a cut path there (``/work/main/.ven``). ``ps -o args`` shows the command
line; from it we keep what tells programs apart: the script (``prog.py``) or the module
(``python -m tui``). A name set with ``Process.name()`` rewrites the command line and is
kept whole. Pure: the producers pass what ``/proc/PID/cmdline`` holds.
"""

from __future__ import annotations

import os
import re

_INTERPRETER = re.compile(r"^python[0-9.]*$")
_WITH_ARGUMENT = frozenset({"-W", "-X", "-Q"})
"""Interpreter options whose value is the next argument (``-W error``, ``-X dev``)."""
NAME_MAX = 60


def is_interpreter(name: str) -> bool:
    """``python``, ``python3``, ``python3.11``: the same word for every Python process."""
    return bool(_INTERPRETER.match(name.lower()))


def ps_name(argv: list[str], comm: str = "") -> str:
    """``prog.py`` for ``/venv/bin/python -u prog.py --fast``; ``python -m tui`` for
    ``python -m tui --demo pipe``; ``python -c`` for a ``-c`` one-liner; the program's
    base name for anything else (``sleep``); ``comm`` when the command line is empty
    (a kernel thread, or a process already gone)."""
    if not argv or not argv[0]:
        return comm[:NAME_MAX]
    if len(argv) == 1 and " " in argv[0]:
        # One string with spaces: setproctitle rewrote the command line. Still an
        # interpreter's command (ipccore imports setproctitle, which does that at
        # start): read it as one; else it is a title set with name(): kept whole.
        words = argv[0].split()
        if not is_interpreter(os.path.basename(words[0])):
            return argv[0][:NAME_MAX]
        argv = words
    exe = os.path.basename(argv[0])
    if not is_interpreter(exe):
        return exe[:NAME_MAX]
    args = iter(argv[1:])
    for arg in args:
        if arg == "-m":
            return f"{exe} -m {next(args, '?')}"[:NAME_MAX]
        if arg.startswith("-m") and len(arg) > 2:
            return f"{exe} -m {arg[2:]}"[:NAME_MAX]
        if arg == "-c" or (arg.startswith("-c") and len(arg) > 2):
            return f"{exe} -c"
        if arg in _WITH_ARGUMENT:
            next(args, None)
            continue
        if arg == "-":
            return f"{exe} -"
        if arg.startswith("-"):
            continue
        return os.path.basename(arg)[:NAME_MAX] or exe
    return exe


def own_ps_name() -> str:
    """:func:`ps_name` of the calling process, from ``/proc/self``."""
    comm = ""
    try:
        with open("/proc/self/comm", encoding="utf-8", errors="replace") as f:
            comm = f.read().strip()
        with open("/proc/self/cmdline", "rb") as fb:
            raw = fb.read()
    except OSError:
        return comm
    argv = [a.decode("utf-8", "replace") for a in raw.split(b"\0") if a]
    return ps_name(argv, comm)
