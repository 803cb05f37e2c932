"""*Export Perfetto trace* as the user meets it: a prompt for the path, the writing in a
thread worker, a notice saying where it went (or why not).

The rules (where the trace goes by default, how it is written) are pure, in
:mod:`tui.trace_export`; this is only the dialog around them. The worker belongs to the
app, not to the prompt, so it outlives the prompt's screen: a long recording takes
seconds (about 20 µs an event).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from textual.app import App

from tui.screens.dialogs import TextPrompt
from tui.trace_export import default_target, export_run


def ask_and_export(app: App[int], recording: Path, title: str, private: bool) -> None:
    """Ask where (a replay: beside its recording; a private live recording: the working
    directory), then write the trace there."""
    default = str(default_target(recording, title, private, Path.cwd()))

    def chosen(answer: str | None) -> None:
        if answer:
            app.run_worker(partial(_export, app, recording, Path(answer), private),
                           name="export", group="export", thread=True, exit_on_error=False)

    app.push_screen(TextPrompt("Write the Perfetto trace of this run to:", default, default,
                               hint="Enter to write, Esc to cancel"), chosen)


def _export(app: App[int], recording: Path, target: Path, live: bool) -> None:
    message, ok = export_run(recording, target, live)
    app.call_from_thread(app.notify, message, title="Perfetto trace",
                         severity="information" if ok else "error", timeout=15, markup=False)
