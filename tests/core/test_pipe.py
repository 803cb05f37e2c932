"""Socketpair pipes on real processes: boundaries, sizes, dead peers, typed errors."""

from __future__ import annotations

import os
import signal
import time

import pytest

from ipccore import Process
from ipccore._sockets import max_datagram
from ipccore.errors import MessageTooLarge, MessageTruncated, NoPipe, ProcessGone
from ipccore.pipe import STREAM_READ_MAX
from tests.core.helpers import exits_cleanly, kill_and_reap, reap, start_ready


def _three_writes(w: Process) -> None:
    for word in ("one", "two", "three"):
        w.write(word)


def test_dgram_keeps_message_boundaries() -> None:
    p = Process(_three_writes)
    pid = p.start()
    assert reap(pid) == (0, 0)
    assert [p.read(), p.read(), p.read()] == [b"one", b"two", b"three"]
    assert p.read() == b""


def test_stream_coalesces_writes() -> None:
    p = Process(_three_writes, pipe_type=1)
    pid = p.start()
    assert reap(pid) == (0, 0)
    assert p.read() == b"onetwothree"
    assert p.read() == b""


def test_master_child_round_trip_like_the_seed() -> None:
    def child(w: Process) -> None:
        data = w.read().decode()
        w.write(f"来自 {w.pid} 的数据，通过管道 {w.pipe}，回复 {data}")

    workers = [Process(child) for _ in range(2)]
    pids = [p.start() for p in workers]
    for p, pid in zip(workers, pids, strict=True):
        p.write(f"{pid}，你好！")
        reply = p.read().decode()
        assert reply.startswith(f"来自 {pid} 的数据")
        assert reply.endswith(f"回复 {pid}，你好！")
    for pid in pids:
        assert reap(pid) == (0, 0)


def test_big_datagram_is_never_cut_and_explicit_small_size_raises() -> None:
    body = os.urandom(1 << 20)

    def child(w: Process) -> None:
        w.write(body)
        w.write(b"tail")

    p = Process(child)
    with exits_cleanly(p):
        with pytest.raises(MessageTruncated) as info:
            p.read(8192)
        assert info.value.size == len(body)
        assert p.read() == body
        assert p.read(4) == b"tail"


def test_stream_read_with_size_returns_at_most_size() -> None:
    p = Process(_three_writes, pipe_type=1)
    pid = p.start()
    assert reap(pid) == (0, 0)
    assert p.read(3) == b"one"
    assert p.read() == b"twothree"


def test_stream_read_returns_at_most_64_kib_and_loses_nothing() -> None:
    body = os.urandom(STREAM_READ_MAX * 2 + 123)

    def child(w: Process) -> None:
        w.write(body)

    p = Process(child, pipe_type=1)
    pid = p.start()
    assert reap(pid) == (0, 0)  # the whole body fits in the socket buffer
    chunks = []
    while chunk := p.read():
        chunks.append(chunk)
    assert max(map(len, chunks)) == STREAM_READ_MAX
    assert b"".join(chunks) == body


def test_a_child_reads_into_its_own_copy_of_the_inherited_buffer() -> None:
    """The receive buffer is MAP_PRIVATE and kept across fork: a child's reads must not
    show through in the master's buffer (a MAP_SHARED one would)."""

    def child(w: Process) -> None:
        w.write(b"c" * 4096)
        assert w.read() == b"m" * 4096
        w.write(b"ok")

    p = Process(child)
    with exits_cleanly(p):
        assert p.read() == b"c" * 4096
        p.write(b"m" * 4096)
        assert p.read() == b"ok"
        assert p._rbuf[:2] == b"ok"
        assert p._rbuf[2:4096] == b"c" * 4094


def test_largest_datagram_goes_through_whole() -> None:
    limit = max_datagram()
    assert limit >= 1 << 20
    body = os.urandom(limit)

    def child(w: Process) -> None:
        w.write(str(len(w.read())))

    p = Process(child)
    pid = p.start()
    assert p.write(body) == limit
    assert p.read() == str(limit).encode()
    assert reap(pid) == (0, 0)


@pytest.mark.parametrize("size", [int(4.1 * (1 << 20)), 6 << 20, 9 << 20])
def test_too_large_datagram_raises_at_once(size: int) -> None:
    p = Process(lambda w: w.read())
    with exits_cleanly(p):
        started = time.monotonic()
        with pytest.raises(MessageTooLarge, match="pipe_type=1"):
            p.write(b"x" * size)
        assert time.monotonic() - started < 2.0
        p.write("small still works")


@pytest.mark.parametrize("pipe_type", [1, 2])
def test_exited_child_gives_process_gone_and_eof(pipe_type: int) -> None:
    p = Process(lambda w: None, pipe_type=pipe_type)
    pid = p.start()
    assert reap(pid) == (0, 0)
    with pytest.raises(ProcessGone, match="exited"):
        p.write("hello after exit")
    started = time.monotonic()
    assert p.read() == b""
    assert time.monotonic() - started < 1.0


def test_child_sees_eof_when_every_master_end_is_closed() -> None:
    def child(w: Process) -> None:
        w.write("ready")
        w.exit(42 if w.read() == b"" else 1)

    p = Process(child)
    pid = start_ready(p)
    assert p._sock is not None
    p._sock.close()
    assert reap(pid) == (42, 0)


def test_unstarted_siblings_do_not_keep_a_pipe_open() -> None:
    """A child must not hold the worker end of a Process started after it."""
    first = Process(lambda w: w.read())
    second = Process(lambda w: None)
    pid1 = first.start()
    pid2 = second.start()
    try:
        assert reap(pid2) == (0, 0)
        with pytest.raises(ProcessGone):
            second.write("nobody is there")
        assert second.read() == b""
    finally:
        first.write("bye")
        assert reap(pid1) == (0, 0)


def test_child_to_child_through_an_inherited_master_end() -> None:
    def receiver(w: Process) -> None:
        while data := w.read():
            w.write(b"p1 got " + data)

    p1 = Process(receiver)
    pid1 = p1.start()

    def sender(w: Process) -> None:
        p1.write(f"from {w.pid}")
        w.write(p1.read())  # p1's reply, read through the same inherited master end
        w.kill(pid1, signal.SIGKILL)

    p2 = Process(sender)
    pid2 = p2.start()
    try:
        assert p2.read() == f"p1 got from {pid2}".encode()
    finally:
        assert reap(pid2) == (0, 0)
        assert reap(pid1) == (0, signal.SIGKILL)


def test_write_validates_its_argument() -> None:
    p = Process(lambda w: None)
    with pytest.raises(ValueError, match="empty"):
        p.write(b"")
    with pytest.raises(ValueError, match="empty"):
        p.write("")
    with pytest.raises(TypeError):
        p.write(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="positive"):
        p.read(0)
    with pytest.raises(TypeError):
        p.read("8")  # type: ignore[arg-type]


def test_str_is_sent_as_utf8() -> None:
    def child(w: Process) -> None:
        w.write(w.read())

    p = Process(child)
    with exits_cleanly(p):
        assert p.write("你好") == 6
        assert p.read() == "你好".encode()


def test_no_pipe_raises_nopipe() -> None:
    p = Process(lambda w: None, pipe_type=0)
    assert p.pipe is None
    with pytest.raises(NoPipe, match="pipe_type=0"):
        p.write("x")
    with pytest.raises(NoPipe):
        p.read()
    with pytest.raises(NoPipe):
        p.export_socket()


def test_nothing_leaks_when_a_reader_is_killed() -> None:
    p = Process(lambda w: w.read())
    pid = p.start()
    kill_and_reap(pid)
    with pytest.raises(ProcessGone):
        p.write("x")
