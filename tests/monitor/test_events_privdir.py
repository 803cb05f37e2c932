"""A SIGKILLed collector's private directory is reclaimed by the next collector."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from ipccore.monitor.collector import Collector
from ipccore.monitor.privdir import PREFIX, make_private_dir, reclaim_stale_dirs


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_only_our_dead_collectors_dirs_are_removed(tmp_path: Path) -> None:
    dead = tmp_path / f"{PREFIX}{_dead_pid()}-abc123"
    alive = tmp_path / f"{PREFIX}{os.getpid()}-def456"
    other = tmp_path / "ipcscope-notours"
    for d in (dead, alive, other):
        d.mkdir()
    (dead / "events.sock").write_text("")
    link = tmp_path / f"{PREFIX}{_dead_pid()}-link99"
    link.symlink_to(alive)

    removed = reclaim_stale_dirs(str(tmp_path))

    assert removed == [dead]
    assert not dead.exists()
    assert alive.is_dir()
    assert other.is_dir()
    assert link.is_symlink()


def test_private_dir_is_0700_and_named_after_us() -> None:
    path = make_private_dir()
    try:
        assert path.stat().st_mode & 0o777 == 0o700
        assert path.name.startswith(f"{PREFIX}{os.getpid()}-")
    finally:
        path.rmdir()


def _dirs_of(pid: int) -> list[Path]:
    return list(Path(tempfile.gettempdir()).glob(f"{PREFIX}{pid}-*"))


@pytest.fixture
def own_tmp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A temp root of our own: another engineer's concurrent collector reclaims dead
    directories in the shared /tmp, which would race this test (short, for AF_UNIX)."""
    root = Path(tempfile.mkdtemp(prefix="ipt"))
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    monkeypatch.setenv("TMPDIR", str(root))
    yield root
    shutil.rmtree(root, ignore_errors=True)


def test_sigkilled_recorder_dir_is_reclaimed_by_the_next_start(
    tmp_path: Path, own_tmp: Path
) -> None:
    rec = subprocess.Popen(
        [sys.executable, "-m", "ipccore", "record", "sibling", "--speed", "1",
         "-o", str(tmp_path / "r.ndjson")],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )
    try:
        assert rec.stdout is not None
        rec.stdout.readline()  # the demo's first line: the collector is running
        assert _dirs_of(rec.pid), "the recorder has no private directory"
        tree = psutil.Process(rec.pid).children(recursive=True)
    finally:
        rec.send_signal(signal.SIGKILL)
        rec.wait()
        assert rec.stdout is not None
        rec.stdout.close()
    # The program dies with its monitor (parent-death signal), its children with it.
    _gone, alive = psutil.wait_procs(tree, timeout=5)
    assert not alive
    assert _dirs_of(rec.pid), "nothing to reclaim: the test proves nothing"

    collector = Collector()
    try:
        assert not _dirs_of(rec.pid)
    finally:
        asyncio.run(collector.close())
    assert not collector.path.parent.exists()
