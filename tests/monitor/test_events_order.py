"""The merge of lanes: per-lane order, timestamp order, and reads after their writes."""

from __future__ import annotations

import math
import os
from typing import Final

from ipccore.monitor.emitter import SocketEmitter
from ipccore.monitor.order import _MAX_MESSAGES, Draft, Reorder
from tests.monitor.helpers import (
    Collectors,
    collect,
    collectors_fixture,  # noqa: F401  (the `collectors` fixture)
    events_until,
    fork_writer,
    reap,
)

KIND: Final = 2
FIELDS: Final = 3


def _w(pid: int, to: int, text: str, ts: float) -> Draft:
    return (ts, pid, "pipe.write", {"to": to, "nbytes": len(text), "preview": text})


def _r(pid: int, text: str, ts: float) -> Draft:
    return (ts, pid, "pipe.read", {"nbytes": len(text), "preview": text})


def _timer(pid: int, timer: int, ts: float) -> Draft:
    return (ts, pid, "timer.fire", {"timer": timer})


def test_lanes_merge_by_key_and_keep_their_own_order() -> None:
    r = Reorder(0.04)
    r.push(1, 1.0, _timer(10, 1, 1.0))
    r.push(1, 3.0, _timer(10, 3, 3.0))
    r.push(2, 2.0, _timer(20, 2, 2.0))
    assert [e[FIELDS]["timer"] for e in r.pop_ready(2.5)] == [1, 2]
    assert len(r) == 1
    assert [e[FIELDS]["timer"] for e in r.pop_ready(math.inf)] == [3]


def test_a_read_waits_for_its_queued_write_even_when_old() -> None:
    r = Reorder(0.04)
    r.push(1, 1.000, _r(10, "hi", 1.000))
    r.push(1, 1.001, _timer(10, 1, 1.001))
    r.push(2, 1.002, _w(20, 10, "hi", 1.002))
    kinds = [e[KIND] for e in r.pop_ready(1.5)]
    assert kinds == ["pipe.write", "pipe.read", "timer.fire"]


def test_a_read_without_a_write_is_held_only_for_a_while() -> None:
    r = Reorder(0.04)
    r.push(1, 1.0, _r(10, "merged", 1.0))
    assert list(r.pop_ready(1.05)) == []
    assert [e[KIND] for e in r.pop_ready(1.0 + r.hold + 0.01)] == ["pipe.read"]


def test_the_final_flush_never_deadlocks() -> None:
    r = Reorder(0.04)
    r.push(1, 1.0, _r(10, "x", 1.0))
    r.push(1, 1.1, _w(10, 20, "y", 1.1))
    r.push(2, 1.0, _r(20, "y", 1.0))
    r.push(2, 1.1, _w(20, 10, "x", 1.1))
    out = list(r.pop_ready(math.inf))
    assert len(out) == 4
    assert len(r) == 0


def test_memory_stays_bounded_over_many_distinct_messages() -> None:
    """Matched messages are forgotten at once; writes no read ever matches (a STREAM
    read merges them) are remembered only up to a bound."""
    r = Reorder(0.04)
    for i in range(10_000):
        r.push(1, float(i), _w(10, 20, f"matched {i}", float(i)))
        r.push(2, i + 0.5, _r(20, f"matched {i}", i + 0.5))
    assert len(list(r.pop_ready(math.inf))) == 20_000
    assert not r._writers
    for i in range(50_000):
        r.push(1, 20_000.0 + i, _w(10, 20, f"unread {i}", 20_000.0 + i))
    assert len(list(r.pop_ready(math.inf))) == 50_000
    assert len(r._writers) <= _MAX_MESSAGES


def test_a_read_matched_to_its_writer_names_it() -> None:
    r = Reorder(0.04)
    r.push(1, 1.0, _w(30, 20, "via a shared end", 1.0))
    r.push(2, 1.1, (1.1, 20, "pipe.read",
                    {"from": 10, "nbytes": 16, "preview": "via a shared end"}))
    out = list(r.pop_ready(math.inf))
    assert out[1][FIELDS]["from"] == 30


def _push(pid: int, text: str, ts: float) -> Draft:
    return (ts, pid, "queue.push", {"key": 7, "msqid": 9, "mtype": 1, "nbytes": len(text),
                                    "preview": text})


def _pop(pid: int, text: str, ts: float, mtype: int = 1) -> Draft:
    return (ts, pid, "queue.pop", {"key": 7, "msqid": 9, "mtype": mtype, "nbytes": len(text),
                                   "preview": text})


def test_with_queues_a_pop_waits_for_its_push_and_only_then() -> None:
    """A pop stamped before its push (the popper got the CPU first) follows it; the
    popper's own later event stays behind the pop; another type's pop does not wait."""
    for queues in (True, False):
        r = Reorder(0.04, queues=queues)
        r.push(1, 1.000, _pop(10, "m1", 1.000))
        r.push(1, 1.001, _timer(10, 1, 1.001))
        r.push(3, 1.0015, _pop(30, "other", 1.0015, mtype=2))
        r.push(2, 1.002, _push(20, "m1", 1.002))
        kinds = [(e[1], e[KIND]) for e in r.pop_ready(math.inf)]
        if queues:
            assert kinds == [(30, "queue.pop"), (20, "queue.push"), (10, "queue.pop"),
                             (10, "timer.fire")]
        else:  # without the rule: by time only
            assert kinds[0] == (10, "queue.pop")


async def test_live_a_pop_stamped_before_its_push_is_served_after_it(
        collectors: Collectors) -> None:
    """Two real writers: one reports a pop, then (told through a pipe) the other reports
    the push it took. The pop's time is earlier; the live stream (released while both
    still run, not in the final flush) still serves the push first, then the pop and
    the popper's next event. A window of 0.5 s (a hold of 1.5 s): a loaded machine may
    delay the pusher."""
    collector = await collectors(reorder_s=0.5)
    told_r, told_w = os.pipe()
    done_r, done_w = os.pipe()

    def popper(em: SocketEmitter) -> None:
        em.queue_io("queue.pop", 7, 9, 1, 5, b"hello")
        em.emit("timer.fire", {"timer": 1})  # the popper's next event stays behind
        os.write(told_w, b"x")

    def pusher(em: SocketEmitter) -> None:
        assert os.read(told_r, 1) == b"x"
        em.queue_io("queue.push", 7, 9, 1, 5, b"hello")
        assert os.read(done_r, 1) == b"x"  # still running while the stream is served

    pop_pid = fork_writer(str(collector.path), popper)
    push_pid = fork_writer(str(collector.path), pusher)
    for fd in (told_r, told_w, done_r):
        os.close(fd)
    try:
        served = await events_until(collector.events(), lambda e: e.kind == "timer.fire")
    finally:
        os.write(done_w, b"x")
        os.close(done_w)
    await reap(pop_pid)
    await collect(collector, push_pid, timeout=60)
    mine = [(e.pid, e.kind) for e in served if e.kind in ("queue.push", "queue.pop",
                                                          "timer.fire")]
    assert mine == [(push_pid, "queue.push"), (pop_pid, "queue.pop"), (pop_pid, "timer.fire")]
    pop = next(e for e in served if e.kind == "queue.pop")
    push = next(e for e in served if e.kind == "queue.push")
    assert pop.ts < push.ts  # the order is causal, not by time
