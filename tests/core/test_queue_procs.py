"""Queues between real processes: routing, contention, blocking, signals during a wait.

Children are real ``Process`` forks; they report on a plain ``os.pipe`` (one line per
record, atomic below PIPE_BUF). Waits are on events (pipe lines, /proc wchan), never
fixed sleeps.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable, Iterator

import pytest

from ipccore import MODE_BALANCE, MODE_ORIENT, Process, queue_registry
from ipccore.errors import NoQueue
from tests.core.helpers import kill_and_reap, reap
from tests.core.queue_helpers import fresh_keys, nothing_to_read, read_line, wait_blocked

STOP = b"STOP"


@contextlib.contextmanager
def report_pipe() -> Iterator[tuple[int, int]]:
    r, w = os.pipe()
    try:
        yield r, w
    finally:
        os.close(r)
        with contextlib.suppress(OSError):
            os.close(w)


@contextlib.contextmanager
def started(*procs: Process) -> Iterator[list[int]]:
    """Start ``procs``; on the way out SIGKILL and reap any that is still ours."""
    pids = [p.start() for p in procs]
    try:
        yield pids
    finally:
        for pid in pids:
            with contextlib.suppress(ChildProcessError):
                kill_and_reap(pid)


def reporter(w: int, body: Callable[[Process], list[bytes]]) -> Callable[[Process], None]:
    def callback(worker: Process) -> None:
        for line in body(worker):
            os.write(w, line + b"\n")

    return callback


@contextlib.contextmanager
def blocked_in_pop(key: int, w: int, body: Callable[[Process], list[bytes]],
                   ) -> Iterator[tuple[Process, int]]:
    """A child on queue ``key`` running ``body`` (its lines go to ``w``), handed over once
    it is blocked in ``msgrcv``: the start of every test of a waiting pop. After the block
    the child must end by itself with exit code 0; the queue is removed either way."""
    p = Process(reporter(w, body), pipe_type=0)
    p.use_queue(key)
    try:
        with started(p) as (pid,):
            wait_blocked(pid, "msgrcv")
            yield p, pid
            assert reap(pid) == (0, 0)
    finally:
        p.free_queue()


def test_mode_orient_routes_by_the_object_used_to_push() -> None:
    with fresh_keys() as (key,), report_pipe() as (r, w):
        def consume(worker: Process) -> list[bytes]:
            return [str(worker.id).encode() + b":" + (worker.pop() or b"") for _ in range(3)]

        p1 = Process(reporter(w, consume), pipe_type=0)
        p2 = Process(reporter(w, consume), pipe_type=0)
        p1.use_queue(key, MODE_ORIENT)
        p2.use_queue(key, MODE_ORIENT)
        with started(p1, p2) as pids:
            for i in range(3):
                p2.push(b"to2-%d" % i)
                p1.push(b"to1-%d" % i)
            lines = sorted(read_line(r) for _ in range(6))
            assert [reap(pid) for pid in pids] == [(0, 0), (0, 0)]
        assert lines == sorted(
            [b"%d:to1-%d" % (p1.id, i) for i in range(3)]
            + [b"%d:to2-%d" % (p2.id, i) for i in range(3)]
        )
        p1.free_queue()


def test_mode_balance_two_consumers_each_message_exactly_once() -> None:
    n = 200
    with fresh_keys() as (key,), report_pipe() as (r, w):
        def consume(worker: Process) -> list[bytes]:
            got = []
            while (msg := worker.pop()) != STOP:
                got.append(msg or b"?")
            return [b"%d %s" % (worker.id, b",".join(got))]

        c1 = Process(reporter(w, consume), pipe_type=0)
        c2 = Process(reporter(w, consume), pipe_type=0)
        c1.use_queue(key, MODE_BALANCE)
        c2.use_queue(key, MODE_BALANCE)
        with started(c1, c2) as pids:
            for i in range(n):
                c1.push(b"m%d" % i)
            c1.push(STOP)
            c1.push(STOP)
            reports = [read_line(r, timeout=20) for _ in range(2)]
            assert [reap(pid) for pid in pids] == [(0, 0), (0, 0)]
        consumed: list[bytes] = []
        for rep in reports:
            _, _, body = rep.partition(b" ")
            consumed.extend(m for m in body.split(b",") if m)
        assert sorted(consumed) == sorted(b"m%d" % i for i in range(n))
        assert c1.stat_queue() == {"queue_num": 0, "queue_bytes": 0}
        c1.free_queue()


def test_blocking_pop_is_woken_by_a_push_from_another_process() -> None:
    def body(worker: Process) -> list[bytes]:
        return [worker.pop() or b"None"]

    with fresh_keys() as (key,), report_pipe() as (r, w), blocked_in_pop(key, w, body) as (p, _):
        assert nothing_to_read(r)
        p.push(b"wake up")
        assert read_line(r) == b"wake up"


def test_blocking_push_on_full_queue_waits_for_space() -> None:
    with fresh_keys() as (key,), report_pipe() as (r, w):
        def fill_then_push(worker: Process) -> list[bytes]:
            return [b"pushed %s" % str(worker.push(b"last" * 16)).encode()]

        p = Process(reporter(w, fill_then_push), pipe_type=0)
        p.use_queue(key, MODE_BALANCE, 128)
        p.push(b"a" * 64)
        p.push(b"b" * 64)
        with started(p) as (pid,):
            wait_blocked(pid, "msgsnd")
            assert nothing_to_read(r)
            assert p.pop() == b"a" * 64
            assert read_line(r) == b"pushed True"
            assert reap(pid) == (0, 0)
        assert p.pop() == b"b" * 64
        assert p.pop() == b"last" * 16
        p.free_queue()


# The tests of a waiting pop or push read alike (block, disturb, check the child's report
# line); the duplicate finder pairs them by shape.
def test_handled_signal_runs_during_a_blocked_pop_and_the_wait_continues() -> None:
    with fresh_keys() as (key,), report_pipe() as (r, w):
        def body(worker: Process) -> list[bytes]:
            signal.signal(signal.SIGUSR1, lambda s, f: os.write(w, b"handler\n"))
            return [b"popped " + (worker.pop() or b"None")]

        with blocked_in_pop(key, w, body) as (p, pid):
            os.kill(pid, signal.SIGUSR1)
            assert read_line(r) == b"handler"
            wait_blocked(pid, "msgrcv")  # back to waiting, not returned
            assert nothing_to_read(r)
            p.push(b"later")
            assert read_line(r) == b"popped later"


def test_exception_from_the_handler_propagates_out_of_pop() -> None:
    with fresh_keys() as (key,), report_pipe() as (r, w):
        def body(worker: Process) -> list[bytes]:
            def interrupt(signum: int, frame: object) -> None:
                raise KeyboardInterrupt

            signal.signal(signal.SIGUSR1, interrupt)
            try:
                worker.pop()
            except KeyboardInterrupt:
                return [b"interrupted"]
            return [b"returned"]

        with blocked_in_pop(key, w, body) as (p, pid):
            os.kill(pid, signal.SIGUSR1)
            assert read_line(r) == b"interrupted"
            assert p.stat_queue()["queue_num"] == 0


def test_freeing_the_queue_wakes_a_blocked_pop_with_noqueue() -> None:
    with fresh_keys() as (key,), report_pipe() as (r, w):
        def body(worker: Process) -> list[bytes]:
            try:
                worker.pop()
            except NoQueue as e:
                return [b"NoQueue " + str(e).encode()]
            return [b"returned"]

        with blocked_in_pop(key, w, body) as (p, _):
            assert p.free_queue() is True
            assert read_line(r).startswith(b"NoQueue pop(): the queue was removed")


@pytest.mark.parametrize("mode", [MODE_BALANCE, MODE_ORIENT])
def test_child_created_queue_survives_the_child(mode: int) -> None:
    """A queue a child creates belongs to the master: the child's exit removes nothing."""
    with fresh_keys() as (key,), report_pipe() as (r, w):
        def body(worker: Process) -> list[bytes]:
            worker.use_queue(key, mode)
            worker.push(b"from child")
            return [b"%d" % (worker.msg_queue_id or -1)]

        p = Process(reporter(w, body), pipe_type=0)
        with started(p) as (pid,):
            msqid = int(read_line(r))
            assert reap(pid) == (0, 0)
        p.use_queue(key, mode)
        assert p.msg_queue_id == msqid
        assert p.pop() == b"from child"
        p.free_queue()


def test_sigterm_to_a_child_kills_it_and_leaves_the_masters_queue() -> None:
    """The master's cleanup handler is inherited by children but never removes from them."""
    with fresh_keys() as (key,):
        p = Process(lambda worker: worker.pop(), pipe_type=0)
        p.use_queue(key)
        with started(p) as (pid,):
            wait_blocked(pid, "msgrcv")
            assert signal.getsignal(signal.SIGTERM) is queue_registry._on_sigterm
            os.kill(pid, signal.SIGTERM)
            assert reap(pid) == (0, signal.SIGTERM)
        assert p.stat_queue() == {"queue_num": 0, "queue_bytes": 0}
        p.free_queue()


def test_handled_signal_during_a_blocked_push_and_the_wait_continues() -> None:
    with fresh_keys() as (key,), report_pipe() as (r, w):
        def body(worker: Process) -> list[bytes]:
            signal.signal(signal.SIGUSR1, lambda s, f: os.write(w, b"handler\n"))
            return [b"pushed %s" % str(worker.push(b"c" * 64)).encode()]

        p = Process(reporter(w, body), pipe_type=0)
        p.use_queue(key, MODE_BALANCE, 64)
        p.push(b"a" * 64)
        with started(p) as (pid,):
            wait_blocked(pid, "msgsnd")
            os.kill(pid, signal.SIGUSR1)
            assert read_line(r) == b"handler"
            wait_blocked(pid, "msgsnd")
            assert nothing_to_read(r)
            assert p.pop() == b"a" * 64
            assert read_line(r) == b"pushed True"
            assert reap(pid) == (0, 0)
        assert p.pop() == b"c" * 64
        p.free_queue()
