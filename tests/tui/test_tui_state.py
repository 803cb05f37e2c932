"""The pure state model: counts, endings and bounds, from recordings and generated events."""

from __future__ import annotations

import signal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ipcevents.events import PEER_KINDS, Event
from tests.monitor.helpers import measured
from tests.tui.helpers import T0, ev, family, recording
from tui.logfilter import LogFilter
from tui.state import LOG_MAX, MonitorState, apply
from tui.text import TEXT_MAX, describe


def fold(events: list[Event]) -> MonitorState:
    state = MonitorState()
    for event in events:
        apply(state, event)
    return state


@pytest.mark.parametrize("handwritten", [False, True])
def test_sibling_child1_killed_after_five_messages(handwritten: bool) -> None:
    state = fold(recording("sibling", handwritten))
    master = min(state.procs)
    child1, child2 = sorted(state.procs)[1:]
    assert state.procs[child1].state_text == "killed by SIGKILL"
    assert state.procs[child1].msgs_in == 5
    last = state.procs[child1].last_message
    assert last is not None
    assert last.startswith(f"from {child2}")
    assert state.procs[child2].msgs_out == 5
    assert state.procs[child2].state_text == "exited with code 0"
    assert state.procs[master].role == "master"
    assert state.ended
    assert state.end_code == 0


def test_signal_demo_both_children_killed() -> None:
    """The seed's timing (hand-written): both children die of the master's SIGKILL."""
    state = fold(recording("signal", handwritten=True))
    children = [p for p in state.procs.values() if p.role == "child"]
    assert len(children) == 2
    assert all(p.state_text == "killed by SIGKILL" for p in children)
    master = next(p for p in state.procs.values() if p.role == "master")
    assert master.signals == {"SIGUSR2": 1, "SIGCHLD": 1}


def test_signal_demo_real_run_shows_what_the_reaper_saw() -> None:
    """A real run: child 1 may exit on its own right after its kill(), before the SIGKILL."""
    events = recording("signal")
    state = fold(events)
    reaps = {e.get("child"): e for e in events if e.kind == "proc.reap"}
    children = sorted(p.pid for p in state.procs.values() if p.role == "child")
    assert len(children) == 2
    assert set(reaps) == set(children)
    for pid in children:
        reap = reaps[pid]
        expected = (f"killed by {signal.Signals(reap.get('signal')).name}" if reap.get("signal")
                    else f"exited with code {reap.get('code')}")
        assert state.procs[pid].state_text == expected
        assert state.procs[pid].signals.get("SIGKILL") == 1
    assert state.procs[children[1]].state_text == "killed by SIGKILL"


@pytest.mark.parametrize("name", ["pipe", "sibling", "coroutine", "queue", "signal"])
def test_recordings_measure_every_process(name: str) -> None:
    """The committed recordings (made at --speed 0.1) have a non-zero rss for every process
    they started, so no pane in a snapshot reads ``0 B`` for a process that ran."""
    events = recording(name)
    started = {e.get("child") for e in events if e.kind == "proc.spawn"}
    started |= {e.pid for e in events if e.kind == "proc.hello"}
    assert started
    assert started <= measured(events)
    state = fold(events)
    assert all(state.procs[pid].rss > 0 for pid in started)


def test_pipe_demo_counts_and_order() -> None:
    state = fold(recording("pipe"))
    master = next(p for p in state.procs.values() if p.role == "master")
    assert (master.msgs_out, master.msgs_in) == (2, 2)
    assert all(p.msgs_in == 1 and p.msgs_out == 1 for p in state.procs.values() if p is not master)
    # Causal order is the log's order; what a process reported itself is stamped by its
    # own clock reading, monotonic per pid. (What the collector observed about a process,
    # proc.seen/io/signals, is stamped when it looked: it may sort before a hello that
    # was held up on a loaded machine.)
    for pid in {line.pid for line in state.log}:
        times = [line.t for line in state.log if line.pid == pid and line.kind in PEER_KINDS]
        assert times == sorted(times)
    reads = [i for i, line in enumerate(state.log) if line.kind == "pipe.read"]
    writes = [i for i, line in enumerate(state.log) if line.kind == "pipe.write"]
    assert all(any(w < r for w in writes) for r in reads)
    assert state.log[0].t >= 0.0


def test_queue_demo_gauge_and_history() -> None:
    events = recording("queue")
    state = fold(events)
    (queue,) = state.queues.values()
    pushes = sum(e.kind == "queue.push" for e in events)
    pops = sum(e.kind == "queue.pop" for e in events)
    assert pushes >= 5
    assert pops == pushes
    assert (queue.pushes, queue.pops, queue.mode, queue.qbytes) == (pushes, pops, 2, 16384)
    assert queue.freed
    assert (queue.qnum, queue.cbytes) == (0, 0)
    assert max(queue.history) >= 5
    assert len(queue.history) == sum(
        e.kind in ("queue.push", "queue.pop", "queue.depth", "queue.free") for e in events
    )


def test_queue_depth_follows_pushes_then_samples() -> None:
    key = {"key": 5, "msqid": 9}
    state = fold([
        ev(1, "queue.push", **key, mtype=1, nbytes=10, preview="a"),
        ev(1, "queue.push", **key, mtype=1, nbytes=4, preview="b"),
        ev(2, "queue.pop", **key, mtype=1, nbytes=10, preview="a"),
    ])
    view = state.queues[5]
    assert (view.qnum, view.cbytes) == (1, 4)
    apply(state, ev(0, "queue.depth", **key, qnum=7, cbytes=70, qbytes=100))
    assert (view.qnum, view.cbytes, view.qbytes) == (7, 70, 100)
    assert list(view.history) == [1, 2, 1, 7]


def test_an_aggregate_counts_as_its_count_and_logs_one_line() -> None:
    key = {"key": 5, "msqid": 9}
    before = fold([*family()])
    state = fold([
        *family(),
        ev(4101, "pipe.write", fd=5, to=4100, nbytes=64_000, preview="m", count=1000, ts0=T0),
        ev(4100, "pipe.read", fd=4, nbytes=64, preview="m"),
        ev(4100, "queue.push", **key, mtype=1, nbytes=300, preview="q", count=3, ts0=T0),
        ev(4101, "queue.pop", **key, mtype=1, nbytes=200, preview="q", count=2, ts0=T0),
    ])
    child, master = state.procs[4101], state.procs[4100]
    assert (child.msgs_out, child.bytes_out) == (1000, 64_000)
    assert (master.msgs_in, master.bytes_in) == (1, 64)
    assert (state.queues[5].pushes, state.queues[5].pops, state.queues[5].qnum) == (3, 2, 1)
    assert state.queues[5].cbytes == 100
    assert len(state.log) == len(before.log) + 4
    assert state.log[-4].text.startswith("×1,000 64,000 B -> 4100")
    assert state.log[-3].text.startswith("64 B")


def test_samples_are_not_logged_but_update_panes() -> None:
    first = ev(4101, "proc.stats", cpu=0.0, rss=1024, state="running")
    state = fold([*family(), first])
    assert state.procs[4101].rss == 1024
    assert state.procs[4101].cpu is None  # one sample is a baseline, not a rate: "–"
    apply(state, ev(4101, "proc.stats", cpu=12.5, rss=2048, state="stopped"))
    assert state.procs[4101].status == "stopped"
    assert state.procs[4101].cpu == 12.5
    assert all(line.kind != "proc.stats" for line in state.log)


def test_reap_carries_the_final_figures() -> None:
    """The parent's wait4 gives cpu time and peak rss: shown once the process ended, and a
    late sample (a zombie reads rss 0) does not overwrite them."""
    state = fold([
        *family(),
        ev(4101, "proc.stats", cpu=0.0, rss=1024, state="running"),
        ev(4100, "proc.reap", child=4101, code=0, signal=0, cpu_time=0.25, maxrss=9 << 20),
        ev(4101, "proc.stats", cpu=0.0, rss=0, state="zombie"),
    ])
    view = state.procs[4101]
    assert view.ended
    assert view.cpu_time == 0.25
    assert view.rss == 9 << 20
    # A reap without the optional fields (an older recording) keeps the last sample.
    state = fold([*family(), ev(4102, "proc.stats", cpu=0.0, rss=4096, state="running"),
                  ev(4100, "proc.reap", child=4102, code=0, signal=0)])
    assert (state.procs[4102].rss, state.procs[4102].cpu_time) == (4096, None)


def test_handled_signal_not_counted_twice() -> None:
    state = fold([
        *family(),
        ev(4100, "signal.send", to=4101, signal=signal.SIGUSR1, ok=True),
        ev(4101, "signal.handle", signal=signal.SIGUSR1),
        ev(4101, "signal.handle", signal=signal.SIGUSR2),  # sent by the UI: no signal.send
    ])
    assert state.procs[4101].signals == {"SIGUSR1": 1, "SIGUSR2": 1}


def test_markup_and_bytes_stay_literal() -> None:
    nasty = "[bold red]x[/] [/] [link=http://e.vil]y[/link] \\xff\\xfe"
    state = fold([*family(), ev(4101, "pipe.read", fd=5, nbytes=40, preview=nasty)])
    assert state.procs[4101].last_message == nasty
    assert nasty in state.log[-1].text


def test_huge_message_is_bounded_with_its_size() -> None:
    big = ev(4101, "pipe.write", fd=5, to=4100, nbytes=10_000_000, preview="a" * 5000)
    state = fold([*family(), big])
    assert len(state.log[-1].text) <= TEXT_MAX + 40
    assert "10000000 B" in state.log[-1].text
    assert state.procs[4101].bytes_out == 10_000_000


def test_log_filter_by_pid_kind_and_text() -> None:
    state = fold(recording("pipe"))
    child = sorted(state.procs)[1]
    flt = LogFilter.parse(f"pid:{child} kind:pipe hello")
    kept = [line for line in state.log if flt.matches(line)]
    assert kept
    assert all(line.pid == child and line.category == "pipe" for line in kept)
    assert all("hello" in line.render().lower() for line in kept)
    assert not LogFilter.parse("").active


def test_log_filter_rejects_bad_pid() -> None:
    with pytest.raises(ValueError, match="abc"):
        LogFilter.parse("pid:abc")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False)
    | st.text(max_size=300),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
KINDS = [
    "proc.hello", "proc.spawn", "proc.exit", "proc.reap", "proc.gone", "proc.stats", "proc.name",
    "pipe.write", "pipe.read", "queue.open", "queue.push", "queue.pop", "queue.depth",
    "queue.free", "signal.send", "signal.handle", "signal.install", "io.stdout", "error",
    "monitor.end", "monitor.dropped", "monitor.command", "timer.fire", "x.unknown",
]
events_st = st.builds(
    lambda pid, kind, fields, dt: Event(0, T0 + dt, pid, kind, fields),
    st.integers(0, 50),
    st.sampled_from(KINDS),
    st.dictionaries(
        st.sampled_from(["child", "code", "signal", "to", "nbytes", "preview", "key", "qnum",
                         "cbytes", "qbytes", "name", "role", "line", "state", "cpu", "rss",
                         "mode", "ok"]),
        json_values, max_size=8),
    st.floats(0, 1e6),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(events_st, max_size=60))
def test_any_event_stream_folds_without_error(events: list[Event]) -> None:
    state = fold(events)
    assert state.events == len(events)
    for line in state.log:
        assert "\n" not in line.text
        assert isinstance(describe(Event(0, T0, line.pid, line.kind, {})), str)
    for view in state.procs.values():
        assert len(view.signals) <= 16


def test_log_is_a_bounded_ring() -> None:
    state = MonitorState()
    for i in range(LOG_MAX + 500):
        apply(state, Event(i + 1, T0 + i, 7, "io.stdout", {"line": f"line {i}"}))
    assert len(state.log) == LOG_MAX
    assert state.log[-1].text == f"line {LOG_MAX + 499}"
    assert state.log[0].t == 500.0
