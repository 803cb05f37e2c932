"""ipccore.Pool on real processes: supervision, the three ipc types, detach, shutdown,
and Swoole's four most reported Pool troubles (#4231, #4438, #2652, #1366)."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import psutil
import pytest

from ipccore import Process
from ipccore._sysv import QueueRow, read_table
from ipccore.constants import IPC_MSGQUEUE, IPC_NONE, IPC_UNIXSOCK
from ipccore.errors import IPCError, MessageTooLarge, NotStarted, WorkerGone
from ipccore.pool import Pool
from tests.core.helpers import reap
from tests.core.pool_helpers import (
    idle,
    lines,
    note,
    start_master,
    stop_master,
    wait_for,
    words,
    workers_of,
)
from tests.core.queue_helpers import fresh_keys


def _idle_until_term(pool: Pool, log: Path, wid: int) -> None:
    note(log, f"start {wid} {os.getpid()}")
    while pool.running:
        time.sleep(0.02)


def test_ipc_none_workers_run_and_are_restarted_when_they_end(tmp_path: Path) -> None:
    log = tmp_path / "log"
    pool = Pool(2)

    def start(p: Pool, wid: int) -> None:
        note(log, f"start {wid} {os.getpid()}")
        if len(words(log, "start")) <= 2:
            return  # the first two incarnations end at once: the master restarts them
        idle(p)

    pool.on("WorkerStart", start)
    pool.on("WorkerStop", lambda p, wid: note(log, f"stop {wid} {os.getpid()}"))
    master = start_master(pool)
    wait_for(lambda: len(words(log, "start")) >= 4, what="4 starts")
    assert stop_master(master) == (0, 0)
    starts = words(log, "start")
    assert {w[1] for w in starts} == {"0", "1"}
    assert len({w[2] for w in starts}) == len(starts)  # every start a new pid
    assert {w[1] for w in words(log, "stop")} == {"0", "1"}


def test_msgqueue_pool_takes_every_job_once_and_removes_its_queue(tmp_path: Path) -> None:
    log = tmp_path / "log"
    with fresh_keys() as (key,):
        pool = Pool(3, IPC_MSGQUEUE, key)
        pool.on("Message", lambda p, data: note(log, f"job {p.worker_id} {data.decode()}"))
        master = start_master(pool)
        wait_for(lambda: any(r.key == key for r in _queue_rows()), what="the queue")
        producer = Process(lambda w: None, pipe_type=0)
        producer.use_queue(key)
        for i in range(60):
            producer.push(f"{i}")
        wait_for(lambda: len(words(log, "job")) >= 60, what="60 jobs")
        assert stop_master(master) == (0, 0)
        assert not any(r.key == key for r in _queue_rows())
    jobs = words(log, "job")
    assert sorted(int(w[2]) for w in jobs) == list(range(60))
    assert {w[1] for w in jobs} <= {"0", "1", "2"}


def _queue_rows() -> list[QueueRow]:
    return list(read_table().values())


def test_unixsock_messages_reach_the_named_worker_and_survive_its_restart(
        tmp_path: Path) -> None:
    log = tmp_path / "log"
    pool = Pool(2, IPC_UNIXSOCK)

    def message(p: Pool, data: bytes) -> None:
        note(log, f"msg {p.worker_id} {os.getpid()} {data.decode()}")
        if data == b"relay":
            p.send_message("relayed", 1)
        if data == b"die" and not words(log, "dying"):  # once: it is given back after
            note(log, "dying")
            os.kill(os.getpid(), signal.SIGKILL)

    def start(p: Pool, _none: None) -> None:
        p.send_message("relay", 0)
        p.send_message("die", 1)
        p.send_message("after restart", 1)

    pool.on("Message", message)
    pool.on("Start", start)
    master = start_master(pool)
    wait_for(lambda: len(words(log, "msg")) >= 4, what="4 messages")
    assert stop_master(master) == (0, 0)
    got = {(w[1], " ".join(w[3:])) for w in words(log, "msg")}
    assert {("0", "relay"), ("1", "relayed"), ("1", "die"), ("1", "after restart")} <= got
    pids1 = {w[2] for w in words(log, "msg") if w[1] == "1"}
    assert len(pids1) == 2  # the message sent before the kill waited for the new worker
    # "die" was in hand when its worker was killed: given back, handled again.
    assert [w for w in words(log, "msg") if w[3:] == ["die"]][1][2] in pids1


def test_swoole_doc_example_export_socket_between_two_workers(tmp_path: Path) -> None:
    """Swoole's own IPC_UNIXSOCK + coroutine example: no Message callback, worker 1
    talks to worker 0 through getProcess(0)->exportSocket()."""
    log = tmp_path / "log"
    pool = Pool(2, IPC_UNIXSOCK, 0, True)

    async def start(p: Pool, wid: int) -> None:
        sock = p.get_process(0).export_socket()
        if wid == 0:
            note(log, f"0 got {(await sock.recv()).decode()}")
            await sock.send("hello proc1")
        else:
            await sock.send("hello proc0")
            note(log, f"1 got {(await sock.recv()).decode()}")
            p.shutdown()
        while p.running:
            await asyncio.sleep(0.01)

    pool.on("WorkerStart", start)
    master = start_master(pool)
    assert reap(master, 60) == (0, 0)
    assert sorted(" ".join(w) for w in lines(log)) == ["0 got hello proc0", "1 got hello proc1"]


def test_write_in_a_worker_is_read_through_its_process_elsewhere(tmp_path: Path) -> None:
    log = tmp_path / "log"
    pool = Pool(2, IPC_UNIXSOCK)

    def message(p: Pool, data: bytes) -> None:
        p.write(b"answer to " + data)

    def start(p: Pool, wid: int) -> None:
        if wid == 1:
            p.send_message("question", 0)
            note(log, f"read {p.get_process(0).read().decode()}")
            p.shutdown()

    pool.on("Message", message)
    pool.on("WorkerStart", start)
    master = start_master(pool)
    assert reap(master, 60) == (0, 0)
    assert words(log, "read") == [["read", "answer", "to", "question"]]


def test_4231_get_process_names_the_restarted_worker_and_it_still_gets_sigterm(
        tmp_path: Path) -> None:
    """Swoole #4231: after worker A restarts, B's getProcess(A) kept A's old pid, and
    the restarted A no longer received SIGTERM on a reload."""
    log = tmp_path / "log"
    pool = Pool(2)

    def start(p: Pool, wid: int) -> None:
        note(log, f"start {wid} {os.getpid()}")
        if wid == 0 and len([w for w in words(log, "start") if w[1] == "0"]) == 1:
            while not words(log, "holding"):
                time.sleep(0.01)
            return  # A's first life ends once B holds its Process: the master restarts it
        if wid == 1:
            view = p.get_process(0)  # fetched once, held across A's restart
            first = view.pid
            note(log, f"holding {first}")
            while p.running and view.pid == first:
                time.sleep(0.01)
            note(log, f"seen {view.pid} {first}")
        idle(p, 0.01)

    pool.on("WorkerStart", start)
    pool.on("WorkerStop", lambda p, wid: note(log, f"term {wid} {os.getpid()}"))
    master = start_master(pool)
    wait_for(lambda: words(log, "seen"), what="B to see A's new pid")
    wait_for(lambda: len([w for w in words(log, "start") if w[1] == "0"]) >= 2,
             what="A's second life to start")  # its pid is on the board before it runs
    a_pids = [w[2] for w in words(log, "start") if w[1] == "0"]
    new, old = words(log, "seen")[0][1:]
    assert old == a_pids[0]
    assert new == a_pids[1]
    assert new != old
    restarted_a = a_pids[1]
    os.kill(master, signal.SIGUSR1)  # reload: every worker gets SIGTERM, A's new life too
    wait_for(lambda: ["term", "0", restarted_a] in lines(log), what="restarted A's SIGTERM")
    assert stop_master(master) == (0, 0)


def test_4438_sigterm_waits_for_every_worker_to_finish(tmp_path: Path) -> None:
    """Swoole #4438: on SIGTERM the pool exited at once instead of waiting."""
    log = tmp_path / "log"
    pool = Pool(3)
    pool.set(max_wait_time=60)

    def start(p: Pool, wid: int) -> None:
        note(log, f"start {wid}")
        time.sleep(0.5 + wid * 0.2)  # busy: does not even look at p.running

    def stop(p: Pool, wid: int) -> None:
        time.sleep(0.2)
        note(log, f"stopped {wid} {time.monotonic()}")

    pool.on("WorkerStart", start)
    pool.on("WorkerStop", stop)
    master = start_master(pool)
    wait_for(lambda: len(words(log, "start")) >= 3, what="3 workers")
    os.kill(master, signal.SIGTERM)
    assert reap(master, 60) == (0, 0)
    ended = time.monotonic()
    stopped = words(log, "stopped")
    assert sorted(w[1] for w in stopped) == ["0", "1", "2"]
    assert all(float(w[2]) <= ended for w in stopped)


def test_ctrl_c_to_the_process_group_stops_gracefully(tmp_path: Path) -> None:
    log = tmp_path / "log"
    pool = Pool(3)
    pool.on("WorkerStart", lambda p, wid: _idle_until_term(p, log, wid))
    pool.on("WorkerStop", lambda p, wid: note(log, f"stop {wid}"))

    def master(_w: Process) -> None:
        os.setpgid(0, 0)  # a group of its own, as a shell gives a job
        raise SystemExit(0 if pool.start() else 1)

    mpid = Process(master, pipe_type=0).start()
    wait_for(lambda: len(words(log, "start")) >= 3, what="3 workers")
    os.killpg(mpid, signal.SIGINT)  # what Ctrl-C does
    assert reap(mpid, 60) == (0, 0)
    assert sorted(w[1] for w in words(log, "stop")) == ["0", "1", "2"]
    assert len(words(log, "start")) == 3  # none restarted on the way out


def test_a_worker_that_ignores_sigterm_is_killed_after_max_wait_time(tmp_path: Path) -> None:
    log = tmp_path / "log"
    pool = Pool(1)
    pool.set(max_wait_time=0.5)

    def start(p: Pool, wid: int) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        note(log, f"start {os.getpid()}")
        time.sleep(120)

    pool.on("WorkerStart", start)
    master = start_master(pool)
    wait_for(lambda: words(log, "start"), what="the worker")
    worker = int(words(log, "start")[0][1])
    t0 = time.monotonic()
    assert stop_master(master) == (0, 0)
    assert time.monotonic() - t0 < 30  # bounded, not the worker's 120 s
    assert not psutil.pid_exists(worker) or psutil.Process(worker).status() == "zombie"


def test_2652_push_through_a_pool_workers_process_works(tmp_path: Path) -> None:
    """Swoole #2652: getProcess()->push() in a pool worker failed with EINVAL (mtype 0)."""
    log = tmp_path / "log"
    with fresh_keys() as (key,):
        owner = Process(lambda w: None, pipe_type=0)
        owner.use_queue(key)
        pool = Pool(2)

        def start(p: Pool, wid: int) -> None:
            proc = p.get_process()
            proc.use_queue(key)
            if wid == 0:
                for i in range(3):
                    assert proc.push(f"test {i}")
            else:
                for _ in range(3):
                    note(log, f"got {(proc.pop() or b'').decode()}")
            idle(p)

        pool.on("WorkerStart", start)
        master = start_master(pool)
        wait_for(lambda: len(words(log, "got")) >= 3, what="3 pops")
        assert stop_master(master) == (0, 0)
        owner.free_queue()
    assert [" ".join(w[1:]) for w in words(log, "got")] == ["test 0", "test 1", "test 2"]


def test_1366_a_busy_master_still_reaps_its_children(tmp_path: Path) -> None:
    """Swoole #1366: the SIGCHLD callback never ran while the master was busy in a
    loop, so exited children stayed zombies. Here the pool's master reaps from its
    SIGCHLD handler, also while its own Start callback keeps it busy."""
    log = tmp_path / "log"
    pool = Pool(3)

    def worker(p: Pool, wid: int) -> None:
        note(log, f"start {wid} {os.getpid()}")  # and end at once: restarted, again...

    def busy(p: Pool, _none: None) -> None:
        # Pure Python, no blocking call for a signal to cut short. The three workers
        # end at once; with nobody reaping they would stay zombies until this returns.
        deadline = time.monotonic() + 30
        reaped = False
        while time.monotonic() < deadline and not reaped:
            sum(range(1000))
            reaped = len(words(log, "start")) >= 3 and not psutil.Process().children()
        note(log, f"busy-done {reaped}")

    pool.on("WorkerStart", worker)
    pool.on("Start", busy)
    master = start_master(pool)
    wait_for(lambda: words(log, "busy-done"), timeout=60, what="the busy master")
    assert stop_master(master) == (0, 0)
    assert words(log, "busy-done") == [["busy-done", "True"]]


def test_detach_hands_the_worker_id_to_a_new_process(tmp_path: Path) -> None:
    log = tmp_path / "log"
    pool = Pool(1)

    def start(p: Pool, wid: int) -> None:
        first = not words(log, "start")
        note(log, f"start {wid} {os.getpid()}")
        if first:
            assert p.detach() is True
            assert p.detach() is False
            note(log, f"detached {os.getpid()}")
            time.sleep(0.3)
            return
        idle(p)

    pool.on("WorkerStart", start)
    pool.on("WorkerStop", lambda p, wid: note(log, f"stop {os.getpid()}"))
    master = start_master(pool)
    wait_for(lambda: len(words(log, "start")) >= 2, what="the replacement")
    detached = words(log, "detached")[0][1]
    wait_for(lambda: int(detached) not in [c.pid for c in workers_of(master)],
             what="the detached worker to end and be reaped")
    time.sleep(0.3)  # a restart of the detached process would show as a third start
    assert len(words(log, "start")) == 2
    assert stop_master(master) == (0, 0)
    assert [w[1] for w in words(log, "stop")] == [words(log, "start")[1][2]]


def test_worker_shutdown_stops_the_whole_pool(tmp_path: Path) -> None:
    log = tmp_path / "log"
    pool = Pool(2)

    def start(p: Pool, wid: int) -> None:
        if wid == 1:
            p.shutdown()
        idle(p)

    pool.on("WorkerStart", start)
    pool.on("WorkerStop", lambda p, wid: note(log, f"stop {wid}"))
    master = start_master(pool)
    assert reap(master, 60) == (0, 0)
    assert sorted(w[1] for w in words(log, "stop")) == ["0", "1"]


def test_coroutine_callbacks_run_in_a_loop(tmp_path: Path) -> None:
    log = tmp_path / "log"
    pool = Pool(1, enable_coroutine=True)

    async def start(p: Pool, wid: int) -> None:
        await asyncio.sleep(0.01)
        note(log, "async start ran")
        p.shutdown()

    pool.on("WorkerStart", start)
    master = start_master(pool)
    assert reap(master, 60) == (0, 0)
    assert words(log, "async")


@pytest.mark.parametrize(("args", "exc"), [
    ((0,), ValueError), ((1.0,), TypeError), ((2000,), ValueError),
    ((1, 3), ValueError), ((1, 9), ValueError), ((1, "2"), TypeError),
    ((1, IPC_MSGQUEUE, -1), ValueError), ((1, IPC_MSGQUEUE, "k"), TypeError),
    ((1, IPC_NONE, 0, "yes"), TypeError),
])
def test_pool_constructor_bad_inputs(args: tuple[object, ...], exc: type[Exception]) -> None:
    with pytest.raises(exc):
        Pool(*args)  # type: ignore[arg-type]


def test_pool_calls_in_the_wrong_place_fail_clearly() -> None:
    pool = Pool(2)
    with pytest.raises(ValueError, match="Message"):
        pool.on("Message", lambda p, d: None)
    with pytest.raises(ValueError, match="unknown event"):
        pool.on("Connect", lambda p, d: None)
    with pytest.raises(TypeError):
        pool.on("WorkerStart", "not callable")  # type: ignore[arg-type]
    with pytest.raises(IPCError, match="WorkerStart"):
        pool.start()
    with pytest.raises(IPCError, match="has to name one"):
        pool.get_process()
    with pytest.raises(WorkerGone):
        pool.get_process(2)
    with pytest.raises(NotStarted):
        pool.get_process(0)
    with pytest.raises(IPCError, match="IPC_UNIXSOCK"):
        pool.send_message(b"x", 0)
    with pytest.raises(IPCError, match="worker"):
        pool.write(b"x")
    with pytest.raises(IPCError, match="worker"):
        pool.detach()
    with pytest.raises(NotStarted):
        pool.shutdown()
    with pytest.raises(ValueError, match="enable_message_bus"):
        pool.set(enable_message_bus=True)
    with pytest.raises(ValueError, match="max_wait_time"):
        pool.set(max_wait_time=0)
    with pytest.raises(ValueError, match="unknown"):
        pool.set(worker_num=3)
    sock_pool = Pool(1, IPC_UNIXSOCK)
    sock_pool.set(max_package_size=8)
    with pytest.raises(MessageTooLarge):
        sock_pool.send_message(b"123456789", 0)
    with pytest.raises(TypeError):
        sock_pool.send_message(5, 0)  # type: ignore[arg-type]
    with pytest.raises(IPCError, match="WorkerStart"):
        sock_pool.start()
    with pytest.raises(IPCError, match="Message"):
        Pool(1, IPC_MSGQUEUE).start()


def test_a_held_process_names_no_pid_once_the_pool_has_ended() -> None:
    pool = Pool(1)
    seen: list[int | None] = []

    def start(p: Pool, _none: None) -> None:
        seen.append(p.get_process(0).pid)
        p.shutdown()

    pool.on("WorkerStart", lambda p, wid: time.sleep(0.01))
    pool.on("Start", start)
    assert pool.start() is True  # in this process: the master returns here
    assert seen[0] is not None
    assert seen[0] > 0
    assert pool.get_process(0).pid is None
