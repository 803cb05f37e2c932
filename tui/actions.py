"""What the user can do: signals, pipe writes, queue pushes, log filters, restart, stop.

Commands go to the source; a refused one (``CommandRefused``) or any source error
becomes a notice, never a traceback. The effect of a command comes back as events.
"""

from __future__ import annotations

import signal
from collections.abc import Callable

from textual.app import App
from textual.reactive import reactive

from ipcevents.errors import CommandRefused
from ipcevents.source import Command, EventSource, PushQueue, SendSignal, WritePipe
from tui.logfilter import LogFilter
from tui.screens.dialogs import ConfirmScreen, PushPrompt, TextPrompt
from tui.screens.help import HelpScreen
from tui.state import MonitorState
from tui.text import signal_name
from tui.widgets.eventlog import EventLog
from tui.widgets.procs import ProcessList, ProcPane, role_label
from tui.widgets.signals import SignalPanel


class ActionsMixin(App[int]):
    """The app's actions; :class:`tui.app.MonitorApp` adds the source and the drawing."""

    selected: reactive[int | None] = reactive(None)
    """The pid of the selected pane: the target of signals and pipe writes."""
    all_children: reactive[bool] = reactive(False)
    """Signals go to every live child instead of the selected pane."""

    state: MonitorState
    source: EventSource | None
    factory: Callable[[], EventSource] | None

    def start_source(self, factory: Callable[[], EventSource]) -> None:
        raise NotImplementedError

    async def stop_source(self) -> None:
        raise NotImplementedError

    def _targets(self) -> list[int]:
        if self.all_children:
            return self.state.children()
        return [self.selected] if self.selected is not None else []

    def action_select(self, step: int) -> None:
        pids = sorted(self.state.procs)
        if not pids:
            return
        index = pids.index(self.selected) + step if self.selected in pids else 0
        self.selected = pids[max(0, min(len(pids) - 1, index))]
        self.query_one(ProcessList).reveal(self.selected)

    def on_proc_pane_selected(self, message: ProcPane.Selected) -> None:
        self.selected = message.pid

    def on_signal_panel_requested(self, message: SignalPanel.Requested) -> None:
        self.action_send_signal(message.signum)

    def action_toggle_all(self) -> None:
        self.all_children = not self.all_children

    def action_send_signal(self, signum: int) -> None:
        targets = self._targets()
        name = signal_name(signum)
        if not targets:
            self.notify("Select a process pane first (click it, or up/down).", severity="warning")
            return
        commands: list[Command] = [SendSignal(pid, signum) for pid in targets]
        if signum != signal.SIGKILL:
            self._send(commands)
            return
        who = ", ".join(str(p) for p in targets)

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._send(commands)

        self.push_screen(ConfirmScreen(f"Send {name} to {who}? It cannot be caught."), confirmed)

    def _send(self, commands: list[Command]) -> None:
        self.run_worker(
            self._send_all(commands), name="send", group="commands", exit_on_error=False
        )

    async def _send_all(self, commands: list[Command]) -> None:
        source = self.source
        if source is None:
            self.notify("Nothing is running: press r to restart.", severity="warning")
            return
        for command in commands:
            try:
                await source.send(command)
            except CommandRefused as exc:
                self.notify(str(exc), title="refused", severity="error", markup=False)
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                self.notify(error, title="failed", severity="error", markup=False)

    def action_write_pipe(self) -> None:
        """Write into the selected child's pipe: the master's own end has no reader to
        show, and an ended child's pipe is closed, so both are refused up front."""
        pid = self.selected
        view = self.state.procs.get(pid) if pid is not None else None
        if pid is None or view is None:
            self.notify("Select a child's pane first (click it, or up/down).", severity="warning")
            return
        if view.role == "master":
            self.notify(f"pid {pid} is the master: select a child's pane to write into its "
                        "pipe.", title="cannot write", severity="warning")
            return
        if view.ended:
            self.notify(f"{role_label(view)} (pid {pid}) has ended ({view.ending}): its pipe "
                        "is closed.", title="cannot write", severity="warning", markup=False)
            return

        def send(text: str | None) -> None:
            if text:
                self._send([WritePipe(pid, text.encode())])

        who = f"{role_label(view)} (pid {pid})"
        self.push_screen(TextPrompt(f"Write into the pipe of {who}:", "hello"), send)

    def action_push_queue(self) -> None:
        """Push into a queue; the default is the one the selected pane uses, else the first."""
        keys = [k for k, q in sorted(self.state.queues.items()) if not q.freed]
        if not keys:
            self.notify("No SysV queue is in use.", severity="warning")
            return
        view = self.state.procs.get(self.selected) if self.selected is not None else None
        default = view.queue_key if view is not None and view.queue_key in keys else keys[0]
        choices = [(f"queue {k:#x} ({self.state.queues[k].qnum} msgs)", k) for k in keys]

        def send(answer: tuple[int, str] | None) -> None:
            if answer is not None and answer[1]:
                self._send([PushQueue(answer[0], answer[1].encode())])

        self.push_screen(PushPrompt(choices, default), send)

    def action_toggle_follow(self) -> None:
        log = self.query_one(EventLog)
        log.follow = not log.follow
        self.refresh_status()

    def action_filter_log(self) -> None:
        log = self.query_one(EventLog)

        def apply_filter(query: str | None) -> None:
            if query is None:
                return
            try:
                log.log_filter = LogFilter.parse(query)
            except ValueError as exc:
                self.notify(str(exc), severity="error", markup=False)
            self.refresh_status()

        self.push_screen(
            TextPrompt("Filter the log (pid:N kind:K words):", "kind:pipe hello",
                       log.log_filter.describe()),
            apply_filter,
        )

    def action_filter_selected(self) -> None:
        log = self.query_one(EventLog)
        if self.selected is None:
            return
        if log.log_filter.pids == {self.selected}:
            log.log_filter = LogFilter()
        else:
            log.log_filter = LogFilter(frozenset({self.selected}))
        self.refresh_status()

    def action_clear_filter(self) -> None:
        log = self.query_one(EventLog)
        log.log_filter = LogFilter()
        log.search = ""
        self.refresh_status()

    def action_search_log(self) -> None:
        """Search without filtering: the context around a match stays visible."""
        log = self.query_one(EventLog)

        def start(query: str | None) -> None:
            if query is None:
                return
            log.search = query.strip().lower()
            if log.search and not log.find(-1):
                self.notify(f"no line contains {query.strip()!r}", severity="warning",
                            markup=False)
            self.refresh_status()

        self.push_screen(
            TextPrompt("Search the log (n: next newer, N: previous older, Esc: clear):",
                       "hello", log.search),
            start,
        )

    def action_find(self, step: int) -> None:
        log = self.query_one(EventLog)
        if not log.search:
            self.notify("Press s to search the log first.", severity="warning")
            return
        if not log.find(step):
            self.notify(f"no line contains {log.search!r}", severity="warning", markup=False)
        self.refresh_status()

    def refresh_status(self) -> None:
        """Redraw the status line (overridden by the app)."""

    async def action_restart(self) -> None:
        factory = self.factory
        if factory is None:
            return
        await self.stop_source()
        self.start_source(factory)
        self.notify("restarted")

    async def action_stop(self) -> None:
        await self.stop_source()
        self.notify("stopped: processes ended, queues removed (r restarts)")

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        await self.stop_source()
        self.exit(0)
