"""Process lifecycle on real fork: attributes, exit codes, wait() shapes, names, death."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import psutil
import pytest

from ipccore import Process, WaitResult
from ipccore.errors import IPCError
from tests.core.helpers import exits_cleanly, gone, kill_and_reap, reap, wait_until


def test_attributes_before_after_start_and_in_child() -> None:
    def child(w: Process) -> None:
        w.write(json.dumps({"pid": w.pid, "pipe": w.pipe, "id": w.id, "me": os.getpid()}))

    p = Process(child)
    assert p.pid is None
    assert isinstance(p.pipe, int)
    master_fd = p.pipe
    with exits_cleanly(p) as pid:
        assert p.pid == pid
        assert p.pipe == master_fd
        seen = json.loads(p.read())
        assert seen["pid"] == seen["me"] == pid
        assert seen["id"] == p.id
        assert isinstance(seen["pipe"], int)
        assert seen["pipe"] != master_fd


def test_id_counts_constructed_objects() -> None:
    a = Process(lambda w: None)
    b = Process(lambda w: None, pipe_type=0)
    c = Process(lambda w: None)
    assert (b.id, c.id) == (a.id + 1, a.id + 2)
    assert b.pipe is None


@pytest.mark.parametrize(
    ("kwargs", "exc"),
    [({"pipe_type": 3}, ValueError), ({"pipe_type": "x"}, TypeError)],
)
def test_bad_arguments_raise_before_fork(kwargs: dict[str, object], exc: type[Exception]) -> None:
    with pytest.raises(exc):
        Process(lambda w: None, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Process("not callable")  # type: ignore[arg-type]


def test_start_twice_is_refused() -> None:
    p = Process(lambda w: None, pipe_type=0)
    pid = p.start()
    try:
        with pytest.raises(IPCError, match="already started"):
            p.start()
    finally:
        reap(pid)


def _returns(w: Process) -> None:
    return None


def _sys_exit_3(w: Process) -> None:
    sys.exit(3)


def _worker_exit_7(w: Process) -> None:
    w.exit(7)


def _raises(w: Process) -> None:
    raise RuntimeError("boom in child")


async def _async_exit_5(w: Process) -> None:
    await asyncio.sleep(0)
    w.exit(5)


@pytest.mark.parametrize(
    ("callback", "coroutine", "code"),
    [
        (_returns, False, 0),
        (_sys_exit_3, False, 3),
        (_worker_exit_7, False, 7),
        (_raises, False, 255),
        (_async_exit_5, True, 5),
        (_sys_exit_3, True, 3),
    ],
)
def test_wait_shapes_for_each_way_a_child_ends(
    callback: object, coroutine: bool, code: int, capfd: pytest.CaptureFixture[str]
) -> None:
    p = Process(callback, pipe_type=0, enable_coroutine=coroutine)  # type: ignore[arg-type]
    pid = p.start()
    result = Process.wait()
    assert result == WaitResult(pid, code, 0)
    if code == 255:
        assert "RuntimeError: boom in child" in capfd.readouterr().err


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM])
def test_wait_reports_the_killing_signal(signum: int) -> None:
    p = Process(lambda w: w.read())
    pid = p.start()
    assert Process.kill(pid, signum) is True
    assert Process.wait() == WaitResult(pid, 0, signum)


def test_wait_without_children_returns_none() -> None:
    assert Process.wait() is None
    assert Process.wait(False) is None


def test_wait_nonblocking_with_running_child_returns_none() -> None:
    p = Process(lambda w: w.read())
    pid = p.start()
    try:
        assert Process.wait(False) is None
        p.write("go")
        result = Process.wait(True)
        assert result == WaitResult(pid, 0, 0)
    finally:
        if Process.kill(pid, 0):
            kill_and_reap(pid)


def test_child_never_returns_into_parent_code() -> None:
    r, w = os.pipe()
    p = Process(lambda worker: None, pipe_type=0)
    pid = p.start()
    os.write(w, b"after start\n")
    reap(pid)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        assert f.read() == b"after start\n"


def _script(body: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(body)]


def test_stdio_is_flushed_before_fork() -> None:
    out = subprocess.run(_script("""
        import sys
        from ipccore import Process
        print("before", end="")
        p = Process(lambda w: print("child"), pipe_type=0)
        p.start()
        Process.wait()
        print("after")
    """), capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.count("before") == 1
    assert "child" in out
    assert out.endswith("after\n")


def test_name_is_visible_in_psutil_and_ps() -> None:
    def child(w: Process) -> None:
        w.name("ipc-core-kid")
        w.write("named")
        w.read()

    p = Process(child)
    pid = p.start()
    try:
        assert p.read() == b"named"
        proc = psutil.Process(pid)
        assert proc.name() == "ipc-core-kid"
        assert proc.cmdline()[0].startswith("ipc-core-kid")
        p.write("bye")
        assert reap(pid) == (0, 0)
    finally:
        if Process.kill(pid, 0):
            kill_and_reap(pid)


def test_set_affinity_applies_to_the_calling_process() -> None:
    def child(w: Process) -> None:
        w.set_affinity([0])
        w.write(json.dumps(sorted(os.sched_getaffinity(0))))

    p = Process(child)
    pid = p.start()
    assert json.loads(p.read()) == [0]
    assert reap(pid) == (0, 0)
    with pytest.raises(ValueError, match="CPU numbers"):
        Process.set_affinity([-1])


def test_redirect_stdin_stdout_makes_the_pipe_the_child_stdio() -> None:
    def child(w: Process) -> None:
        line = input()
        print(f"child got {line}")

    p = Process(child, redirect_stdin_stdout=True, pipe_type=2)
    assert p.pipe_type == 1
    pid = p.start()
    p.write("hello\n")
    received = b""
    while not received.endswith(b"\n"):
        chunk = p.read()
        assert chunk, "EOF before the child's line"
        received += chunk
    assert received == b"child got hello\n"
    assert reap(pid) == (0, 0)


@pytest.mark.timeout(60)
def test_children_die_within_a_second_of_their_master_being_killed() -> None:
    master = subprocess.Popen(_script("""
        import sys, time
        from ipccore import Process
        pids = [Process(lambda w: time.sleep(60), pipe_type=0).start() for _ in range(2)]
        print(*pids, flush=True)
        time.sleep(60)
    """), stdout=subprocess.PIPE, text=True)
    try:
        assert master.stdout is not None
        pids = [int(x) for x in master.stdout.readline().split()]
        assert len(pids) == 2
        assert not any(gone(pid) for pid in pids)
    finally:
        master.kill()
        master.wait(timeout=30)
    killed_at = time.monotonic()
    assert wait_until(lambda: all(gone(pid) for pid in pids), timeout=5.0)
    assert time.monotonic() - killed_at < 1.0


@pytest.mark.timeout(60)
def test_daemon_detaches_into_its_own_session(tmp_path: object) -> None:
    out = os.path.join(str(tmp_path), "daemon.json")
    launcher = subprocess.run(_script(f"""
        import json, os, time
        from ipccore import Process
        Process.daemon()
        with open({out!r} + ".tmp", "w") as f:
            json.dump({{"pid": os.getpid(), "sid": os.getsid(0), "ppid": os.getppid()}}, f)
        os.rename({out!r} + ".tmp", {out!r})
        time.sleep(60)
    """), timeout=30, check=False)
    assert launcher.returncode == 0
    assert wait_until(lambda: os.path.exists(out), timeout=10)
    with open(out) as f:
        info = json.load(f)
    try:
        assert info["sid"] == info["pid"]
        assert info["ppid"] != os.getpid()
    finally:
        os.kill(info["pid"], signal.SIGKILL)
        assert wait_until(lambda: gone(info["pid"]), timeout=5)
