"""What the user does to the watched processes: send a signal, write into a child's pipe,
push into a queue.

Each asks first where it has to (a SIGKILL is confirmed; a message is prompted for), then
hands the commands to the pump. Who they go to, and why one cannot be sent, is decided by
the pure rules of :mod:`tui.targets`; this module only turns their answers into notices,
dialogs and commands. What the commands did comes back as events, like anything else.
"""

from __future__ import annotations

import signal

from textual.app import App

from ipcevents.events import signal_name
from ipcevents.source import Command, PushQueue, SendSignal, WritePipe
from tui.pump import SourcePump
from tui.screens.dialogs import ConfirmScreen, PushPrompt, TextPrompt
from tui.targets import pipe_write_refusal, queue_choices, signal_targets


class ProcessActions:
    """The app's signal, pipe and queue keys, acting on the pump's newest state."""

    def __init__(self, app: App[int], pump: SourcePump) -> None:
        self._app = app
        self._pump = pump

    def send_signal(self, signum: int, selected: int | None, all_children: bool) -> None:
        """To the selected pane or every live child; SIGKILL only once confirmed."""
        targets = signal_targets(self._pump.travel.live, selected, all_children)
        if not targets:
            self._app.notify("Select a process pane first (click it, or up/down).",
                             severity="warning")
            return
        commands: list[Command] = [SendSignal(pid, signum) for pid in targets]
        if signum != signal.SIGKILL:
            self._pump.send(commands)
            return
        who = ", ".join(str(p) for p in targets)

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._pump.send(commands)

        question = f"Send {signal_name(signum)} to {who}? It cannot be caught."
        self._app.push_screen(ConfirmScreen(question), confirmed)

    def write_pipe(self, pid: int | None) -> None:
        """Prompt for a message and write it into ``pid``'s pipe (a live child's)."""
        state = self._pump.travel.live
        refusal = pipe_write_refusal(state, pid)
        if refusal is not None:
            self._app.notify(refusal.message, title=refusal.title, severity="warning",
                             markup=False)
            return
        assert pid is not None  # no refusal: a live child is selected

        def send(text: str | None) -> None:
            if text:
                self._pump.send([WritePipe(pid, text.encode())])

        who = f"{state.procs[pid].label} (pid {pid})"
        self._app.push_screen(TextPrompt(f"Write into the pipe of {who}:", "hello"), send)

    def push_queue(self, selected: int | None) -> None:
        """Prompt for a queue (the selected pane's by default) and a message to push."""
        choices = queue_choices(self._pump.travel.live, selected)
        if choices is None:
            self._app.notify("No SysV queue is in use.", severity="warning")
            return

        def send(answer: tuple[int, str] | None) -> None:
            if answer is not None and answer[1]:
                self._pump.send([PushQueue(answer[0], answer[1].encode())])

        self._app.push_screen(PushPrompt(*choices), send)
