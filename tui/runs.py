"""Where the monitor records its live runs, so the one on screen can be exported.

A live run is recorded by its collector (the same lines the screen gets) into a private
directory of this monitor (``<tmp>/ipcscope-<pid>-XXXX``, mode 0700: the name collectors use
for theirs, so if the monitor is killed the next collector reclaims it). Only the current
run's file is kept: a restart removes the previous one, and closing the monitor removes the
directory. A flood costs disk while it runs (about 140 bytes an event).
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

from ipccore.monitor.privdir import make_private_dir


class RunRecordings:
    """Hands out one recording path per live run; removes them all on :meth:`close`."""

    def __init__(self) -> None:
        self._dir: Path | None = None
        self._count = 0
        self._current: Path | None = None

    def next_path(self) -> Path:
        """A fresh path for the next run (the previous run's file is removed)."""
        if self._dir is None:
            self._dir = make_private_dir()
        if self._current is not None:
            with contextlib.suppress(OSError):
                self._current.unlink()
        self._count += 1
        self._current = self._dir / f"run-{self._count}.ndjson"
        return self._current

    def owns(self, path: Path) -> bool:
        """Whether ``path`` is one of this monitor's live recordings."""
        return self._dir is not None and path.parent == self._dir

    def close(self) -> None:
        """Remove the directory and every recording in it. Idempotent."""
        directory, self._dir, self._current = self._dir, None, None
        if directory is not None:
            shutil.rmtree(directory, ignore_errors=True)
