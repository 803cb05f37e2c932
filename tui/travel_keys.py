"""The time-travel keys: move the display's cursor in the pure :class:`~tui.travel.Travel`,
keep a replay's pace in step with it, and redraw; ``g`` asks for a time first.

A replay pauses with the display and plays on with it; a live program runs on underneath
a paused display, recorded (:meth:`~tui.pump.SourcePump.follow_display`).
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import App

from tui.pump import SourcePump
from tui.screens.dialogs import TextPrompt


class TravelKeys:
    """What space, left/right, home/end and ``g`` do; ``redraw`` draws every panel anew."""

    def __init__(self, app: App[int], pump: SourcePump, redraw: Callable[[], None]) -> None:
        self._app = app
        self._pump = pump
        self._redraw = redraw

    def _moved(self) -> None:
        self._pump.follow_display()
        self._redraw()

    def toggle_pause(self) -> None:
        """Pause on the newest event, or go back to live."""
        self._pump.travel.toggle()
        self._moved()

    def step(self, delta: int) -> None:
        self._pump.travel.step(delta)
        self._moved()

    def to_start(self) -> None:
        self._pump.travel.home()
        self._moved()

    def to_end(self) -> None:
        self._pump.travel.end()
        self._moved()

    def ask_time(self) -> None:
        """Prompt for seconds since the first event and stand on the last event by then;
        what is not a number is a notice."""

        def go(answer: str | None) -> None:
            if answer is None or not answer.strip():
                return
            try:
                seconds = float(answer)
            except ValueError:
                self._app.notify(f"not a number of seconds: {answer.strip()[:40]!r}",
                                 severity="error", markup=False)
                return
            self._pump.travel.goto_time(seconds)
            self._moved()

        self._app.push_screen(
            TextPrompt("Go to time (seconds since the first event):", "0.5"), go)
