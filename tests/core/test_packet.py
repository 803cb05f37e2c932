"""Packets over STREAM pipes: the pure reader under random cuts (hypothesis), then the
exported socket's set_protocol/recv_packet, send_all/recv_all and peek on real pipes."""

from __future__ import annotations

import asyncio
import itertools
import random
import struct
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ipccore import Process, run
from ipccore.errors import IPCError, PacketError
from ipccore.packet import LENGTH_TYPES, PacketReader, make_protocol
from tests.core.helpers import reap

bodies = st.lists(st.binary(max_size=300), max_size=30)


def _frame(body: bytes, code: str = "N", offset: int = 0, body_offset: int = 4) -> bytes:
    fmt = LENGTH_TYPES[code]
    head = bytearray(body_offset)
    struct.pack_into(fmt, head, offset, len(body))
    return bytes(head) + body


def _cut(stream: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(stream) + 1) for c in cuts} | {0, len(stream)})
    return [stream[a:b] for a, b in itertools.pairwise(points)]


def _read_all(reader: PacketReader, pieces: list[bytes]) -> list[bytes]:
    out = []
    for piece in pieces:
        reader.feed(piece)
        while (packet := reader.next()) is not None:
            out.append(packet)
    return out


@settings(max_examples=300, deadline=None)
@given(bodies, st.lists(st.integers(min_value=0), max_size=40),
       st.sampled_from(["N", "n", "V", "v", "C", "Q", "J"]), st.integers(0, 3))
def test_length_packets_survive_any_split_and_coalescing(
        items: list[bytes], cuts: list[int], code: str, pad: int) -> None:
    size = struct.calcsize(LENGTH_TYPES[code])
    limit = 255 if code == "C" else 1 << 16
    items = [b[:limit] for b in items]
    packets = [_frame(b, code, pad, pad + size) for b in items]
    reader = PacketReader(make_protocol(
        open_length_check=True, package_length_type=code, package_length_offset=pad,
        package_body_offset=pad + size))
    assert _read_all(reader, _cut(b"".join(packets), cuts)) == packets
    assert reader.buffered == 0


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=200).filter(lambda b: b"\r\n" not in b), max_size=30),
       st.lists(st.integers(min_value=0), max_size=40))
def test_eof_packets_survive_any_split_and_coalescing(items: list[bytes],
                                                      cuts: list[int]) -> None:
    packets = [b + b"\r\n" for b in items if not b.endswith(b"\r")]
    reader = PacketReader(make_protocol(open_eof_check=True, package_eof="\r\n"))
    assert _read_all(reader, _cut(b"".join(packets), cuts)) == packets


def test_too_long_and_negative_lengths_break_the_stream_for_good() -> None:
    reader = PacketReader(make_protocol(open_length_check=True, package_max_length=100))
    reader.feed(_frame(b"x" * 200))
    with pytest.raises(PacketError, match="package_max_length"):
        reader.next()
    with pytest.raises(PacketError):
        reader.next()
    neg = PacketReader(make_protocol(open_length_check=True, package_length_type="l",
                                     package_body_offset=4))
    neg.feed(struct.pack("=i", -5))
    with pytest.raises(PacketError, match="negative"):
        neg.next()
    eof = PacketReader(make_protocol(open_eof_check=True, package_max_length=10))
    eof.feed(b"y" * 11)
    with pytest.raises(PacketError, match="no package_eof"):
        eof.next()


@pytest.mark.parametrize(("options", "exc"), [
    ({}, ValueError),
    ({"open_length_check": True, "open_eof_check": True}, ValueError),
    ({"open_length_check": True, "package_length_type": "X"}, ValueError),
    ({"open_length_check": True, "package_body_offset": 2}, ValueError),
    ({"open_length_check": True, "package_length_offset": -1}, ValueError),
    ({"open_length_check": True, "package_max_length": 0}, ValueError),
    ({"open_length_check": 1}, TypeError),
    ({"open_eof_check": True, "package_eof": b""}, ValueError),
    ({"open_eof_check": True, "package_eof": b"123456789"}, ValueError),
    ({"open_length_check": True, "package_body_ofset": 4}, ValueError),
])
def test_protocol_bad_options(options: dict[str, object], exc: type[Exception]) -> None:
    with pytest.raises(exc):
        make_protocol(**options)


def _chunked_sender(seed: int, n: int) -> Callable[[Process], None]:
    """A child that writes ``n`` framed packets through the STREAM pipe in random pieces."""

    def child(w: Process) -> None:
        rng = random.Random(seed)
        stream = b"".join(_frame(rng.randbytes(rng.randrange(0, 5000))) for _ in range(n))
        pos = 0
        while pos < len(stream):
            step = rng.randrange(1, 9000)
            w.write(stream[pos:pos + step])
            pos += step

    return child


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_recv_packet_returns_the_packets_written_in_random_pieces(seed: int) -> None:
    n = 200
    rng = random.Random(seed)
    expected = [_frame(rng.randbytes(rng.randrange(0, 5000))) for _ in range(n)]
    p = Process(_chunked_sender(seed, n), pipe_type=1, enable_coroutine=True)
    pid = p.start()

    async def collect() -> list[bytes]:
        sock = p.export_socket()
        sock.set_protocol(open_length_check=True, package_length_type="N",
                          package_length_offset=0, package_body_offset=4)
        got = []
        while packet := await sock.recv_packet():
            got.append(packet)
        return got

    assert run(collect) == expected
    assert reap(pid) == (0, 0)


def _half_packet(w: Process) -> None:
    w.write(_frame(b"whole") + _frame(b"cut short")[:7])


def test_end_of_file_inside_a_packet_is_a_packet_error() -> None:
    p = Process(_half_packet, pipe_type=1)
    pid = p.start()
    assert reap(pid) == (0, 0)

    async def go() -> None:
        sock = p.export_socket()
        sock.set_protocol(open_length_check=True)
        assert await sock.recv_packet() == _frame(b"whole")
        with pytest.raises(PacketError, match="end of file"):
            await sock.recv_packet()

    run(go)


def test_recv_packet_needs_a_protocol_on_stream_but_not_on_dgram() -> None:
    s = Process(lambda w: None, pipe_type=1)

    async def stream() -> None:
        with pytest.raises(IPCError, match="set_protocol"):
            await s.export_socket().recv_packet()

    run(stream)
    d = Process(lambda w: w.write(b"one message"), pipe_type=2)
    pid = d.start()
    assert run(lambda: d.export_socket().recv_packet()) == b"one message"
    assert reap(pid) == (0, 0)


def _slow_writer(w: Process) -> None:
    w.write(b"abc")
    w.read()  # the master's go-ahead
    w.write(b"defgh")


def test_peek_leaves_bytes_and_recv_all_waits_for_exactly_size() -> None:
    p = Process(_slow_writer, pipe_type=1)
    pid = p.start()

    async def go() -> bytes:
        sock = p.export_socket()
        while not sock.peek():
            await asyncio.sleep(0.01)
        assert sock.peek(2) == b"ab"
        assert sock.peek() == b"abc"
        assert await sock.send_all(b"go") == 2
        return await sock.recv_all(8)

    assert run(go) == b"abcdefgh"
    assert reap(pid) == (0, 0)

    async def at_eof() -> None:
        sock = p.export_socket()
        assert sock.peek() == b""
        assert await sock.recv_all(4) == b""
        for bad, exc in ((0, ValueError), ("4", TypeError)):
            with pytest.raises(exc):
                await sock.recv_all(bad)  # type: ignore[arg-type]
            with pytest.raises(exc):
                sock.peek(bad)  # type: ignore[arg-type]

    run(at_eof)
