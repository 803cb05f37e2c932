"""Fault table, kills: a child SIGKILLed mid-flood, the master SIGKILLed, the monitor dying.

Every case runs real programs (``tests/programs``) as separate interpreters, with their
temp dir and queue registry under ``tmp_path`` so whatever they leave is visible.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import sysv_ipc

from ipccore import _sysv
from ipccore.keys import fresh_key
from tests.core.helpers import gone
from tests.faults.faultkit import (
    deadline_until,
    load,
    popen,
    program_argv,
    program_env,
    read_json_line,
    record_argv,
)
from tui.state import MonitorState, apply


def _remove(msqid: int) -> None:
    with contextlib.suppress(sysv_ipc.Error):
        sysv_ipc.remove_message_queue(msqid)


def test_child_sigkilled_mid_flood_everything_it_read_is_recorded(tmp_path: Path) -> None:
    """The master gets WaitResult(signal=9), its next write raises ProcessGone, every
    message the child read (its own log, written after each read) is a ``pipe.read`` in
    the recording, in order, and the state model shows the child killed by SIGKILL.

    In full mode: every record is in shared memory before ``read()`` returns. (The
    default mode counts a flood above the budget into an aggregate in the process's
    memory, which a SIGKILL takes with it: docs/events.md says so.)"""
    log, rec = tmp_path / "read.log", tmp_path / "r.ndjson"
    result = subprocess.run(record_argv("flood_kill.py", rec, str(log), full=True),
                            env=program_env(tmp_path), capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    child = seen["child"]
    assert seen["wait"] == [child, 0, signal.SIGKILL]
    assert seen["gone"] is True
    read_by_child = [int(x) for x in log.read_text().split()]
    assert 100 <= len(read_by_child) <= 2500, "the child read past its stop"
    events = load(rec)
    reads = [e for e in events if e.kind == "pipe.read" and e.pid == child and e.get("nbytes")]
    recorded = [int(e.get("preview")[1:]) for e in reads]
    assert recorded[: len(read_by_child)] == read_by_child == list(range(len(read_by_child)))
    assert recorded == list(range(len(recorded)))
    assert not [e for e in events if e.kind == "monitor.dropped"]
    errors = [e for e in events if e.kind == "error" and e.get("error") == "ProcessGone"]
    assert errors
    state = MonitorState()
    for event in events:
        apply(state, event)
    assert state.procs[child].ending == "killed by SIGKILL"
    assert state.procs[child].msgs_in == len(recorded)
    assert state.ended
    assert state.end_code == 0
    assert os.listdir(tmp_path / "tmp") == [], "the monitor socket dir outlived the run"


@pytest.mark.parametrize("monitored", [True, False], ids=["under-record", "bare"])
def test_master_sigkilled_children_gone_and_queue_reclaimed(
    tmp_path: Path, monitored: bool
) -> None:
    """Children die within 1 s of the master (PR_SET_PDEATHSIG). Under ``record`` the
    monitor removes the queue and its socket dir when the program ends; with no monitor
    the queue outlives the master until the next ipccore start reclaims it."""
    key = fresh_key()
    env = program_env(tmp_path)
    argv = (record_argv("master_kill.py", tmp_path / "r.ndjson", str(key)) if monitored
            else program_argv("master_kill.py", str(key)))
    msqid = -1
    try:
        with popen(argv, env) as proc:
            info = read_json_line(proc)
            msqid = info["msqid"]
            deadline_until(lambda: gone(info["master"]), 10, "master dies")
            t_dead = time.monotonic()
            deadline_until(lambda: all(gone(c) for c in info["children"]), 3,
                           "children die with their master")
            assert time.monotonic() - t_dead < 1.0 + 0.2  # 0.2 s: our polling
            rc = proc.wait(timeout=30)
        assert rc == (128 + signal.SIGKILL if monitored else -signal.SIGKILL)
        if monitored:
            assert _sysv.queue_row(msqid) is None, "the monitor did not remove the queue"
            assert os.listdir(tmp_path / "tmp") == []
        else:
            assert _sysv.queue_row(msqid) is not None
        next_start = subprocess.run(program_argv("open_queue.py", str(fresh_key())), env=env,
                                    capture_output=True, text=True, timeout=30, check=False)
        assert next_start.returncode == 0, next_start.stderr
        assert _sysv.queue_row(msqid) is None, "the next start did not reclaim the queue"
        assert list((tmp_path / "reg").iterdir()) == []
    finally:
        if msqid >= 0:
            _remove(msqid)


def _collector(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    sockdir = tmp_path / "mon"
    sockdir.mkdir(mode=0o700)
    return sockdir / "events.sock", program_env(tmp_path)


@pytest.mark.parametrize("fault", ["SIGKILL", "SIGSTOP"])
def test_monitor_dies_or_hangs_mid_run_the_program_carries_on(
    tmp_path: Path, fault: str
) -> None:
    """A program attached by hand (``IPCCORE_MONITOR``) whose collector is SIGKILLed, or
    stopped so that it never reads again, finishes every checked round trip (pipe and
    queue) without blocking: a stalled monitor costs at most a bounded wait per event
    burst, then events are dropped and counted."""
    sock, env = _collector(tmp_path)
    key = fresh_key()
    with popen(program_argv("collector_proc.py", str(sock)), env) as mon:
        read_json_line(mon)
        # Every operation its own event (a budget no flood reaches), in the default
        # mode: the ring fills, and a stalled monitor must cost drops, not a hang.
        prog_env = {**env, "IPCCORE_MONITOR": str(sock), "IPCCORE_MONITOR_RATE": "1000000000"}
        with popen(program_argv("busy_pair.py", str(key), "200", "12000"), prog_env,
                   stdin=subprocess.PIPE) as prog:
            read_json_line(prog)
            os.kill(mon.pid, getattr(signal, fault))
            assert prog.stdin is not None
            prog.stdin.write("go\n")
            prog.stdin.flush()
            done = read_json_line(prog, timeout=60)
            assert prog.wait(timeout=30) == 0
        assert done["ok"] == 12200
        assert done["secs"] < 30
        if fault == "SIGSTOP":
            # 48,000 events from the master alone: more than its 2 MiB ring holds.
            assert done["dropped"] > 0, "the flood never filled the stalled monitor's ring"
            assert mon.poll() is None
            os.kill(mon.pid, signal.SIGCONT)
    with contextlib.suppress(sysv_ipc.ExistentialError):
        sysv_ipc.MessageQueue(key).remove()
        pytest.fail("busy_pair left its queue")
