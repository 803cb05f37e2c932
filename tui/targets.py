"""Who a command from the user goes to, and why one cannot be sent: pure functions of
the state model, so the app only asks, shows a notice or a prompt, and sends.

No Textual import: the rules (the master's pipe has no reader to show, an ended child's
pipe is closed, a push defaults to the selected pane's queue) are tested without a
terminal.
"""

from __future__ import annotations

from dataclasses import dataclass

from tui.state import MonitorState


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why the command cannot be sent, as a notice."""

    message: str
    title: str = ""


def signal_targets(state: MonitorState, selected: int | None, all_children: bool) -> list[int]:
    """Every live child, or the selected pane's pid, or nobody."""
    if all_children:
        return state.children()
    return [selected] if selected is not None else []


def target_description(
    state: MonitorState, selected: int | None, all_children: bool, brief: bool = False
) -> str:
    """What the signal panel says its buttons are aimed at (``brief``: fewer words, for
    the one-line signal bar of a narrow terminal)."""
    if all_children:
        return f"all children ({len(state.children())})"
    if selected is None:
        return "nothing selected"
    view = state.procs.get(selected)
    label = view.label if view else "?"
    return f"{selected} {label}" if brief else f"pid {selected} ({label})"


def pipe_write_refusal(state: MonitorState, pid: int | None) -> Refusal | None:
    """None when ``pid``'s pipe can be written into: a live child's."""
    view = state.procs.get(pid) if pid is not None else None
    if pid is None or view is None:
        return Refusal("Select a child's pane first (click it, or up/down).")
    if view.role == "master":
        return Refusal(f"pid {pid} is the master: select a child's pane to write into its "
                       "pipe.", "cannot write")
    if view.ended:
        return Refusal(f"{view.label} (pid {pid}) has ended ({view.ending}): its pipe is "
                       "closed.", "cannot write")
    return None


def queue_choices(state: MonitorState, selected: int | None,
                  ) -> tuple[list[tuple[str, int]], int] | None:
    """(label, key) of every queue in use and the default key: the queue the selected
    pane uses, else the first. None when no queue is in use."""
    keys = [k for k, q in sorted(state.queues.items()) if not q.freed]
    if not keys:
        return None
    view = state.procs.get(selected) if selected is not None else None
    default = view.queue_key if view is not None and view.queue_key in keys else keys[0]
    return [(f"queue {k:#x} ({state.queues[k].qnum} msgs)", k) for k in keys], default
