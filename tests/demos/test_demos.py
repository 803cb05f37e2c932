"""The pipe, coroutine, sibling and signal demos, run as ``python -m ipccore demo``.

Each transcript is checked for what the issue's table asks (order, counts, scaled
timing with generous bounds: a 2-core machine shared with other test runs), ``--lang
zh`` against the seed's own lines with pids and fds masked, and no child left behind.
The queue demo has its own file (``test_demo_queue.py``).
"""

from __future__ import annotations

import re

import pytest

from ipccore.demos import DEMOS, NAMES, get
from ipccore.demos.cli import main as cli_main
from tests.demos.helpers import SEED, assert_gone, mask, run_clean, run_demo

PIPE_CHILD = re.compile(r'Child (\d+): data from the master - "(\d+), hello!"\.')
PIPE_MASTER = re.compile(
    r'Master: data from child (\d+) - "to the boss, from (\d+), via pipe (\d+)!"')
SIBLING = re.compile(r'Child (\d+): received - "from (\d+): (.+)"\.')
REAPED = re.compile(r"\[demo\] reaped (\d+) \((killed by SIGKILL|exit code 0)\)")
KILL_LINE = re.compile(r"PID:(\d+) kill -USR2 Master (\d+)\.")
PID_LINE = re.compile(r"PID=(\d+)")
MESSAGES = ["Hello World!", "Hello Cat!", "Hello King", "Hello Leon", "Hello Rose"]


def full(pattern: re.Pattern[str], line: str) -> re.Match[str]:
    m = pattern.fullmatch(line)
    assert m, f"{line!r} does not match {pattern.pattern!r}"
    return m


@pytest.mark.parametrize("name", ["pipe", "coroutine"])
def test_pipe_demos_alternate_child_and_master(name: str) -> None:
    run = run_clean(name, "--speed", "0.1")
    assert len(run.lines) == 4, run.text
    pids = []
    for k in (0, 2):
        child = full(PIPE_CHILD, run.text[k])
        master = full(PIPE_MASTER, run.text[k + 1])
        pid = int(child[1])
        assert int(child[2]) == pid, "the greeting names the child that received it"
        assert int(master[1]) == pid, "the master names the child it read from"
        assert int(master[2]) == pid, "the reply comes back from that child"
        assert int(master[3]) > 2, "the child reports its own pipe fd"
        pids.append(pid)
    assert len(set(pids)) == 2
    assert run.pid not in pids
    assert_gone(set(pids))


@pytest.mark.parametrize("name", ["pipe", "coroutine"])
def test_pipe_demos_zh_print_the_seeds_lines(name: str) -> None:
    run = run_demo(name, "--lang", "zh")
    assert run.code == 0, run.stderr
    assert [mask(line) for line in run.text] == [mask(line) for line in SEED[name]]


def test_sibling_one_line_per_scaled_second_then_both_reaped() -> None:
    speed = 0.2
    run = run_clean("sibling", "--speed", str(speed))
    seed, own = run.seed, run.own
    assert len(seed) == 5, run.text
    assert len(own) == 2, run.text
    matches = [full(SIBLING, line) for _, line in seed]
    child1 = {int(m[1]) for m in matches}
    child2 = {int(m[2]) for m in matches}
    assert len(child1) == 1
    assert len(child2) == 1
    assert child1 != child2
    assert [m[3] for m in matches] == MESSAGES
    t0 = seed[0][0]
    for k, (t, _) in enumerate(seed):
        expected = k * speed
        assert expected - speed / 2 <= t - t0 <= expected + 1.0, (k, t - t0, run.lines)
    reaped = {int(m[1]): m[2] for m in (full(REAPED, line) for line in own)}
    assert reaped == {child1.pop(): "killed by SIGKILL", child2.pop(): "exit code 0"}
    last_message = seed[-1][0]
    assert all(t >= last_message + speed / 2 for t, line in run.lines if line in own), (
        "child 2 kills child 1 a (scaled) second after the last message")
    assert_gone(set(reaped))


def test_signal_kill_handler_and_both_reaps_at_three_scaled_seconds() -> None:
    # Opens like the sibling test (a clean run, its seed and own lines counted); the
    # duplicate finder pairs the two openings.
    speed = 0.5
    run = run_clean("signal", "--speed", str(speed))
    seed, own = run.seed, run.own
    assert len(seed) == 4, run.text
    assert len(own) == 1, run.text
    kill = full(KILL_LINE, seed[0][1])
    child1, master = int(kill[1]), int(kill[2])
    assert master == run.pid, "the child signals its master"
    assert seed[1][1] == "Got SIGUSR2 from a child: ending every child!"
    reaped = [int(full(PID_LINE, line)[1]) for _, line in seed[2:]]
    assert len(set(reaped)) == 2, "both children are reaped"
    assert child1 in reaped, "in either order"
    t_kill = seed[0][0]
    assert t_kill >= 3 * speed * 0.95, "child 1 sleeps 3 scaled seconds first"
    assert t_kill <= 3 * speed + 3.0
    assert seed[-1][0] - t_kill < 1.5 * speed, (
        "both are reaped right after the handler, not when child 2's 6 s are up")
    assert "timer" in own[0]
    assert "event_wait() returned" in own[0]
    assert_gone(set(reaped))


@pytest.mark.parametrize(("name", "speed", "own", "word"),
                         [("sibling", "0.05", 2, "已回收"), ("signal", "0.1", 1, "全部回收")])
def test_sibling_and_signal_zh_print_the_seeds_lines(name: str, speed: str, own: int,
                                                     word: str) -> None:
    """The seed's lines to the letter (pids masked); our own lines in Chinese too."""
    run = run_demo(name, "--speed", speed, "--lang", "zh")
    assert run.code == 0, run.stderr
    assert [mask(line) for _, line in run.seed] == [mask(line) for line in SEED[name]]
    assert len(run.own) == own
    assert all(word in line for line in run.own)


def test_registry_lists_the_five_in_the_seeds_order_then_the_pool() -> None:
    assert NAMES == ("pipe", "sibling", "coroutine", "queue", "signal", "pool")
    for demo in DEMOS:
        assert callable(demo.load())
        assert demo.about
    with pytest.raises(ValueError, match="pipe, sibling"):
        get("nosuch")


def test_list_prints_one_line_per_demo() -> None:
    run = run_demo("--list")
    assert run.code == 0
    assert [line.split()[0] for line in run.text] == list(NAMES)
    assert all(len(line.split(maxsplit=1)) == 2 for line in run.text)


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        ([], "choose a demo NAME"),
        (["nosuch"], "invalid choice: 'nosuch'"),
        (["pipe", "--mode", "1"], "unrecognized arguments: --mode 1"),
        (["signal", "--nowait"], "unrecognized arguments: --nowait"),
        (["sibling", "--speed", "0"], "argument --speed: must be a positive number"),
        (["sibling", "--speed", "fast"], "argument --speed: not a number"),
        (["pipe", "--lang", "fr"], "argument --lang: invalid choice: 'fr'"),
        (["queue", "--mode", "3"], "argument --mode: invalid choice: 3"),
        (["queue", "--key", "0"], "argument --key: must be in 1..0x7fffffff"),
        (["queue", "--key", "k"], "argument --key: not an integer"),
    ],
)
def test_bad_options_exit_2_with_one_error_line(
    argv: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    errors = [line for line in err.splitlines() if "error:" in line]
    assert len(errors) == 1, err
    assert fragment in errors[0]


def test_bad_option_through_python_m_exits_2() -> None:
    run = run_demo("queue", "--nowait", "--mode", "7")
    assert run.code == 2
    assert run.lines == []
    assert run.stderr.strip().splitlines()[-1].endswith("invalid choice: 7 (choose from 1, 2)")


@pytest.mark.parametrize(
    ("name", "kwargs", "exc"),
    [
        ("pipe", {"speed": 0}, ValueError),
        ("sibling", {"speed": "1"}, TypeError),
        ("coroutine", {"lang": "fr"}, ValueError),
        ("signal", {"verbose": True}, TypeError),
        ("queue", {"mode": 3}, ValueError),
        ("queue", {"key": 0}, ValueError),
        ("queue", {"nowait": 1}, TypeError),
    ],
)
def test_bad_arguments_raise_before_any_fork(
    name: str, kwargs: dict[str, object], exc: type[Exception]
) -> None:
    with pytest.raises(exc):
        get(name).load()(**kwargs)
