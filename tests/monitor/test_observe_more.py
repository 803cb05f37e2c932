"""The rest of watching any program: clear refusals where strace is missing or ptrace
is not permitted, processes that vanish between two samples, and an ipccore program run
with ``--run`` whose own events merge with the kernel's view."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ipccore.monitor.live import LiveSource
from ipccore.observe.pidsource import PidSource
from ipccore.observe.tracer import explain
from tests.monitor.observe_helpers import Watched, program

ROOT = Path(__file__).resolve().parents[2]
needs_strace = pytest.mark.skipif(shutil.which("strace") is None, reason="strace missing")


@pytest.mark.parametrize("argv", [
    ["-m", "tui", "--trace", "--run", "--", "/bin/true"],
    ["-m", "tui", "--trace", "--pid", str(os.getpid())],
    ["-m", "ipccore", "record", "--trace", "--run", "--", "/bin/true", "-o", os.devnull],
])
def test_trace_without_strace_is_refused_before_anything_starts(
        argv: list[str], tmp_path: Path) -> None:
    """No strace on PATH: exit 2 with what to install; the monitor's screen never opens
    (nothing is written to the terminal but the one line)."""
    env = dict(os.environ, PATH=str(tmp_path), PYTHONPATH=str(ROOT), TMPDIR=str(tmp_path))
    out = subprocess.run([sys.executable, *argv], env=env, capture_output=True, text=True,
                         stdin=subprocess.DEVNULL, timeout=60, check=False)
    assert out.returncode == 2
    assert "--trace needs strace, which is not installed" in out.stderr
    assert "apt-get install strace" in out.stderr
    assert "\x1b[" not in out.stdout + out.stderr, "no screen was drawn"


def test_ptrace_refusal_is_explained() -> None:
    line = "strace: attach: ptrace(PTRACE_SEIZE, 42): Operation not permitted"
    assert "ptrace is not permitted here" in explain(line)
    assert "ptrace_scope" in explain(line)
    assert explain("strace: something else") == "strace: something else"


def _tracer_of(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("TracerPid:"):
                return int(line.split()[1])
    return 0


@pytest.mark.slow
@needs_strace
async def test_trace_of_a_process_already_traced_says_ptrace_is_not_permitted() -> None:
    """A real refusal: the program is already under another tracer (a debugger), so
    ptrace is refused; the stream says why instead of failing silently."""
    sleeper = subprocess.Popen(["sleep", "60"])
    first = subprocess.Popen(["strace", "-qq", "-o", os.devnull, "-p", str(sleeper.pid)],
                             stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while _tracer_of(sleeper.pid) == 0:  # until the first tracer has attached
            assert time.monotonic() < deadline, "the first strace never attached"
            assert first.poll() is None, "the first strace could not attach"
            time.sleep(0.01)
        w = await Watched(PidSource(sleeper.pid, trace=True)).start()
        try:
            error = await w.until(lambda w: next(
                (e for e in w.events if e.kind == "error" and e.get("op") == "trace"), None),
                what="the trace error", timeout=30)
        finally:
            await w.stop()
        assert "ptrace is not permitted here" in str(error.get("message"))
        assert sleeper.poll() is None, "the watched program is left alone"
    finally:
        first.terminate()
        first.wait()
        sleeper.kill()
        sleeper.wait()


SHORT_LIVED = ("i=0; while [ $i -lt 40 ]; do sleep 0.05 & sleep 0.02; i=$((i+1)); done; "
               "wait; echo done")
"""40 children of 50 ms each over about a second: many are seen by one sample and gone
by the next, some vanish while they are being read."""


@pytest.mark.slow
async def test_processes_vanishing_between_samples_are_normal() -> None:
    w = await Watched(LiveSource(["sh", "-c", SHORT_LIVED], title="churn")).start()
    try:
        top = w.source.process.pid
        events = await w.finish(60)
        watcher = w.source.watcher
        assert watcher is not None
        samples = watcher.samples
    finally:
        await w.stop()
    assert w.lines() == ["done"]
    assert events[-1].kind == "monitor.end"
    assert events[-1].get("code") == 0
    assert not [e for e in events if e.kind in ("error", "monitor.invalid")]
    seen_children = [p for p, s in w.seen.items() if s.get("ppid") == top]
    assert seen_children, "some of the short-lived children were sampled"
    assert samples >= 5, "the watcher kept sampling through the churn"


@pytest.mark.slow
async def test_an_ipccore_program_run_like_any_program_merges_both_views() -> None:
    """``--run`` on an ipccore program (the playground: a master and three idle children):
    its own events (hello, spawn) and the kernel's (channels with their peers, signal
    dispositions) describe the same processes, in one stream."""
    from tui.__main__ import run_factory

    argv = [sys.executable, "-m", "ipccore.demos.playground", "--speed", "1"]
    w = await Watched(run_factory(argv)()).start()
    try:
        def family(w: Watched) -> tuple[int, set[int]] | None:
            hellos = [e for e in w.events if e.kind == "proc.hello"]
            master = next((e.pid for e in hellos if e.get("role") == "master"), None)
            children = {e.pid for e in hellos if e.get("role") == "child"}
            return (master, children) if master is not None and len(children) == 3 else None

        master, children = await w.until(family, what="the master and 3 children", timeout=60)

        def merged(w: Watched) -> bool:
            everyone = {master, *children}
            peers_of_master = {c.get("peer") for c in w.chans.get(master, {}).values()}
            return (everyone <= w.seen.keys() and everyone <= w.masks.keys()
                    and all(any(c.get("peer") == master for c in w.chans.get(p, {}).values())
                            for p in children)
                    and bool(children & peers_of_master))

        await w.until(merged, what="the kernel's view of every ipccore process", timeout=60)
        assert all(w.seen[p]["ppid"] == master for p in children)
        assert not [e for e in w.events if e.kind == "monitor.invalid"]
    finally:
        await w.stop()


@pytest.mark.skipif(os.getuid() != 0 or shutil.which("ipcmk") is None,
                    reason="needs root and ipcmk to make a queue as nobody")
def test_the_queue_screen_removes_only_our_own_queues() -> None:
    """A real queue of another user (made by ``nobody``) is never removed, also when the
    monitor runs as root; one of ours is (what ``d`` in ``Q`` calls, after its question)."""
    import sysv_ipc

    from ipccore._sysv import read_table
    from ipccore.observe.sysvmsg import QueueRefused, remove

    made = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                           "ipcmk", "-Q", "-p", "0644"], capture_output=True, text=True,
                          timeout=30, check=True)
    theirs = int(made.stdout.split(":")[-1])
    ours = sysv_ipc.MessageQueue(None, sysv_ipc.IPC_CREX, mode=0o600)
    try:
        row = read_table()[theirs]
        assert row.uid != 0
        with pytest.raises(QueueRefused, match="only your own queues"):
            remove(theirs, row.key)
        assert theirs in read_table(), "another user's queue is left alone"
        remove(ours.id, ours.key)
        assert ours.id not in read_table()
    finally:
        subprocess.run(["ipcrm", "-q", str(theirs)], capture_output=True, check=False)
        if ours.id in read_table():
            ours.remove()


@pytest.mark.slow
@needs_strace
def test_record_trace_run_from_the_command_line(tmp_path: Path) -> None:
    """``python -m ipccore record --trace --run -- CMD -o FILE``: the program's messages,
    seen through strace, are in a private recording."""
    out = tmp_path / "traced.ndjson"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    run = subprocess.run(
        [sys.executable, "-m", "ipccore", "record", "--trace", "--run", "--",
         *program("raw_pipe", "3", "0.01"), "-o", str(out)],
        capture_output=True, text=True, timeout=120, env=env, check=False)
    assert run.returncode == 0, run.stderr
    assert out.stat().st_mode & 0o777 == 0o600
    writes = [line for line in out.read_text().splitlines()
              if '"pipe.write"' in line and '"via":"trace"' in line and '"fd":4' in line]
    assert len(writes) == 3, writes
