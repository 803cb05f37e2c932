"""The core publishes each operation with the kinds and fields of docs/events.md.

A tiny emitter writes one JSON line per event into an OS pipe that forked children
inherit, so events from the master and its children arrive in one place.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from typing import Any

import pytest

from ipccore import Process, Timer, _trace, event_wait
from ipccore.errors import ProcessGone
from tests.core.helpers import start_ready


class PipeEmitter(_trace.EmitterBase):
    def __init__(self) -> None:
        self.r, self.w = os.pipe()

    def emit(self, kind: str, fields: dict[str, Any], data: bytes | None = None) -> None:
        line = {"pid": os.getpid(), "kind": kind, **fields}
        if data is not None:
            line["data"] = data[:64].decode("utf-8", "backslashreplace")
        os.write(self.w, json.dumps(line).encode() + b"\n")

    def close(self) -> None:
        os.write(self.w, json.dumps({"pid": os.getpid(), "kind": "closed"}).encode() + b"\n")

    def stop(self) -> list[dict[str, Any]]:
        """Detach and return every event (all children must have exited)."""
        _trace.emitter = None
        os.close(self.w)
        with os.fdopen(self.r, "rb") as f:
            return [json.loads(line) for line in f.read().splitlines()]


@pytest.fixture
def em() -> Iterator[PipeEmitter]:
    emitter = PipeEmitter()
    _trace.emitter = emitter
    yield emitter
    if _trace.emitter is emitter:
        emitter.stop()


def test_pipe_and_process_events(em: PipeEmitter) -> None:
    def child(w: Process) -> None:
        w.write(b"pong:" + w.read())

    p = Process(child)
    pid = p.start()
    p.write("ping")
    assert p.read() == b"pong:ping"
    assert Process.wait() is not None
    with pytest.raises(ProcessGone):
        p.write("late")
    rows = em.stop()
    master = os.getpid()

    hello = next(e for e in rows if e["kind"] == "proc.hello")
    assert (hello["pid"], hello["role"], hello["ppid"], hello["id"], hello["pipe_type"]) == (
        pid, "child", master, p.id, 2)
    spawn = next(e for e in rows if e["kind"] == "proc.spawn")
    assert spawn == {"pid": master, "kind": "proc.spawn", "child": pid, "id": p.id,
                     "pipe_type": 2, "fd": p.pipe, "redirect": False, "coroutine": False}
    writes = {(e["pid"], e["to"], e["nbytes"], e["via"]) for e in rows if e["kind"] == "pipe.write"}
    assert writes == {(master, pid, 4, "pipe"), (pid, master, 9, "pipe")}
    reads = {(e["pid"], e["from"], e["data"]) for e in rows if e["kind"] == "pipe.read"}
    assert reads == {(pid, master, "ping"), (master, pid, "pong:ping")}
    assert {"pid": pid, "kind": "proc.exit", "code": 0} in rows
    assert {"pid": pid, "kind": "closed"} in rows
    reap = next(e for e in rows if e["kind"] == "proc.reap")
    assert {k: reap[k] for k in ("pid", "child", "code", "signal")} == {
        "pid": master, "child": pid, "code": 0, "signal": 0}
    # From wait4: the child's whole-life cpu time and its peak rss (a Python child: MiBs).
    assert reap["cpu_time"] >= 0
    assert reap["maxrss"] > 1 << 20
    error = next(e for e in rows if e["kind"] == "error")
    assert (error["pid"], error["op"], error["error"]) == (master, "write", "ProcessGone")


def test_signal_timer_alarm_and_name_events(em: PipeEmitter) -> None:
    def child(w: Process) -> None:
        w.name("ev-kid")
        Process.signal(signal.SIGUSR1, lambda sig: w.write("got it"))
        w.write("ready")
        w.read()

    p = Process(child)
    pid = start_ready(p)
    Process.kill(pid, signal.SIGUSR1)
    assert p.read() == b"got it"
    p.write("bye")
    assert Process.wait() is not None
    tid = Timer.tick(1, Timer.clear)
    event_wait()
    Process.alarm(0)
    rows = em.stop()
    master = os.getpid()

    assert {"pid": pid, "kind": "proc.name", "name": "ev-kid"} in rows
    assert {"pid": pid, "kind": "signal.install", "signal": 10, "name": "SIGUSR1",
            "handler": True} in rows
    assert {"pid": master, "kind": "signal.send", "to": pid, "signal": 10, "name": "SIGUSR1",
            "ok": True} in rows
    assert {"pid": pid, "kind": "signal.handle", "signal": 10, "name": "SIGUSR1"} in rows
    timer_rows = [(e["kind"], e["timer"]) for e in rows if e["kind"].startswith("timer.")]
    assert timer_rows == [("timer.add", tid), ("timer.fire", tid), ("timer.clear", tid)]
    assert {"pid": master, "kind": "alarm.set", "usec": 0, "type": 0} in rows
