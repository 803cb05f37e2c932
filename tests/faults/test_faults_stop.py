"""Fault table: SIGSTOP/SIGCONT of a child and of the master under the monitor, and a
program blocked in push() on a full queue that is asked to stop."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest
import sysv_ipc

from ipccore import _sysv
from ipccore.keys import fresh_key
from ipcevents.events import Event
from tests.core.helpers import gone
from tests.core.queue_helpers import wait_blocked
from tests.faults.faultkit import (
    deadline_until,
    load,
    popen,
    program_argv,
    program_env,
    read_json_line,
    record_argv,
    recorded,
    status_of,
)
from tui.state import MonitorState, apply

# The fault-table kit is imported as in test_faults_kill.py (the duplicate finder pairs
# the two import lists).


def _stats(pid: int, after: int, stopped: bool) -> Callable[[Event], bool]:
    def pred(e: Event) -> bool:
        return (e.kind == "proc.stats" and e.pid == pid and e.seq > after
                and (e.get("state") == "stopped") == stopped)
    return pred


def _last_seq(rec: Path) -> int:
    events = load(rec)
    return events[-1].seq if events else 0


def test_sigstop_sigcont_child_and_master_nothing_lost(tmp_path: Path) -> None:
    """Each stop shows as ``proc.stats`` state ``stopped`` and each continue as running
    again; the ping-pong resumes (no deadlock) and, at the end, every write has exactly
    one read on the other side, both in the program's own checks and in the recording."""
    rec = tmp_path / "r.ndjson"
    with popen(record_argv("stop_pair.py", rec), program_env(tmp_path)) as proc:
        pids = read_json_line(proc)
        for target in (pids["child"], pids["master"]):
            os.kill(target, signal.SIGSTOP)
            deadline_until(partial(lambda t: status_of(t) == "stopped", target), 10, "stopped")
            mark = _last_seq(rec)
            deadline_until(partial(lambda t, m: recorded(rec, _stats(t, m, True)), target, mark),
                           10, "the monitor shows the stopped state")
            os.kill(target, signal.SIGCONT)
            mark = _last_seq(rec)
            deadline_until(partial(lambda t, m: recorded(rec, _stats(t, m, False)), target, mark),
                           10, "the monitor shows it running again")
        os.kill(pids["master"], signal.SIGUSR1)
        final = read_json_line(proc)
        assert proc.wait(timeout=30) == 0
    assert final["ok"] > 0
    events = load(rec)
    assert not [e for e in events if e.kind == "monitor.dropped"]
    master, child = pids["master"], pids["child"]

    def bodies(kind: str, pid: int) -> list[str]:
        return [e.get("preview") for e in events
                if e.kind == kind and e.pid == pid and e.get("nbytes")]

    assert bodies("pipe.write", master) == bodies("pipe.read", child)
    assert bodies("pipe.write", child) == bodies("pipe.read", master)
    assert len(bodies("pipe.read", master)) == final["ok"]
    state = MonitorState()
    for event in events:
        apply(state, event)
    assert state.procs[child].ending == "exited with code 0"


@pytest.mark.parametrize("how", ["SIGTERM", "SIGINT", "record-SIGTERM"])
def test_blocked_push_on_full_queue_stops_when_asked(tmp_path: Path, how: str) -> None:
    """Master and child blocked in ``msgsnd`` on a full queue: SIGTERM/SIGINT to the master
    (or SIGTERM to ``record``, which stops its program) ends everything within a few
    seconds, the exit status says which signal, and the queue is removed."""
    key = fresh_key()
    env = program_env(tmp_path)
    monitored = how.startswith("record")
    argv = (record_argv("queue_full.py", tmp_path / "r.ndjson", str(key)) if monitored
            else program_argv("queue_full.py", str(key)))
    try:
        with popen(argv, env) as proc:
            info = read_json_line(proc)
            wait_blocked(info["master"], "msgsnd")
            wait_blocked(info["child"], "msgsnd")
            sig = signal.SIGINT if how == "SIGINT" else signal.SIGTERM
            os.kill(proc.pid if monitored else info["master"], sig)
            rc = proc.wait(timeout=15)
            deadline_until(lambda: gone(info["child"]), 2, "the child ends too")
        if monitored:
            assert rc == 128 + signal.SIGTERM
        else:
            assert rc == -sig
        assert _sysv.queue_row(info["msqid"]) is None, "the queue outlived the program"
    finally:
        with contextlib.suppress(sysv_ipc.ExistentialError):
            sysv_ipc.MessageQueue(key).remove()




@pytest.mark.parametrize("handler", ["none", "queue"])
def test_sigterm_right_after_start_ends_the_child(tmp_path: Path, handler: str) -> None:
    """A master SIGTERMs each child at once, 100 times: every child dies of SIGTERM, also
    when the master has a Python-level SIGTERM handler (ipccore installs one with the
    first queue). Before lifecycle.spawn blocked signals across fork, 189/200 children
    survived here: the signal reached the inherited handler and was then dropped. Run in a
    small fresh process (the race needs a fast fork to show)."""
    result = subprocess.run(program_argv("sigterm_race.py", handler), env=program_env(tmp_path),
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    info = json.loads(result.stdout.strip().splitlines()[-1])
    assert info == {"tries": 100, "survivors": 0}
