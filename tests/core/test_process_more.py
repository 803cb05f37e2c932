"""The rest of Swoole\\Process on real processes: exec, set_timeout, set_blocking,
close(which), priorities, affinity, set(); each with its bad inputs."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from ipccore import Process
from ipccore.constants import (
    PIPE_MASTER,
    PIPE_READ,
    PIPE_WORKER,
    PIPE_WRITE,
    PRIO_PGRP,
    PRIO_PROCESS,
    PRIO_USER,
)
from ipccore.errors import NoPipe, NotStarted
from tests.core.helpers import kill_and_reap, reap


def _exec_echo(w: Process) -> None:
    w.exec(sys.executable, ["-c", "import sys; l = sys.stdin.readline(); "
                                  "print('exec got', l.strip(), flush=True)"])


def test_exec_keeps_the_pipe_as_stdin_and_stdout() -> None:
    p = Process(_exec_echo, redirect_stdin_stdout=True)
    pid = p.start()
    p.write("hello\n")
    out = b""
    while b"\n" not in out:
        chunk = p.read()
        assert chunk, "the exec'd program closed the pipe without answering"
        out += chunk
    assert out == b"exec got hello\n"
    assert reap(pid) == (0, 0)


def _exec_exit(w: Process) -> None:
    w.exec("/bin/sh", ["-c", "exit 7"])


def test_exec_replaces_the_child_and_keeps_its_pid() -> None:
    p = Process(_exec_exit, pipe_type=0)
    pid = p.start()
    assert reap(pid) == (7, 0)


@pytest.mark.parametrize(("path", "args", "exc"), [
    (b"/bin/sh", [], TypeError),
    ("", [], ValueError),
    ("/bin/sh\0", [], ValueError),
    ("/bin/sh", "-c true", TypeError),
    ("/bin/sh", ["-c", 3], TypeError),
    ("/bin/sh", ["-c\0"], ValueError),
    ("/nonexistent/prog", [], FileNotFoundError),
    ("{plain}", [], PermissionError),
])
def test_exec_bad_inputs_leave_the_caller_running(path: object, args: object,
                                                  exc: type[Exception], tmp_path: Path) -> None:
    plain = tmp_path / "plain.txt"
    plain.write_text("not a program")
    plain.chmod(0o644)
    if path == "{plain}":
        path = str(plain)
    p = Process(lambda w: None, pipe_type=0)
    with pytest.raises(exc):
        p.exec(path, args)  # type: ignore[arg-type]
    assert os.getpid() > 0  # still here: nothing was replaced


def _silent(w: Process) -> None:
    w.read()  # wait until the master closes


def test_set_timeout_makes_a_read_raise_timeout_error() -> None:
    p = Process(_silent)
    pid = p.start()
    assert p.set_timeout(0.2) is True
    t0 = time.monotonic()
    with pytest.raises(TimeoutError):
        p.read()
    assert time.monotonic() - t0 >= 0.15
    p.set_timeout(None)
    p.close()
    assert reap(pid) == (0, 0)


@pytest.mark.parametrize(("value", "exc"), [
    (0, ValueError), (-1, ValueError), (float("nan"), ValueError),
    (float("inf"), ValueError), ("1", TypeError), (True, TypeError),
])
def test_set_timeout_bad_inputs(value: object, exc: type[Exception]) -> None:
    p = Process(lambda w: None)
    with pytest.raises(exc):
        p.set_timeout(value)  # type: ignore[arg-type]
    with pytest.raises(NoPipe):
        Process(lambda w: None, pipe_type=0).set_timeout(1)


def _sleeper(w: Process) -> None:
    time.sleep(60)  # reads nothing: the pipe fills up; the test kills it


@pytest.mark.parametrize("pipe_type", [1, 2])
def test_set_blocking_false_read_raises_blocking_io_error(pipe_type: int) -> None:
    p = Process(_sleeper, pipe_type=pipe_type)
    pid = p.start()
    p.set_blocking(False)
    with pytest.raises(BlockingIOError):
        p.read()
    # A full non-blocking pipe refuses instead of waiting.
    with pytest.raises(BlockingIOError):  # noqa: PT012 - the loop is what fills it
        for _ in range(1_000_000):
            p.write(b"x" * 4096)
    p.set_blocking(True)
    p.close()
    assert kill_and_reap(pid) == (0, 9)
    with pytest.raises(TypeError):
        p.set_blocking("no")  # type: ignore[arg-type]


def _echo_until_eof(w: Process) -> None:
    while data := w.read():
        w.write(b"echo:" + data)
    w.write(b"saw eof")


def test_close_write_half_lets_the_child_see_eof_and_answer() -> None:
    p = Process(_echo_until_eof, pipe_type=1)
    pid = p.start()
    p.write(b"a")
    assert p.read() == b"echo:a"
    assert p.close(PIPE_WRITE) is True
    assert p.read() == b"saw eof"
    assert p.close(PIPE_READ) is True
    assert p.read() == b""
    assert p.close() is True
    assert p.close() is False
    with pytest.raises(NoPipe):
        p.write(b"x")
    assert reap(pid) == (0, 0)


def test_close_names_of_ends() -> None:
    p = Process(_silent)
    with pytest.raises(NotStarted):
        p.close(PIPE_WORKER)
    pid = p.start()
    assert p.close(PIPE_WORKER) is True  # not here: the master holds only its own end
    p.write(b"still open")
    assert p.close(PIPE_MASTER) is True
    assert p.pipe is None
    assert reap(pid) == (0, 0)
    for bad, exc in ((5, ValueError), (-1, ValueError), ("0", TypeError)):
        with pytest.raises(exc):
            p.close(bad)  # type: ignore[arg-type]


def _report_priority(w: Process) -> None:
    w.write(str(os.getpriority(os.PRIO_PROCESS, 0)))
    w.read()


def test_set_priority_reaches_the_child_and_get_priority_reads_it() -> None:
    p = Process(_report_priority)
    base = os.getpriority(os.PRIO_PROCESS, 0)
    pid = p.start()
    try:
        assert int(p.read()) == base
        nice = min(base + 5, 19)
        assert p.set_priority(PRIO_PROCESS, nice) is True
        assert p.get_priority(PRIO_PROCESS) == nice
        assert os.getpriority(os.PRIO_PROCESS, pid) == nice
        assert p.get_priority(PRIO_PGRP) == os.getpriority(os.PRIO_PGRP, os.getpgid(pid))
        assert isinstance(p.get_priority(PRIO_USER), int)
        assert os.getpriority(os.PRIO_PROCESS, 0) == base  # the master is untouched
    finally:
        p.write(b"done")
    assert reap(pid) == (0, 0)


@pytest.mark.parametrize(("which", "value", "exc"), [
    (3, 0, ValueError), ("0", 0, TypeError), (PRIO_PROCESS, 20, ValueError),
    (PRIO_PROCESS, -21, ValueError), (PRIO_PROCESS, 1.5, TypeError),
])
def test_set_priority_bad_inputs(which: object, value: object, exc: type[Exception]) -> None:
    p = Process(lambda w: None)
    before = os.getpriority(os.PRIO_PROCESS, 0)
    with pytest.raises(exc):
        p.set_priority(which, value)  # type: ignore[arg-type]
    assert os.getpriority(os.PRIO_PROCESS, 0) == before
    with pytest.raises(ValueError, match="PRIO_PROCESS"):
        p.get_priority(7)


def test_get_affinity_matches_the_kernel_and_follows_set_affinity() -> None:
    cpus = Process.get_affinity()
    assert cpus == sorted(os.sched_getaffinity(0))

    def pin(w: Process) -> None:
        w.set_affinity([cpus[0]])
        w.write(repr(w.get_affinity()))

    p = Process(pin)
    pid = p.start()
    assert p.read() == repr([cpus[0]]).encode()
    assert reap(pid) == (0, 0)


def test_set_takes_enable_coroutine_only() -> None:
    p = Process(lambda w: None)
    assert p.set(enable_coroutine=True) is True
    assert p.enable_coroutine is True
    with pytest.raises(ValueError, match="hook"):
        p.set(hook_flags=1)
    with pytest.raises(TypeError):
        p.set(enable_coroutine="yes")
    assert p.enable_coroutine is True


def test_timeout_on_a_live_child_does_not_kill_it() -> None:
    p = Process(_silent)
    pid = p.start()
    p.set_timeout(0.05)
    with pytest.raises(TimeoutError):
        p.read()
    assert os.waitpid(pid, os.WNOHANG) == (0, 0)
    kill_and_reap(pid)
