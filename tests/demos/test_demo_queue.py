"""The queue demo and the seed's two commented-out variants, run as subprocesses.

Which child pops "Hello World!" first is a race (in Swoole too), and two children that
pop at the same moment may print in either order, so the checks are: every message
exactly once, each child's own messages in push order, who got what, the pace, and that
the queue is gone afterwards.
"""

from __future__ import annotations

import re
import threading

import pytest

from ipccore.keys import fresh_key
from tests.demos.helpers import SEED, Transcript, assert_gone, mask, queue_keys, run_demo

LINE = re.compile(r'Child (\d+): data from the master - "(.+)"\.')
MESSAGES = ["Hello World!", "Hello Cat!", "Hello King", "Hello Leon", "Hello Rose"]
ORIENT_END = re.compile(r"\[demo\] queue demo \(mode 1\): every push went through child "
                        r"(\d+)'s object, so child (\d+) got nothing")


def consumed(run: Transcript) -> list[tuple[float, int, str]]:
    """``(time, child pid, message)`` per seed line; fails on any other line."""
    out = []
    for t, line in run.seed:
        m = LINE.fullmatch(line)
        assert m, f"unexpected line {line!r}"
        out.append((t, int(m[1]), m[2]))
    return out


def check_exactly_once_in_order(got: list[tuple[float, int, str]]) -> None:
    assert sorted(msg for _, _, msg in got) == sorted(MESSAGES)
    for pid in {p for _, p, _ in got}:
        mine = [msg for _, p, msg in got if p == pid]
        assert mine == [m for m in MESSAGES if m in mine], "a child pops in push order"


def check_pace(got: list[tuple[float, int, str]], per_step: int, speed: float) -> None:
    """Line k arrives at about ``(k // per_step)`` scaled seconds after the first."""
    t0 = got[0][0]
    for k, (t, _, _) in enumerate(got):
        expected = (k // per_step) * speed
        assert expected - speed / 2 <= t - t0 <= expected + 1.0, (k, t - t0, got)


def finish(run: Transcript, got: list[tuple[float, int, str]], end: str) -> None:
    assert run.code == 0, run.stderr
    assert run.stderr == ""
    assert len(run.own) == 1, run.text
    assert end in run.own[0]
    assert_gone({p for _, p, _ in got})


@pytest.mark.parametrize("nowait", [False, True])
def test_contention_spreads_five_messages_over_both_children(nowait: bool) -> None:
    speed = 0.2
    key = fresh_key()
    run = run_demo("queue", "--speed", str(speed), "--key", str(key),
                   *(["--nowait"] if nowait else []))
    assert key not in queue_keys(), "the master frees the queue it used"
    got = consumed(run)
    check_exactly_once_in_order(got)
    assert len({p for _, p, _ in got}) == 2, f"both children take part: {got}"
    check_pace(got, per_step=2, speed=speed)
    finish(run, got, "IPC_NOWAIT" if nowait else "sentinel")


@pytest.mark.parametrize("nowait", [False, True])
def test_mode_1_gives_all_five_to_the_child_whose_object_pushed(nowait: bool) -> None:
    speed = 0.1
    key = fresh_key()
    run = run_demo("queue", "--mode", "1", "--speed", str(speed), "--key", str(key),
                   *(["--nowait"] if nowait else []))
    assert key not in queue_keys(), "the master frees the queue it used"
    got = consumed(run)
    assert [msg for _, _, msg in got] == MESSAGES
    assert len({p for _, p, _ in got}) == 1
    check_pace(got, per_step=1, speed=speed)
    if nowait:
        finish(run, got, "IPC_NOWAIT")
    else:
        finish(run, got, "mode 1")
        m = ORIENT_END.match(run.own[0])
        assert m, run.own[0]
        pusher, starved = int(m[1]), int(m[2])
        assert pusher == got[0][1]
        assert starved != pusher
        assert_gone({starved})


def test_seed_key_and_zh_lines() -> None:
    key = fresh_key()
    run = run_demo("queue", "--speed", "0.05", "--lang", "zh", "--key", str(key))
    assert run.code == 0, run.stderr
    assert sorted(mask(line) for _, line in run.seed) == sorted(mask(s) for s in SEED["queue"])
    assert len(run.own) == 1
    assert "队列已删除" in run.own[0]
    assert key not in queue_keys(), "the master frees the queue it used"


def test_two_runs_at_once_do_not_collide() -> None:
    runs: list[Transcript] = []

    def one() -> None:
        runs.append(run_demo("queue", "--speed", "0.1"))

    threads = [threading.Thread(target=one) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert len(runs) == 2
    for run in runs:
        got = consumed(run)
        check_exactly_once_in_order(got)
        finish(run, got, "sentinel")
