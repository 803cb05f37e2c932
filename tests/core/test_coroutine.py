"""export_socket() and coroutine children (enable_coroutine=True), on real processes."""

from __future__ import annotations

import asyncio
import select
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest

from ipccore import Process, run
from ipccore.asocket import ExportedSocket
from ipccore.errors import MessageTruncated, ProcessGone
from tests.core.helpers import exits_cleanly, reap

T = TypeVar("T")


def talk_to(child: Callable[[Process], Awaitable[None]],
            talk: Callable[[ExportedSocket], Awaitable[T]]) -> T:
    """Start ``child`` as a coroutine child, run ``talk`` on the parent's end of its pipe
    (the exported socket) and reap the child, which must exit 0; ``talk``'s result."""
    p = Process(child, enable_coroutine=True)
    with exits_cleanly(p):
        return run(lambda: talk(p.export_socket()))


async def _echo_child(w: Process) -> None:
    sock = w.export_socket()
    data = await sock.recv()
    await sock.send(f"child {w.pid} got {data.decode()} via pipe {w.pipe}")


def test_seed_c_export_socket_round_trip() -> None:
    workers = [Process(_echo_child, False, 2, True) for _ in range(2)]
    pids = [p.start() for p in workers]
    replies = {}
    for p, pid in zip(workers, pids, strict=True):

        async def talk(p: Process = p, pid: int = pid) -> bytes:
            sock = p.export_socket()
            assert await sock.send(f"{pid}，你好！") == len(f"{pid}，你好！".encode())
            return await sock.recv()

        replies[pid] = run(talk)
    for pid in pids:
        assert reap(pid) == (0, 0)
        assert replies[pid].decode().startswith(f"child {pid} got {pid}，你好！")


def test_export_socket_is_one_object_on_a_dup() -> None:
    p = Process(lambda w: None)
    sock = p.export_socket()
    assert p.export_socket() is sock
    assert sock.fd != p.pipe
    assert sock.close() is True
    assert sock.close() is False


def test_ping_pong_many_messages_in_a_coroutine_child() -> None:
    async def child(w: Process) -> None:
        sock = w.export_socket()
        while data := await sock.recv():
            await sock.send(data[::-1])

    p = Process(child, enable_coroutine=True)
    pid = p.start()

    async def talk() -> int:
        sock = p.export_socket()
        for i in range(200):
            await sock.send(f"msg-{i}")
            assert await sock.recv() == f"msg-{i}"[::-1].encode()
        return 200

    try:
        assert run(talk) == 200
    finally:
        p.export_socket().close()
        assert p._sock is not None
        p._sock.close()
        assert reap(pid) == (0, 0)


def test_recv_never_cuts_and_small_size_raises_without_consuming() -> None:
    body = b"z" * (1 << 20)  # beyond the default buffer: the socket grows it

    async def child(w: Process) -> None:
        await w.export_socket().send(body)

    async def talk(sock: ExportedSocket) -> bytes:
        with pytest.raises(MessageTruncated) as info:
            await sock.recv(65536)
        assert info.value.size == len(body)
        assert await sock.send(b"") == 0
        return await sock.recv()

    assert talk_to(child, talk) == body


def test_export_socket_send_to_exited_child_raises_process_gone() -> None:
    p = Process(lambda w: None)
    pid = p.start()
    assert reap(pid) == (0, 0)

    async def talk() -> bytes:
        sock = p.export_socket()
        with pytest.raises(ProcessGone):
            await sock.send("anyone?")
        return await asyncio.wait_for(sock.recv(), 5)

    assert run(talk) == b""


def test_process_read_sees_a_datagram_sent_by_the_socket() -> None:
    async def child(w: Process) -> None:
        await w.export_socket().send("via socket")

    p = Process(child, enable_coroutine=True)
    pid = p.start()
    assert p.read() == b"via socket"
    assert reap(pid) == (0, 0)


def test_run_returns_the_coroutine_result_and_checks_its_argument() -> None:
    async def answer() -> int:
        await asyncio.sleep(0)
        return 42

    assert run(answer) == 42
    with pytest.raises(TypeError):
        run(42)  # type: ignore[arg-type]


def test_bytes_received_for_a_cancelled_recv_go_to_the_next_one(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The loop callback receives before the task resumes; cancelling the task in
    between must not lose the message (asyncio runs ready callbacks in FIFO order: the
    stock loop, whose step order this test counts on; uvloop orders them otherwise)."""
    monkeypatch.setenv("IPCCORE_UVLOOP", "0")

    async def child(w: Process) -> None:
        sock = w.export_socket()
        await sock.send(b"first")
        assert await sock.recv() == b"go"
        await sock.send(b"second")

    async def talk(sock: ExportedSocket) -> bytes:
        assert await sock.recv() == b"first"
        waiting = asyncio.create_task(sock.recv())
        await asyncio.sleep(0)  # it now waits, its fd registered with the loop
        await sock.send(b"go")
        assert select.select([sock.fd], [], [], 5)[0], "the child never answered"
        await asyncio.sleep(0)  # this step runs first, then the readiness callback...
        await asyncio.sleep(0)  # ...which has received "second" by now
        waiting.cancel()  # and the task is cancelled before it resumes
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert sock._kept == b"second"  # the path under test was really taken
        return await asyncio.wait_for(sock.recv(), 5)

    assert talk_to(child, talk) == b"second"


@pytest.mark.parametrize("loop", ["uvloop", "asyncio"])
def test_run_uses_uvloop_when_installed_unless_told_not_to(
        monkeypatch: pytest.MonkeyPatch, loop: str) -> None:
    """Both loops carry the same ping-pong; ``run()`` takes uvloop's when it is
    installed and ``IPCCORE_UVLOOP=0`` is not set (the child's ``run`` too)."""
    if loop == "uvloop":
        pytest.importorskip("uvloop")
    else:
        monkeypatch.setenv("IPCCORE_UVLOOP", "0")

    async def child(w: Process) -> None:
        sock = w.export_socket()
        await sock.send(type(asyncio.get_running_loop()).__module__.encode())
        while (data := await sock.recv()) != b"stop":
            await sock.send(data[::-1])

    async def talk(sock: ExportedSocket) -> tuple[str, str, list[bytes]]:
        theirs = (await sock.recv()).decode()
        got = []
        for i in range(200):
            await sock.send(b"ab%d" % i)
            got.append(await sock.recv())
        await sock.send(b"stop")
        return type(asyncio.get_running_loop()).__module__, theirs, got

    ours, theirs, got = talk_to(child, talk)
    assert got == [(b"ab%d" % i)[::-1] for i in range(200)]
    expected = "uvloop" if loop == "uvloop" else "asyncio"
    assert ours.split(".")[0] == theirs.split(".")[0] == expected


def test_a_second_concurrent_recv_is_refused() -> None:
    async def child(w: Process) -> None:
        sock = w.export_socket()
        assert await sock.recv() == b"release"
        await sock.send(b"done")

    async def talk(sock: ExportedSocket) -> bytes:
        first = asyncio.create_task(sock.recv())
        await asyncio.sleep(0)
        with pytest.raises(RuntimeError):
            await sock.recv()
        await sock.send(b"release")
        return await asyncio.wait_for(first, 5)

    assert talk_to(child, talk) == b"done"
