"""Timer and event_wait(): ticks, one-shots, clearing, signals waking the loop."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

import pytest

from ipccore import Process, Timer, event_wait
from tests.core.helpers import reap


@pytest.fixture(autouse=True)
def no_timers_left() -> Iterator[None]:
    yield
    Timer.clear_all()


def test_tick_repeats_until_cleared_and_event_wait_returns() -> None:
    fired: list[float] = []

    def on_tick(timer_id: int, label: str) -> None:
        assert label == "t"
        fired.append(time.monotonic())
        if len(fired) == 4:
            assert Timer.clear(timer_id) is True

    started = time.monotonic()
    tid = Timer.tick(20, on_tick, "t")
    assert isinstance(tid, int)
    assert tid >= 1
    event_wait()
    assert len(fired) == 4
    # a tick never fires early; a late one does not shift the rhythm of the next ones
    assert all(t - started >= 0.02 * (k + 1) - 0.001 for k, t in enumerate(fired))
    assert time.monotonic() - started < 5


def test_after_fires_once_with_its_arguments_in_order() -> None:
    calls: list[tuple[str, int]] = []
    a = Timer.after(30, lambda x, y: calls.append((x, y)), "late", 2)
    b = Timer.after(10, lambda x, y: calls.append((x, y)), "early", 1)
    assert b == a + 1
    event_wait()
    assert calls == [("early", 1), ("late", 2)]
    assert Timer.clear(a) is False


def test_clear_and_clear_all() -> None:
    fired: list[int] = []
    keep = Timer.after(20, lambda: fired.append(1))
    drop = Timer.after(10, lambda: fired.append(2))
    assert Timer.clear(drop) is True
    assert Timer.clear(drop) is False
    event_wait()
    assert fired == [1]
    assert Timer.clear(keep) is False
    Timer.tick(10, lambda tid: fired.append(3))
    Timer.after(10, lambda: fired.append(4))
    assert Timer.clear_all() is True
    started = time.monotonic()
    event_wait()
    assert time.monotonic() - started < 0.5
    assert fired == [1]


def test_event_wait_without_timers_returns_at_once() -> None:
    started = time.monotonic()
    event_wait()
    assert time.monotonic() - started < 0.5


def test_bad_timer_arguments() -> None:
    with pytest.raises(ValueError, match="positive"):
        Timer.tick(0, lambda tid: None)
    with pytest.raises(TypeError):
        Timer.after("5", lambda: None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Timer.after(5, "not callable")  # type: ignore[arg-type]


@pytest.mark.timeout(60)
def test_signal_handler_changing_timers_is_honoured_at_once() -> None:
    """A long timer keeps the loop alive; a signal clears it and adds a short one."""
    done: list[str] = []
    long_timer = Timer.after(30_000, lambda: done.append("long"))

    def on_usr1(sig: int) -> None:
        Timer.clear(long_timer)
        Timer.after(1, lambda: done.append("short"))

    Process.signal(signal.SIGUSR1, on_usr1)
    master = os.getpid()
    try:
        child = Process(lambda w: Process.kill(master, signal.SIGUSR1), pipe_type=0)
        pid = child.start()
        started = time.monotonic()
        event_wait()
        elapsed = time.monotonic() - started
        assert reap(pid) == (0, 0)
    finally:
        Process.signal(signal.SIGUSR1, None)
    assert done == ["short"]
    assert elapsed < 10


def test_child_runs_its_pending_timers_before_exiting() -> None:
    def child(w: Process) -> None:
        Timer.after(20, lambda: w.write("fired"))

    p = Process(child)
    pid = p.start()
    assert p.read() == b"fired"
    assert reap(pid) == (0, 0)


def test_child_starts_without_the_masters_timers() -> None:
    Timer.after(10, lambda: None)

    def child(w: Process) -> None:
        w.write(str(Timer.pending()))

    p = Process(child)
    pid = p.start()
    assert p.read() == b"0"
    assert reap(pid) == (0, 0)
    assert Timer.pending() == 1


def test_timer_exception_ends_a_child_with_255() -> None:
    def child(w: Process) -> None:
        Timer.after(5, lambda: 1 / 0)

    pid = Process(child, pipe_type=0).start()
    assert reap(pid) == (255, 0)
