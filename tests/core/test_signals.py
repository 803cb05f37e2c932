"""Signals on real processes: prompt handlers, default restore, kill() shapes, alarm()."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable

import pytest

from ipccore import Process, Timer, WaitResult, event_wait
from tests.core.helpers import exits_cleanly, kill_and_reap, reap, start_ready


def test_handler_runs_while_blocked_in_read_and_read_resumes() -> None:
    def child(w: Process) -> None:
        Process.signal(signal.SIGUSR1, lambda sig: w.write(f"handled {sig}"))
        w.write("ready")
        w.write(b"echo " + w.read())

    p = Process(child)
    with exits_cleanly(p) as pid:
        assert p.read() == b"ready"
        assert Process.kill(pid, signal.SIGUSR1)
        assert p.read() == f"handled {int(signal.SIGUSR1)}".encode()
        p.write("still reading")
        assert p.read() == b"echo still reading"


def test_handler_runs_during_sleep() -> None:
    def child(w: Process) -> None:
        Process.signal(signal.SIGUSR2, lambda sig: w.write(f"at {time.monotonic()}"))
        w.write(str(time.monotonic()))
        time.sleep(3)

    p = Process(child)
    pid = p.start()
    try:
        float(p.read())
        Process.kill(pid, signal.SIGUSR2)
        sent = time.monotonic()
        handled = float(p.read().split()[1])
        assert handled - sent < 1.0
    finally:
        kill_and_reap(pid)


def test_none_restores_the_default_action() -> None:
    def child(w: Process) -> None:
        Process.signal(signal.SIGUSR1, lambda sig: None)
        Process.signal(signal.SIGUSR1, None)
        w.write("ready")
        w.read()

    p = Process(child)
    pid = start_ready(p)
    Process.kill(pid, signal.SIGUSR1)
    assert reap(pid) == (0, signal.SIGUSR1)


def test_child_does_not_inherit_the_masters_handlers() -> None:
    Process.signal(signal.SIGUSR2, lambda sig: None)
    try:
        def child(w: Process) -> None:
            os.kill(os.getpid(), signal.SIGUSR2)
            w.read()

        p = Process(child)
        pid = p.start()
        assert reap(pid) == (0, signal.SIGUSR2)
    finally:
        Process.signal(signal.SIGUSR2, None)


def test_signal_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="cannot be caught"):
        Process.signal(signal.SIGKILL, lambda sig: None)
    with pytest.raises(ValueError, match="not a valid signal"):
        Process.signal(999, lambda sig: None)
    with pytest.raises(TypeError):
        Process.signal(signal.SIGUSR1, "nope")  # type: ignore[arg-type]


def test_kill_shapes_live_zombie_reaped() -> None:
    p = Process(lambda w: w.read())
    pid = p.start()
    assert Process.kill(pid, 0) is True
    p.write("exit now")
    assert p.read() == b""
    assert Process.kill(pid, 0) is True  # a zombie still exists
    assert reap(pid) == (0, 0)
    assert Process.kill(pid, 0) is False
    assert Process.kill(pid, signal.SIGTERM) is False


def test_kill_defaults_to_sigterm() -> None:
    p = Process(lambda w: w.read())
    pid = p.start()
    assert Process.kill(pid) is True
    assert Process.wait() == WaitResult(pid, 0, signal.SIGTERM)


@pytest.mark.parametrize("pid", [0, -1, -os.getpgrp(), 1])
def test_kill_refuses_init_and_groups(pid: int) -> None:
    with pytest.raises(ValueError, match=r"os\.killpg"):
        Process.kill(pid, signal.SIGTERM)


def test_kill_existence_check_of_init_is_allowed_and_bad_signal_refused() -> None:
    assert Process.kill(1, 0) is True
    with pytest.raises(ValueError, match="not a valid signal"):
        Process.kill(os.getpid(), 999)


def test_alarm_interval_runs_the_handler_until_stopped() -> None:
    def child(w: Process) -> None:
        ticks: list[float] = []

        def on_alarm(sig: int) -> None:
            ticks.append(time.monotonic())
            if len(ticks) == 3:
                Process.alarm(0)
                w.write(f"{ticks[2] - ticks[0]:.3f}")

        Process.signal(signal.SIGALRM, on_alarm)
        Process.alarm(50_000)
        w.read()
        w.write(str(len(ticks)))

    p = Process(child)
    with exits_cleanly(p):
        span = float(p.read())
        assert 0.08 <= span < 1.5
        p.write("report")
        assert p.read() == b"3"


def test_alarm_without_handler_kills_with_sigalrm() -> None:
    def child(w: Process) -> None:
        Process.alarm(20_000)
        time.sleep(10)

    pid = Process(child, pipe_type=0).start()
    assert reap(pid) == (0, signal.SIGALRM)


def test_alarm_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="alarm type"):
        Process.alarm(1000, 3)
    with pytest.raises(TypeError):
        Process.alarm("10")  # type: ignore[arg-type]
    assert Process.alarm(0) is True


@pytest.mark.timeout(60)
def test_seed_e_signal_scenario_reaps_all_and_event_wait_returns() -> None:
    """Seed (e), faster: a child SIGUSR2s the master, which kills all children;
    a SIGCHLD handler reaps them and clears the keep-alive tick."""
    master = os.getpid()

    def child(w: Process) -> None:
        time.sleep(0.2 if w.id == first_id else 20)
        w.kill(master, signal.SIGUSR2)

    workers: dict[int, Process] = {}
    reaped: list[WaitResult] = []
    first_id = Process._constructed + 1
    for _ in range(2):
        p = Process(child, pipe_type=0)
        workers[p.start()] = p

    def on_usr2(sig: int) -> None:
        for pid in workers:
            Process.kill(pid, signal.SIGKILL)

    def on_chld(sig: int) -> None:
        while ret := Process.wait(False):
            reaped.append(ret)
        if len(reaped) == len(workers):
            Timer.clear(tick)

    tick = Timer.tick(2000, lambda timer_id: None)
    Process.signal(signal.SIGUSR2, on_usr2)
    Process.signal(signal.SIGCHLD, on_chld)
    try:
        started = time.monotonic()
        event_wait()
        elapsed = time.monotonic() - started
    finally:
        Process.signal(signal.SIGUSR2, None)
        Process.signal(signal.SIGCHLD, None)
        Timer.clear_all()
        for pid in workers:
            if Process.kill(pid, 0):
                kill_and_reap(pid)
    assert sorted(r.pid for r in reaped) == sorted(workers)
    by_id = {workers[r.pid].id: r for r in reaped}
    assert by_id[first_id + 1].signal == signal.SIGKILL  # the 20-s sleeper was killed
    assert elapsed < 10


def test_a_signal_right_after_start_is_never_lost() -> None:
    """The parent has a Python SIGTERM handler; a SIGTERM sent the instant start()
    returns must still end the child (it once hit the child between fork and the reset
    of the inherited handler, and was swallowed: the child then blocked forever)."""
    previous = signal.signal(signal.SIGTERM, lambda *_: None)
    try:
        for _ in range(100):
            p = Process(lambda w: w.read())
            pid = p.start()
            os.kill(pid, signal.SIGTERM)
            assert Process.wait() == WaitResult(pid, 0, signal.SIGTERM)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _early_signal_master(safe_order: bool) -> Callable[[Process], None]:
    """A master ported from Swoole: a handler clears the timer that keeps ``event_wait()``
    alive, and the signal comes early (here: at once, sent to itself)."""

    def master(w: Process) -> None:
        def handler(_sig: int) -> None:
            w.write(f"handled, timers pending: {Timer.pending()}")
            Timer.clear_all()

        if safe_order:
            Timer.tick(50, lambda _tid: None)
            Process.signal(signal.SIGUSR1, handler)
        else:  # Swoole's order: fine there, since its handlers run only inside the loop
            Process.signal(signal.SIGUSR1, handler)
        os.kill(os.getpid(), signal.SIGUSR1)
        if not safe_order:
            Timer.tick(50, lambda _tid: None)
        w.write("waiting")
        event_wait()
        w.write("event_wait returned")

    return master


def test_porting_trap_handler_before_keep_alive_timer_hangs() -> None:
    """docs/core.md's porting note: our handler runs at once, before the timer exists, so
    it clears nothing and the timer created after it keeps event_wait() alive forever."""
    p = Process(_early_signal_master(safe_order=False))
    pid = p.start()
    try:
        assert p.read() == b"handled, timers pending: 0"
        assert p.read() == b"waiting"
        p.set_timeout(1.0)
        with pytest.raises(TimeoutError):
            p.read()  # a hang: no later moment would change this
    finally:
        assert kill_and_reap(pid) == (0, signal.SIGKILL)


def test_porting_safe_order_keep_alive_timer_first() -> None:
    p = Process(_early_signal_master(safe_order=True))
    with exits_cleanly(p):
        assert p.read() == b"handled, timers pending: 1"
        assert p.read() == b"waiting"
        assert p.read() == b"event_wait returned"
