"""The command palette's *Export Perfetto trace*: the run on screen as a trace file.

What is exported is the run's recording (a replay's file, or the file the monitor records a
live run into, see :mod:`tui.runs`), through :mod:`ipcevents.perfetto`: the same bytes as
``python -m ipccore export``. A replay's trace goes beside its recording; a live run's, whose
recording lives in a private directory that goes away with the monitor, to the working
directory. Either way the user sees the path first and may change it.
"""

from __future__ import annotations

import re
from pathlib import Path

from ipcevents.errors import RecordingError
from ipcevents.perfetto import default_output, export_file
from ipcevents.source import EventSource


def recording_of(source: EventSource | None) -> Path | None:
    """The file a source reads or records to, if it has one (``recording``)."""
    path = getattr(source, "recording", None)
    return path if isinstance(path, Path) else None


def default_target(recording: Path, title: str, private: bool, cwd: Path) -> Path:
    """Beside a recording the user has; for a live run, ``<title>.trace.json`` in ``cwd``."""
    if not private:
        return default_output(recording)
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", title).strip("-.") or "run"
    return cwd / f"{slug}.trace.json"


def export_run(recording: Path, target: Path, live: bool) -> tuple[str, bool]:
    """Write the trace; returns (what to tell the user, whether it went well).

    Runs in a worker thread: a long recording takes seconds (about 20 µs an event). A live
    run's recording may end in a line still being written: everything before it is
    exported, which is everything the run has done so far.
    """
    target = target.expanduser()
    if not target.is_absolute():
        target = Path.cwd() / target
    try:
        written, stats = export_file(recording, target)
    except RecordingError as exc:
        if live and target.is_file():
            return (f"Perfetto trace of the run so far written to {target} "
                    "(open it at ui.perfetto.dev or chrome://tracing)", True)
        return f"The recording is broken: {exc}", target.is_file()
    except OSError as exc:
        return f"Cannot write {exc.filename or target}: {exc.strerror}", False
    return (f"Perfetto trace written to {written}: {stats.events} events, "
            f"{stats.processes} processes, {stats.flows} arrows "
            "(open it at ui.perfetto.dev or chrome://tracing)", True)
