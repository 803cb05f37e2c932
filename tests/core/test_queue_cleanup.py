"""A created queue goes away with the master that created it; SIGKILL is reclaimed later.

Each test runs a tiny master script with this interpreter, in its own registry
directory (``IPCCORE_REGISTRY_DIR``), and checks ``/proc/sysvipc/msg`` afterwards.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sysv_ipc

from ipccore import queue_registry
from ipccore.keys import ftok
from tests.core.queue_helpers import exists, fresh_keys, wait_blocked

ROOT = Path(__file__).resolve().parent.parent.parent

MASTER = textwrap.dedent(
    """
    import signal, sys
    from ipccore import Process
    key, how = int(sys.argv[1]), sys.argv[2]
    if how == "own-handler":
        signal.signal(signal.SIGTERM, lambda s, f: sys.exit(7))
    p = Process(lambda w: None, pipe_type=0)
    p.use_queue(key, persistent=(how == "persistent"))
    print(p.msg_queue_id, p.msg_queue_key, flush=True)
    if how == "raise":
        raise RuntimeError("boom")
    if how in ("block", "own-handler"):
        p.pop()
    """
)


def run_master(
    tmp_path: Path, key: int, how: str, registry: Path
) -> tuple[subprocess.Popen[str], int, int]:
    script = tmp_path / "master.py"
    script.write_text(MASTER)
    env = {**os.environ, queue_registry.ENV_DIR: str(registry), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, str(script), str(key), how],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.wait(timeout=30)
        raise AssertionError(f"master failed: {proc.stderr.read() if proc.stderr else ''}")
    msqid, real_key = (int(x) for x in line.split())
    return proc, msqid, real_key


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "registry"
    monkeypatch.setenv(queue_registry.ENV_DIR, str(path))
    return path


@pytest.mark.parametrize(("how", "code"), [("exit", 0), ("raise", 1)])
def test_queue_removed_when_master_ends(
    tmp_path: Path, registry: Path, how: str, code: int
) -> None:
    with fresh_keys() as (key,):
        proc, msqid, _ = run_master(tmp_path, key, how, registry)
        assert proc.wait(timeout=30) == code
        assert not exists(msqid)
        assert list(registry.glob("*.queue")) == []


@pytest.mark.parametrize(
    ("sig", "code"), [(signal.SIGTERM, -signal.SIGTERM), (signal.SIGINT, -signal.SIGINT)]
)
def test_queue_removed_when_blocked_master_is_signalled(
    tmp_path: Path, registry: Path, sig: int, code: int
) -> None:
    with fresh_keys() as (key,):
        proc, msqid, _ = run_master(tmp_path, key, "block", registry)
        wait_blocked(proc.pid, "msgrcv")
        proc.send_signal(sig)
        assert proc.wait(timeout=30) == code  # still "killed by" the signal
        assert not exists(msqid)


def test_user_sigterm_handler_is_left_alone(tmp_path: Path, registry: Path) -> None:
    with fresh_keys() as (key,):
        proc, msqid, _ = run_master(tmp_path, key, "own-handler", registry)
        wait_blocked(proc.pid, "msgrcv")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 7  # the user's handler ran; atexit still cleaned up
        assert not exists(msqid)


def test_persistent_queue_survives(tmp_path: Path, registry: Path) -> None:
    with fresh_keys() as (key,):
        proc, msqid, _ = run_master(tmp_path, key, "persistent", registry)
        assert proc.wait(timeout=30) == 0
        assert exists(msqid)
        assert list(registry.glob("*.queue")) == []
        sysv_ipc.remove_message_queue(msqid)


def test_sigkilled_master_queue_is_reclaimed_by_the_next_start(
    tmp_path: Path, registry: Path
) -> None:
    with fresh_keys(2) as (key, other):
        proc, msqid, _ = run_master(tmp_path, key, "block", registry)
        wait_blocked(proc.pid, "msgrcv")
        proc.kill()
        assert proc.wait(timeout=30) == -signal.SIGKILL
        assert exists(msqid), "a SIGKILLed master cannot clean up by itself"
        assert len(list(registry.glob("*.queue"))) == 1
        nxt, next_msqid, _ = run_master(tmp_path, other, "exit", registry)
        assert nxt.wait(timeout=30) == 0
        assert not exists(msqid), "the next start reclaims the orphan"
        assert not exists(next_msqid)
        assert list(registry.glob("*.queue")) == []


def test_reclaim_orphans_spares_live_creators_and_other_queues(registry: Path) -> None:
    with fresh_keys(2) as (mine, foreign):
        from ipccore import Process

        p = Process(lambda w: None, pipe_type=0)
        p.use_queue(mine)
        stranger = sysv_ipc.MessageQueue(foreign, sysv_ipc.IPC_CREX, 0o600)
        (registry / f"{stranger.id}.queue").write_text(f"{foreign + 1} {stranger.id} 999999 1\n")
        assert queue_registry.reclaim_orphans() == []  # key mismatch: not ours to remove
        assert exists(stranger.id)
        assert exists(p.msg_queue_id or -1)
        assert p.free_queue() is True


def test_default_key_is_ftok_of_the_main_script(tmp_path: Path, registry: Path) -> None:
    script = tmp_path / "master.py"
    script.write_text(MASTER)
    expected = ftok(script, 1)
    proc, msqid, key = run_master(tmp_path, 0, "exit", registry)
    assert proc.wait(timeout=30) == 0
    assert key == expected == sysv_ipc.ftok(str(script), 1, silence_warning=True)
    assert not exists(msqid)
