"""``Q``: every SysV message queue of the machine, live, like ``lsipc -q`` and more.

Rows are refreshed 10 times a second from ``/proc/sysvipc/msg`` (and ``msgctl`` for the
capacity). Enter picks a queue to watch: its depth is drawn as a sparkline under the
table. ``d`` removes a queue after a confirmation, only one of your own uid (a queue of
another user is shown, never touched, also when the monitor runs as root). The reading
and the removing are ``ipccore.observe.sysvmsg``'s; this screen only draws and asks.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.coordinate import Coordinate
from textual.screen import Screen
from textual.widgets import DataTable, Sparkline, Static
from textual.widgets.data_table import CellDoesNotExist

from ipccore.observe import sysvmsg
from ipccore.observe.sysvmsg import Snapshot
from tui.queuetable import COLUMNS, cells, limits_line, ours
from tui.screens.dialogs import ConfirmScreen
from tui.text import human_bytes

REFRESH_S = 0.1
HISTORY = 120
"""Depth samples kept for the watched queue's sparkline (12 s at 10 Hz)."""


class MachineQueues(Screen[None]):
    """The machine's queues; Esc or Q goes back to the monitor."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,Q", "close", "back"),
        Binding("enter", "watch", "watch depth"),
        Binding("d,delete", "remove", "remove"),
    ]

    def __init__(self, read: Callable[[], Snapshot] = sysvmsg.snapshot,
                 clock: Callable[[], float] = time.time,
                 remove: Callable[[int, int], None] = sysvmsg.remove,
                 refresh_s: float | None = REFRESH_S) -> None:
        super().__init__()
        self._read, self._clock, self._remove = read, clock, remove
        self._refresh_s = refresh_s
        self.snap: Snapshot | None = None
        self.watched: int | None = None
        """The msqid whose depth is drawn."""
        self.history: deque[float] = deque(maxlen=HISTORY)

    def compose(self) -> ComposeResult:
        with Vertical(id="mq"):
            yield Static(id="mq-title")
            yield Static(id="mq-limits")
            yield DataTable(id="mq-table", cursor_type="row", zebra_stripes=True)
            yield Static(id="mq-watch")
            yield Sparkline([0.0], id="mq-spark")
            yield Static(Text(" Enter watch depth · d remove (yours only) · Esc back",
                              "dim"), id="mq-keys")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for column in COLUMNS:
            table.add_column(column, key=column)
        self.refresh_rows()
        if self._refresh_s:
            self.set_interval(self._refresh_s, self.refresh_rows, name="queues")
        table.focus()

    def refresh_rows(self) -> None:
        """Read the machine again and redraw: rows kept by msqid, so the cursor stays."""
        snap = self.snap = self._read()
        now = self._clock()
        title = Text(" the machine's SysV message queues ", "bold reverse")
        title.append(f" {len(snap.rows)} queue{'s' if len(snap.rows) != 1 else ''}", "bold")
        self.query_one("#mq-title", Static).update(title)
        self.query_one("#mq-limits", Static).update(Text(limits_line(snap), "dim"))
        table = self.query_one(DataTable)
        wanted = {str(row.msqid): row for row in snap.rows}
        for key in [str(k.value) for k in table.rows if str(k.value) not in wanted]:
            table.remove_row(key)
        for key, row in wanted.items():
            values = [Text(v, "bold" if ours(row, snap) else "") for v in cells(row, snap, now)]
            if key in table.rows:
                for column, value in zip(COLUMNS, values, strict=True):
                    table.update_cell(key, column, value)
            else:
                table.add_row(*values, key=key)
        self._draw_watch()

    def _selected(self) -> sysvmsg.QueueRow | None:
        table, snap = self.query_one(DataTable), self.snap
        if snap is None or not snap.rows or table.cursor_row < 0:
            return None
        try:
            key = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key.value
        except CellDoesNotExist:
            return None
        return next((r for r in snap.rows if str(r.msqid) == key), None)

    def _draw_watch(self) -> None:
        snap, line = self.snap, Text()
        row = next((r for r in snap.rows if r.msqid == self.watched), None) if snap else None
        if self.watched is None:
            line.append(" Enter on a queue watches its depth here", "dim")
        elif row is None:
            line.append(f" queue {self.watched} is gone", "bold yellow")
        else:
            self.history.append(float(row.qnum))
            cap = snap.capacity.get(row.msqid) if snap else None
            line.append(f" watching {row.key:#x} (id {row.msqid}): ", "bold")
            line.append(f"{row.qnum} messages, {human_bytes(row.cbytes)}")
            if cap:
                line.append(f" of {human_bytes(cap)}")
        self.query_one("#mq-watch", Static).update(line)
        self.query_one(Sparkline).data = list(self.history) or [0.0]

    def action_watch(self) -> None:
        row = self._selected()
        if row is not None and row.msqid != self.watched:
            self.watched = row.msqid
            self.history.clear()
            self._draw_watch()

    def on_data_table_row_selected(self, _message: DataTable.RowSelected) -> None:
        self.action_watch()

    def action_remove(self) -> None:
        row, snap = self._selected(), self.snap
        if row is None or snap is None:
            return
        if not ours(row, snap):
            self.app.notify(f"queue {row.msqid} belongs to uid {row.uid}: only your own "
                            "queues can be removed; it is left alone.", title="not yours",
                            severity="warning", markup=False)
            return
        question = (f"Remove queue {row.key:#x} (id {row.msqid})? Its {row.qnum} waiting "
                    "messages are lost, and a program using it gets errors.")

        def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            try:
                self._remove(row.msqid, row.key)
            except OSError as exc:
                self.app.notify(str(exc), title="not removed", severity="error",
                                markup=False)
                return
            self.app.notify(f"queue {row.key:#x} (id {row.msqid}) removed", markup=False)
            self.refresh_rows()

        self.app.push_screen(ConfirmScreen(question), confirmed)

    def action_close(self) -> None:
        self.dismiss(None)
