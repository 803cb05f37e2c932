"""Watching real programs that do not import ipccore: their tree, channels, queues and
signal dispositions, sampled from the kernel (``--run`` and ``--pid``)."""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import sys
import time
from typing import Any

import pytest

from ipccore._sysv import read_table
from ipccore.monitor.live import LiveSource
from ipccore.observe import procfs
from ipccore.observe.pidsource import PidSource
from ipcevents.source import SendSignal
from tests.monitor.observe_helpers import Watched, all_gone, bit, program

pytestmark = pytest.mark.slow


async def test_os_pipe_and_fork_direction_and_both_ends() -> None:
    w = await Watched(LiveSource(program("raw_pipe", "6", "0.2"), title="pipe")).start()
    try:
        def paired(w: Watched) -> tuple[dict[str, Any], dict[str, Any]] | None:
            for pid, chans in w.chans.items():
                for chan in chans.values():
                    if chan["type"] == "pipe" and chan["dir"] == "out" and chan["peer"]:
                        back = w.chans.get(chan["peer"], {})
                        for other in back.values():
                            if other["ino"] == chan["ino"] and other["dir"] == "in":
                                return chan | {"pid": pid}, other | {"pid": chan["peer"]}
            return None

        writer, reader = await w.until(paired, what="both ends of the pipe")
        top = w.source.process.pid
        assert writer["pid"] == top, "the parent writes"
        assert reader["peer"] == top, "the child reads from the parent"
        assert w.seen[reader["pid"]]["ppid"] == top
        events = await w.finish()
    finally:
        await w.stop()
    assert events[-1].kind == "monitor.end"
    assert events[-1].get("code") == 0
    assert not [e for e in events if e.kind == "monitor.invalid"]


async def test_shell_pipeline_yes_head_wc() -> None:
    """Three processes, two pipes, each pipe's writer and reader named; then a pipeline
    that ends by itself still counts every byte (the watcher does not disturb it)."""
    cmd = ["sh", "-c", "yes | head -c 50000000000 | wc -c"]
    w = await Watched(LiveSource(cmd, title="pipeline")).start()
    try:
        def names(w: Watched) -> dict[str, int]:
            return {str(s["cmd"]).split()[0]: pid for pid, s in w.seen.items()}

        def wired(w: Watched) -> dict[str, int] | None:
            n = names(w)
            if not {"yes", "head", "wc"} <= n.keys():
                return None
            out = {c["dir"]: c for c in w.chans.get(n["head"], {}).values()
                   if c["type"] == "pipe"}
            yes_out = [c for c in w.chans.get(n["yes"], {}).values() if c["dir"] == "out"]
            wc_in = [c for c in w.chans.get(n["wc"], {}).values() if c["dir"] == "in"]
            if not ("in" in out and "out" in out and yes_out and wc_in):
                return None
            got = n | {"head_in": out["in"]["peer"], "head_out": out["out"]["peer"],
                       "yes_to": yes_out[0]["peer"], "wc_from": wc_in[0]["peer"]}
            # Until sh has closed its copies of the pipe ends (just after forking), it is
            # an end too: wait for the pipeline's own wiring, then check every end of it.
            return got if got["head_out"] == n["wc"] and got["yes_to"] == n["head"] else None

        got = await w.until(wired, what="yes → head → wc")
        assert got["yes_to"] == got["head"]
        assert got["head_in"] == got["yes"]
        assert got["head_out"] == got["wc"]
        assert got["wc_from"] == got["head"]
    finally:
        await w.stop()
    assert await all_gone([got["yes"], got["head"], got["wc"]]), "left running"

    w = await Watched(LiveSource(["sh", "-c", "yes | head -c 50000000 | wc -c"],
                                 title="pipeline")).start()
    try:
        await w.finish(60)
    finally:
        await w.stop()
    assert w.lines() == ["50000000"]


async def test_signal_dispositions_and_a_blocked_signal_pending() -> None:
    w = await Watched(LiveSource(program("raw_signals"), title="signals")).start()
    try:
        await w.until(lambda w: "ready" in w.lines(), what="ready")
        top = w.source.process.pid

        def settled(w: Watched) -> dict[str, int] | None:
            m = w.masks.get(top)
            return m if m and m["caught"] & bit(signal.SIGUSR1) else None

        masks = await w.until(settled, what="SIGUSR1 caught")
        assert masks["blocked"] & bit(signal.SIGUSR2)
        assert masks["ignored"] & bit(signal.SIGHUP)
        assert not masks["pending"]
        await w.source.send(SendSignal(top, signal.SIGUSR2))
        pending = await w.until(
            lambda w: w.masks[top]["pending"] & bit(signal.SIGUSR2), what="SIGUSR2 pending")
        assert pending
        assert any(e.kind == "signal.send" and e.get("to") == top for e in w.events)
        await w.source.send(SendSignal(top, signal.SIGUSR1))
        await w.until(lambda w: "handled SIGUSR1 1" in w.lines(), what="SIGUSR1 handled")
        assert w.masks[top]["pending"] & bit(signal.SIGUSR2), "still blocked, still pending"
    finally:
        await w.stop()


async def test_raw_sysv_queue_names_its_sender_and_receiver() -> None:
    w = await Watched(LiveSource(program("raw_sysv", "3"), title="sysv")).start()
    try:
        top = w.source.process.pid

        def both(w: Watched) -> tuple[dict[str, Any], dict[str, Any]] | None:
            sent = [c for c in w.chans.get(top, {}).values()
                    if c["type"] == "queue" and c["last"] == "send"]
            for pid, chans in w.chans.items():
                got = [c for c in chans.values() if c["type"] == "queue"
                       and c["last"] == "recv" and sent and c["msqid"] == sent[0]["msqid"]]
                if pid != top and got:
                    return sent[0], got[0] | {"pid": pid}
            return None

        sent, got = await w.until(both, what="the queue in both panes", timeout=60)
        producer, consumer, msqid = top, got["pid"], sent["msqid"]
        assert w.seen[consumer]["ppid"] == producer
        assert sent["last"] == "send"
        assert sent["peer"] == consumer
        assert got["last"] == "recv"
        assert got["peer"] == producer
        row = read_table()[msqid]
        assert (row.lspid, row.lrpid) == (producer, consumer)
        await w.until(lambda w: any(e.kind == "queue.depth" and e.get("msqid") == msqid
                                    for e in w.events), what="the queue's depth samples")
        await w.source.send(SendSignal(producer, signal.SIGUSR1))
        await w.finish()
    finally:
        await w.stop()
    assert msqid not in read_table()


async def test_multiprocessing_tree_pipes_and_a_stopped_consumer_backlog() -> None:
    w = await Watched(LiveSource(program("raw_mp", "60"), title="mp")).start()
    try:
        line = await w.until(lambda w: next((x for x in w.lines() if x.startswith("{")), None),
                             what="the pids", timeout=60)
        pids = json.loads(line)
        main, consumer, pool = pids["main"], pids["consumer"], pids["pool"]
        everyone = {main, consumer, *pool}
        await w.until(lambda w: everyone <= w.seen.keys(), what="every process seen")
        assert all(w.seen[p]["ppid"] == main for p in (consumer, *pool))

        def pipe_peer(pid: int, kind: str, peer: int) -> bool:
            return any(c["type"] == kind and c["peer"] == peer
                       for c in w.chans.get(pid, {}).values())

        await w.until(lambda w: pipe_peer(consumer, "socketpair", main),
                      what="the Pipe's socketpair between consumer and main")
        for worker in pool:
            await w.until(functools.partial(lambda p, _w: pipe_peer(p, "pipe", main), worker),
                          what=f"pool worker {worker}'s pipes to main")
        await w.source.send(SendSignal(consumer, signal.SIGSTOP))

        def backlog(w: Watched) -> int:
            return max((c["queued"] for c in w.chans.get(consumer, {}).values()
                        if c["type"] == "pipe" and c["dir"] == "in"), default=0)

        assert await w.until(lambda w: backlog(w) >= 16384, what="the Queue's backlog")
        await w.source.send(SendSignal(consumer, signal.SIGCONT))
        await w.until(lambda w: backlog(w) < 16384, what="the backlog drained")
    finally:
        await w.stop()
    assert await all_gone([main, consumer, *pool]), "left running"


@pytest.fixture
def nobody_sleeper() -> object:
    proc = subprocess.Popen(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                             "sleep", "60"])
    deadline = time.monotonic() + 10
    while procfs.owner(proc.pid) == os.getuid() and time.monotonic() < deadline:
        time.sleep(0.01)  # until setpriv has switched user and exec'd sleep
    yield proc
    proc.kill()
    proc.wait()


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to start a process as nobody")
def test_pid_of_another_user_is_refused(nobody_sleeper: subprocess.Popen[bytes]) -> None:
    pid = nobody_sleeper.pid
    assert procfs.owner(pid) != os.getuid()
    with pytest.raises(procfs.NotOurs, match="only your own"):
        PidSource(pid)
    out = subprocess.run([sys.executable, "-m", "tui", "--pid", str(pid)], capture_output=True,
                         text=True, timeout=60, check=False)
    assert out.returncode == 2
    assert "only your own processes" in out.stderr
    out = subprocess.run([sys.executable, "-m", "ipccore", "record", "--pid", str(pid), "-o",
                          os.devnull], capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 2
    assert "only your own processes" in out.stderr


async def test_pid_watches_a_running_program_and_leaves_it_running() -> None:
    proc = subprocess.Popen(program("raw_pipe", "400", "0.05"), stdout=subprocess.DEVNULL)
    try:
        w = await Watched(PidSource(proc.pid)).start()
        try:
            child = await w.until(
                lambda w: next((p for p, s in w.seen.items() if s["ppid"] == proc.pid), None),
                what="the forked child")
            await w.until(lambda w: any(c["peer"] == child for c in
                                        w.chans.get(proc.pid, {}).values()), what="its pipe")
            with pytest.raises(Exception, match="not part"):
                await w.source.send(SendSignal(os.getppid(), signal.SIGUSR1))
        finally:
            await w.stop()
        assert proc.poll() is None, "--pid never ends what it watches"
    finally:
        proc.kill()
        proc.wait()
        for pid in procfs.descendants([proc.pid]):
            os.kill(pid, signal.SIGKILL)
