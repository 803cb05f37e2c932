"""Security: private queues and sockets, peers of another uid refused (for real: a forked
child drops to ``nobody``), nothing unpickled or evaluated, and signal commands that
reach only the monitored tree."""

from __future__ import annotations

import ast
import asyncio
import contextlib
import os
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
import sysv_ipc

from ipccore import MODE_BALANCE, Process, _sysv
from ipccore.errors import CommandRefused, QueueAccessDenied
from ipccore.keys import fresh_key
from ipccore.monitor import attach
from ipccore.monitor.collector import Collector
from ipccore.monitor.commands import carry_out
from ipccore.monitor.connection import encode
from ipcevents.source import PushQueue, SendSignal, WritePipe
from tests.monitor.helpers import reap

REPO = Path(__file__).parent.parent.parent
NOBODY = 65534
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="dropping to another uid needs root")


def _as_nobody(body: Callable[[], int]) -> int:
    """Fork, drop to uid/gid 65534, run ``body``; returns its exit code."""
    pid = os.fork()
    if pid == 0:
        code = 99
        try:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            code = body()
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def test_created_queue_is_0600_and_ours() -> None:
    p = Process(lambda w: None, pipe_type=0)
    p.use_queue(fresh_key(), MODE_BALANCE)
    try:
        assert p.msg_queue_id is not None
        row = _sysv.queue_row(p.msg_queue_id)
        assert row is not None
        assert row.perms & 0o777 == 0o600
        assert row.uid == row.cuid == os.geteuid()
    finally:
        p.free_queue()


@needs_root
def test_queue_created_by_another_user_is_refused_clearly() -> None:
    key = fresh_key()

    def create() -> int:
        sysv_ipc.MessageQueue(key, sysv_ipc.IPC_CREX, 0o600)
        return 0

    assert _as_nobody(create) == 0
    try:
        with pytest.raises(QueueAccessDenied, match="65534") as info:
            Process(lambda w: None, pipe_type=0).use_queue(key)
        assert "another key" in str(info.value)
    finally:
        sysv_ipc.MessageQueue(key).remove()


async def test_socket_dir_is_0700_and_socket_0600() -> None:
    collector = Collector()
    await collector.start()
    try:
        assert stat.S_IMODE(collector.path.parent.stat().st_mode) == 0o700
        assert stat.S_IMODE(collector.path.stat().st_mode) == 0o600
        assert collector.path.parent.stat().st_uid == os.getuid()
    finally:
        await collector.close()
    assert not collector.path.parent.exists()


def _connect_and_send(path: str) -> Callable[[], int]:
    def body() -> int:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(path)
        except PermissionError:
            return 13
        with contextlib.suppress(OSError):  # the collector may already have hung up
            sock.sendall(encode(os.getpid(), "timer.fire", {"timer": 666}, None))
        sock.close()
        return 0
    return body


@needs_root
async def test_peer_of_another_uid_is_refused_by_the_dir_then_by_so_peercred() -> None:
    """Layer 1: ``nobody`` cannot even reach the socket (0700 dir). Layer 2: with the
    directory opened up on purpose, the connection is made but SO_PEERCRED refuses it,
    counts it, and nothing it sent is served."""
    collector = Collector()
    await collector.start()
    path = str(collector.path)
    try:
        assert await asyncio.to_thread(_as_nobody, _connect_and_send(path)) == 13
        collector.path.parent.chmod(0o711)
        collector.path.chmod(0o666)
        assert await asyncio.to_thread(_as_nobody, _connect_and_send(path)) == 0
        deadline = asyncio.get_running_loop().time() + 10
        while collector.refused < 1:
            assert asyncio.get_running_loop().time() < deadline, "never refused"
            await asyncio.sleep(0.01)
        served = collector.take_all()
    finally:
        await collector.close()
    assert collector.refused == 1
    assert not [e for e in served if e.kind == "timer.fire"]
    invalid = [e for e in served if e.kind == "monitor.invalid"]
    assert invalid
    assert f"uid {NOBODY}" in invalid[0].get("reason")


@needs_root
def test_attaching_to_another_users_collector_is_refused() -> None:
    """A program must not stream its events (message previews!) to a socket someone else
    listens on: ``attach()`` to a collector run by ``nobody`` raises a clear error."""
    sockdir = Path(tempfile.mkdtemp(prefix="ipcscope-foreign-"))
    os.chown(sockdir, NOBODY, NOBODY)
    path = str(sockdir / "s.sock")
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(r)
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            srv.bind(path)
            srv.listen(4)
            os.write(w, b"ready")
            srv.settimeout(10)
            with contextlib.suppress(OSError):
                conn, _ = srv.accept()
                conn.recv(65536)
            code = 0
        finally:
            os._exit(code)
    os.close(w)
    try:
        assert os.read(r, 5) == b"ready"
        child = os.fork()
        if child == 0:
            code = 3
            try:
                attach(path)
                code = 0
            except (PermissionError, ValueError, ConnectionError) as exc:
                code = 2 if "uid" in str(exc) or "belong" in str(exc) else 4
            finally:
                os._exit(code)
        _, status = os.waitpid(child, 0)
        assert os.waitstatus_to_exitcode(status) == 2, "attach() streamed to a foreign uid"
    finally:
        os.close(r)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        shutil.rmtree(sockdir)


FORBIDDEN_MODULES = {"pickle", "cPickle", "_pickle", "marshal", "shelve", "dill", "cloudpickle"}
FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__"}


def _sources() -> list[Path]:
    return sorted([*(REPO / "ipccore").rglob("*.py"), *(REPO / "tui").rglob("*.py")])


def test_nothing_is_unpickled_or_evaluated() -> None:
    """By the syntax tree, not by grep: imports of pickle-like modules and calls to
    eval/exec/compile/__import__ anywhere in ipccore/ and tui/."""
    found = []
    for path in _sources():
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module.split(".")[0]]
            if FORBIDDEN_MODULES.intersection(names):
                line = getattr(node, "lineno", 0)
                found.append(f"{path.relative_to(REPO)}:{line} imports {names}")
            if isinstance(node, ast.Call):
                fn = node.func
                name = fn.id if isinstance(fn, ast.Name) else (
                    fn.attr if isinstance(fn, ast.Attribute) and fn.attr in {"eval", "exec"}
                    else "")
                if name in FORBIDDEN_CALLS or (isinstance(fn, ast.Attribute)
                                               and fn.attr in {"loads", "load"}
                                               and isinstance(fn.value, ast.Name)
                                               and fn.value.id in FORBIDDEN_MODULES):
                    found.append(f"{path.relative_to(REPO)}:{node.lineno} calls {name}")
    assert len(_sources()) > 20
    assert found == []


@pytest.fixture
def outsider() -> object:
    proc = subprocess.Popen(["sleep", "60"])
    yield proc
    proc.kill()
    proc.wait()


@pytest.mark.parametrize("target", ["zero", "init", "minus-one", "group", "monitor",
                                    "outsider", "huge"])
async def test_signal_commands_reach_only_the_tree(target: str, outsider: subprocess.Popen[bytes]
                                                   ) -> None:
    collector = Collector()
    try:
        collector.registry.top = os.getpid() + 10**6
        collector.registry.add_pid(os.getpid())  # even a tree that names the monitor
        pid = {"zero": 0, "init": 1, "minus-one": -1, "group": -outsider.pid,
               "monitor": os.getpid(), "outsider": outsider.pid, "huge": 2**31 - 1}[target]
        with pytest.raises(CommandRefused):
            carry_out(collector, SendSignal(pid, signal.SIGKILL))
        assert outsider.poll() is None
        reports = [e for e in collector.take_all() if e.kind == "monitor.command"]
        assert [(e.get("command"), e.get("target"), e.get("ok")) for e in reports] == [
            ("signal", pid, False)]
    finally:
        await collector.close()


async def test_pipe_and_queue_commands_outside_the_tree_are_refused() -> None:
    collector = Collector()
    try:
        with pytest.raises(CommandRefused):
            carry_out(collector, WritePipe(os.getpid(), b"x"))
        with pytest.raises(CommandRefused):
            carry_out(collector, PushQueue(fresh_key(), b"x"))
    finally:
        await collector.close()


async def test_a_child_of_the_tree_is_reachable(tmp_path: Path) -> None:
    """The positive control for the refusals above: a real child of the top pid is signalled."""
    r, w = os.pipe()
    ready_r, ready_w = os.pipe()
    top = os.fork()
    if top == 0:
        # The pytest process may hold a Python SIGTERM handler (the queue registry's); a
        # signal that lands before CPython's after-fork reset would be forgotten. Default
        # action first, then say so.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.close(w)
        os.write(ready_w, b"x")
        os.read(r, 1)
        os._exit(0)
    os.close(r)
    os.close(ready_w)
    assert os.read(ready_r, 1) == b"x"
    os.close(ready_r)
    collector = Collector()
    try:
        collector.registry.top = top
        collector.registry.add_pid(top)
        carry_out(collector, SendSignal(top, signal.SIGTERM))
        status = await reap(top)
        assert os.WIFSIGNALED(status)
        assert os.WTERMSIG(status) == signal.SIGTERM
    finally:
        os.close(w)
        await collector.close()
