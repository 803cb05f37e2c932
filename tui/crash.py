"""What an unexpected error leaves behind: one short paragraph and a private report file.

A traceback painted over the terminal is the only trace a crash would otherwise leave,
and Textual's exits with status 0 from ``python -m tui``. Instead the monitor writes the
full traceback to a file only its user can read (``$XDG_STATE_HOME/ipcscope``, else
``~/.local/state/ipcscope``: directory 0700, file 0600, since a traceback can hold what
the watched processes wrote), stops what it started, and prints :func:`summary`.
"""

from __future__ import annotations

import os
import time
import traceback
from pathlib import Path

EXIT_CRASHED = 70
"""``EX_SOFTWARE`` from sysexits.h: an internal error, not a usage error (2)."""


def report_dir() -> Path:
    """Where crash reports go: a per-user state directory, never a shared temp dir."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "ipcscope"


def write_report(error: BaseException, context: str = "") -> Path | None:
    """The full traceback of ``error`` in a new 0600 file; None if it cannot be written."""
    folder = report_dir()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    text = "".join(traceback.format_exception(error))
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder.chmod(0o700)
        path = folder / f"crash-{stamp}-{os.getpid()}.txt"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except OSError:
        return None
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        if context:
            f.write(f"{context}\n\n")
        f.write(text)
    return path


def where(error: BaseException) -> str:
    """``tui/widgets/queues.py:42 in sync``: the innermost frame of our own code."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if "/textual/" not in f.filename and "/rich/" not in f.filename]
    if not (ours or frames):
        return "an unknown place"
    frame = (ours or frames)[-1]
    return f"{_short(frame.filename)}:{frame.lineno} in {frame.name}"


def _short(filename: str) -> str:
    parts = Path(filename).parts
    for root in ("tui", "ipccore"):
        if root in parts:
            return "/".join(parts[len(parts) - 1 - parts[::-1].index(root):])
    return filename


def summary(error: BaseException, report: Path | None) -> str:
    """The paragraph printed after the terminal is restored."""
    what = f"{type(error).__name__}: {error}".strip().rstrip(":")
    if len(what) > 200:
        what = what[:199] + "…"
    saved = (f"The full traceback is in {report}." if report is not None
             else "The traceback could not be saved (the report directory is not writable).")
    return (f"python -m tui stopped on an unexpected error: {what} (at {where(error)}). "
            f"{saved} The processes it started were stopped and their queues removed. "
            "Please report it with that file.")
