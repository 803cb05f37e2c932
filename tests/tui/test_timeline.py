"""Time travel's model: the state shown after any walk of steps is the fold of the first k
events (hypothesis, over every committed recording), checkpoints bound the refold, memory
is bounded, and a copy of the state is independent of the live one."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ipcevents.events import Event
from tests.tui.helpers import ev, family, family_of, recording
from tui.state import MonitorState, apply
from tui.timeline import Timeline, clone
from tui.travel import Travel

DEMOS = ("pipe", "sibling", "coroutine", "queue", "signal")
RECORDED = {name: recording(name) for name in DEMOS}


def fold(events: list[Event]) -> MonitorState:
    state = MonitorState()
    for event in events:
        apply(state, event)
    return state


Move = tuple[str, float]
moves = st.lists(
    st.one_of(
        st.tuples(st.just("step"), st.integers(-50, 50).map(float)),
        st.tuples(st.sampled_from(["home", "end", "toggle"]), st.just(0.0)),
        st.tuples(st.just("time"), st.floats(-1.0, 2.0)),
    ),
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(DEMOS), every=st.integers(1, 9), walk=moves)
def test_state_after_any_walk_is_the_fold_of_the_first_k_events(
    name: str, every: int, walk: list[Move]
) -> None:
    events = RECORDED[name]
    travel = Travel.sized(every=every, keep=1000)
    for event in events:
        travel.feed(event)
    for what, arg in walk:
        if what == "step":
            travel.step(int(arg))
        elif what == "home":
            travel.home()
        elif what == "end":
            travel.end()
        elif what == "toggle":
            travel.toggle()
        else:
            travel.goto_time(arg)
        k = travel.at
        assert 0 <= k <= len(events)
        assert travel.shown() == fold(events[:k])


@pytest.mark.parametrize("name", DEMOS)
def test_every_k_of_every_recording(name: str) -> None:
    events = RECORDED[name]
    timeline = Timeline(every=4, keep=1000)
    for event in events:
        timeline.append(event)
    for k in range(len(events) + 1):
        assert timeline.state_at(k) == fold(events[:k]), k


def test_stepping_back_past_a_sigkill_makes_the_child_alive_again() -> None:
    events = RECORDED["sibling"]
    travel = Travel.sized(every=5)
    for event in events:
        travel.feed(event)
    _master, (killed, _other) = family_of(events)
    assert travel.shown().procs[killed].ending == "killed by SIGKILL"
    reap = next(i for i, e in enumerate(events, 1)
                if e.kind == "proc.reap" and e.get("child") == killed)
    travel.go(reap - 1)
    assert travel.shown().procs[killed].ending is None
    travel.step(1)
    assert travel.shown().procs[killed].ending == "killed by SIGKILL"
    t = events[reap - 1].ts - events[0].ts
    assert travel.position() == f"event {reap} / {len(events)}, {t:.3f} s"


def test_memory_is_bounded_to_the_kept_window() -> None:
    timeline = Timeline(every=10, keep=100)
    events = [*family()]
    for i in range(2000):
        events.append(ev(4101, "pipe.write", i * 0.001, fd=5, to=4100, nbytes=1, preview="x"))
    for event in events:
        timeline.append(event)
    assert timeline.count == len(events)
    assert len(timeline._events) <= 110
    assert len(timeline._saved) <= 12
    assert timeline.first % 10 == 0
    assert timeline.first >= len(events) - 110
    # The oldest kept moment is still exact.
    assert timeline.state_at(timeline.first).events == timeline.first
    assert timeline.state_at(0).events == timeline.first
    with pytest.raises(IndexError):
        timeline.event(1)


def test_a_clone_is_independent_of_the_live_state() -> None:
    state = fold([*family(), ev(4101, "signal.send", 0.1, to=4102, signal=10, name="SIGUSR1",
                                ok=True)])
    copy = clone(state)
    assert copy == state
    apply(state, ev(4102, "signal.handle", 0.2, signal=10, name="SIGUSR1"))
    apply(state, ev(4100, "proc.reap", 0.3, child=4102, code=0, signal=9))
    assert copy != state
    assert copy.procs[4102].ending is None
    assert copy.procs[4102].signals == {"SIGUSR1": 1}
    assert len(copy.log) == len(state.log) - 2


def test_a_paused_travel_keeps_recording_underneath() -> None:
    travel = Travel.sized(every=3)
    events = family()
    for event in events[:3]:
        travel.feed(event)
    travel.toggle()
    assert travel.paused
    shown = travel.shown().events
    for event in events[3:]:
        travel.feed(event)
    assert travel.shown().events == shown
    assert travel.live.events == len(events)
    travel.toggle()
    assert not travel.paused
    assert travel.shown() is travel.live
