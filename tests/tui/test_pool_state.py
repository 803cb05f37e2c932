"""Pool events in the pure state model and the log: worker ids on panes, restarts named."""

from __future__ import annotations

from ipcevents.events import Event
from tests.tui.helpers import recording
from tui.state import MonitorState, apply
from tui.text import describe


def fold(events: list[Event]) -> MonitorState:
    state = MonitorState()
    for event in events:
        apply(state, event)
    return state


def test_pool_recording_labels_workers_by_id_and_names_the_restart() -> None:
    events = recording("pool", False)
    state = fold(events)
    workers = {pid: v for pid, v in state.procs.items() if v.worker_id is not None}
    assert sorted(v.worker_id or 0 for v in workers.values()) == [0, 1, 1, 2]
    killed = [v for v in workers.values() if v.state_text == "killed by SIGKILL"]
    assert len(killed) == 1
    assert killed[0].label == "worker #1"
    restarted = [v for v in workers.values() if v.previous is not None]
    assert len(restarted) == 1
    assert restarted[0].previous == killed[0].pid
    assert restarted[0].label == "worker #1"
    masters = [v for v in state.procs.values() if v.role == "pool master"]
    assert len(masters) == 1
    assert all(v.ppid == masters[0].pid for v in workers.values())


def test_pool_log_lines_say_what_happened_to_which_worker() -> None:
    texts = {e.kind: [] for e in recording("pool", False)}  # type: dict[str, list[str]]
    for e in recording("pool", False):
        texts[e.kind].append(describe(e))
    assert any("worker #1 restarted: pid " in t for t in texts["pool.spawn"])
    assert any(t.endswith("killed by SIGKILL, its message given back")
               for t in texts["pool.exit"])
    assert any(t.startswith("worker #1's message given back: ") for t in texts["pool.requeue"])
    assert all(t.startswith("worker #") and " takes " in t for t in texts["pool.message"])
    assert texts["pool.start"][0].startswith("pool of 3 workers, queue 0x")
    assert texts["pool.end"] == ["pool ended"]


def test_exec_and_close_read_as_sentences() -> None:
    exec_event = Event(0, 1.0, 7, "proc.exec", {"path": "/bin/echo", "args": "'hi there'"})
    assert describe(exec_event) == "exec /bin/echo 'hi there'"
    assert describe(Event(0, 1.0, 7, "pipe.close", {"fd": 4})) == "closed pipe fd 4"
