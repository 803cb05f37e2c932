"""The emitter and the collector with real forked writers and real Unix sockets."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time

import pytest

from ipccore.monitor import collector as collector_module
from ipccore.monitor.collector import Collector
from ipccore.monitor.emitter import SocketEmitter
from tests.monitor.helpers import (
    Collectors,
    collect,
    collectors_fixture,  # noqa: F401  (the `collectors` fixture)
    events_until,
    fork_writer,
    of_kind,
    reap,
)


async def test_many_writers_keep_their_order_and_lose_nothing(collectors: Collectors) -> None:
    collector = await collectors()
    n, writers = 300, 4

    def body(em: SocketEmitter) -> None:
        for i in range(n):
            em.emit("pipe.write", {"fd": 3, "to": None, "nbytes": i, "via": "pipe"}, b"x")

    def top(em: SocketEmitter) -> None:
        kids = [fork_writer(str(collector.path), body) for _ in range(writers)]
        for kid in kids:
            os.waitpid(kid, 0)

    pid = fork_writer(str(collector.path), top)
    events = await collect(collector, pid)
    await collector.close()
    writes = of_kind(events, "pipe.write")
    assert len(writes) == n * writers
    by_pid: dict[int, list[int]] = {}
    for e in writes:
        by_pid.setdefault(e.pid, []).append(e.get("nbytes"))
    assert len(by_pid) == writers
    assert all(seq == list(range(n)) for seq in by_pid.values())
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[-1].kind == "monitor.end"
    assert collector.invalid == 0
    assert not collector.path.parent.exists()


async def test_sigkill_right_after_the_call_loses_nothing(collectors: Collectors) -> None:
    collector = await collectors()

    def body(em: SocketEmitter) -> None:
        for i in range(200):
            em.emit("queue.push", {"key": 1, "msqid": 2, "mtype": 1, "nbytes": i}, b"m")
        os.kill(os.getpid(), signal.SIGKILL)

    pid = fork_writer(str(collector.path), body, close=False)
    events = await collect(collector, pid)
    await collector.close()
    pushes = of_kind(events, "queue.push", pid)
    assert [e.get("nbytes") for e in pushes] == list(range(200))
    assert events[-1].kind == "monitor.end"
    assert events[-1].get("signal") == signal.SIGKILL


async def test_slow_reader_never_blocks_and_drops_are_counted(collectors: Collectors) -> None:
    """Socket transport: a listener that does not read: the writer keeps going; drops
    come back as a count."""
    d = await collectors()  # only for its private directory
    path = str(d.path.parent / "slow.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1)
    r, w = os.pipe()  # child -> test: the report
    go_r, go_w = os.pipe()  # test -> child: drained, go on
    total = 50_000

    def body(em: SocketEmitter) -> None:
        t0 = time.monotonic()
        for i in range(total):
            em.emit("pipe.write", {"fd": 3, "to": None, "nbytes": i, "via": "pipe"}, b"y" * 64)
        os.write(w, f"{time.monotonic() - t0:.3f} {em.dropped_total}\n".encode())
        os.read(go_r, 1)  # wait until the reader drained the socket
        em.emit("timer.fire", {"timer": 1})

    pid = fork_writer(path, body, ring=False)
    conn, _ = listener.accept()
    report = b""
    while not report.endswith(b"\n"):
        report += os.read(r, 100)
    took, dropped = report.split()
    assert float(took) < 30.0, "the writer was wedged by a reader that does not read"
    assert int(dropped) > 0, "the socket should have filled up"
    data = b""
    conn.setblocking(False)
    try:
        while chunk := conn.recv(1 << 20):
            data += chunk
    except BlockingIOError:
        pass
    os.write(go_w, b"g")
    conn.setblocking(True)
    conn.settimeout(20)
    while chunk := conn.recv(1 << 20):
        data += chunk
    status = await reap(pid)
    conn.close()
    listener.close()
    for fd in (r, w, go_r, go_w):
        os.close(fd)
    await d.close()
    assert os.waitstatus_to_exitcode(status) == 0
    import json
    lines = [json.loads(x) for x in data.splitlines()]
    writes = [x for x in lines if x["kind"] == "pipe.write"]
    drops = [x["count"] for x in lines if x["kind"] == "monitor.dropped"]
    assert sum(drops) == int(dropped)
    assert len(writes) + sum(drops) == total
    assert lines[-1]["kind"] == "timer.fire"
    nums = [x["nbytes"] for x in writes]
    assert nums == sorted(nums)


async def test_collector_gone_the_program_keeps_running(collectors: Collectors) -> None:
    collector = await collectors()
    r, w = os.pipe()

    def body(em: SocketEmitter) -> None:
        em.emit("timer.fire", {"timer": 1})
        os.read(r, 1)
        for _ in range(5000):
            em.emit("timer.fire", {"timer": 2})
        if em.enabled:
            raise AssertionError("the emitter should have disabled itself")

    pid = fork_writer(str(collector.path), body)
    await events_until(collector.events(), lambda e: e.kind == "timer.fire")
    await collector.close()
    os.write(w, b"g")
    status = await reap(pid)
    os.close(r)
    os.close(w)
    assert os.waitstatus_to_exitcode(status) == 0


async def test_peer_of_another_uid_is_refused(collectors: Collectors) -> None:
    collector = await collectors(uid=os.getuid() + 4242)
    pid = fork_writer(str(collector.path), lambda em: em.emit("timer.fire", {"timer": 1}))
    events = await collect(collector, pid)
    await collector.close()
    assert collector.refused == 1
    assert not of_kind(events, "timer.fire")
    invalid = of_kind(events, "monitor.invalid")
    assert invalid
    assert "refused" in invalid[0].get("reason")


async def test_pid_comes_from_the_kernel_not_the_line(collectors: Collectors) -> None:
    collector = await collectors()

    def body(em: SocketEmitter) -> None:
        assert em._sock is not None
        em._sock.setblocking(True)
        em._sock.sendall(b'{"v":1,"seq":99,"ts":1.0,"pid":1,"kind":"timer.fire","timer":7}\n')

    pid = fork_writer(str(collector.path), body)
    events = await collect(collector, pid)
    await collector.close()
    fired = of_kind(events, "timer.fire")
    assert [(e.pid, e.get("timer")) for e in fired] == [(pid, 7)]
    assert fired[0].seq != 99


async def test_stats_and_gone_samples(collectors: Collectors) -> None:
    collector = await collectors(stats_interval=0.1)
    r, w = os.pipe()

    def body(em: SocketEmitter) -> None:
        em.emit("proc.hello", {"role": "master", "ppid": os.getppid(), "name": "t"})
        os.read(r, 1)

    pid = fork_writer(str(collector.path), body)
    stats = (await events_until(collector.events(),
                                lambda e: e.kind == "proc.stats" and e.pid == pid))[-1]
    os.write(w, b"g")
    events = await collect(collector, pid)
    await collector.close()
    os.close(r)
    os.close(w)
    assert stats.get("rss") > 0
    assert stats.get("threads") >= 1
    assert isinstance(stats.get("state"), str)
    gone = of_kind(events, "proc.gone", pid)
    assert len(gone) == 1
    assert gone[0].get("code") == 0


@pytest.mark.parametrize("bad", ["/", "/tmp"])
def test_attach_path_must_be_in_a_private_dir(bad: str) -> None:
    with pytest.raises(ValueError, match="0700"):
        Collector(os.path.join(bad, "events.sock"))


async def test_a_child_that_never_says_hello_is_sampled_at_its_spawn(
    collectors: Collectors,
) -> None:
    """A child announced only by its parent's proc.spawn (it never connects: it exec'd,
    or died first) is sampled the moment the spawn arrives, not at a later tick (the
    ticks are an hour apart here)."""
    collector = await collectors(stats_interval=3600, depth_interval=3600)
    r, w = os.pipe()
    info_r, info_w = os.pipe()

    def body(em: SocketEmitter) -> None:
        sleeper = subprocess.Popen(["sleep", "30"])
        os.write(info_w, str(sleeper.pid).encode())
        em.emit("proc.spawn", {"child": sleeper.pid, "id": 1, "pipe_type": 0, "fd": None,
                               "redirect": False, "coroutine": False})
        os.read(r, 1)
        sleeper.kill()
        sleeper.wait()

    pid = fork_writer(str(collector.path), body)
    child = int(os.read(info_r, 32))

    try:
        stats = (await events_until(collector.events(),
                                    lambda e: e.kind == "proc.stats" and e.pid == child,
                                    20))[-1]
    finally:
        os.write(w, b"g")
        await collect(collector, pid)
    for fd in (r, w, info_r, info_w):
        os.close(fd)
    assert stats.get("rss") > 0
    assert stats.get("name") == "sleep"  # as ps shows it


async def test_a_process_s_last_events_go_out_at_its_end_not_at_the_next_pump(
        collectors: Collectors, monkeypatch: pytest.MonkeyPatch) -> None:
    """A process's end of file releases its last events one reorder window later: with
    the pump's period made 60 s they still arrive (a run's end used to wait for the
    pump's next tick, up to 10 ms, as the default-mode benchmark measured)."""
    monkeypatch.setattr(collector_module, "PUMP_S", 60.0)
    collector = await collectors()

    def body(em: SocketEmitter) -> None:
        for i in range(5):
            em.pipe_io("pipe.write", 3, None, i, "pipe", b"last")

    pid = fork_writer(str(collector.path), body)
    await reap(pid)
    seen = await events_until(
        collector.events(), lambda e: e.kind == "pipe.write" and e.get("nbytes") == 4, 20)
    assert seen[-1].pid == pid
