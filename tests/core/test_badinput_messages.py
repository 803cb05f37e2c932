"""Bad input, message bodies: 0 and 1 byte, exactly the limits, one over, 16 MiB,
non-UTF-8, NUL bytes, Rich-markup look-alikes, very long lines.

Through ``write``/``read`` (a real echo child), ``export_socket``, ``push``/``pop``, the
event codec and a real collector, and the UI state model. Each either arrives
byte-for-byte (and is previewed literally, escaped like ``backslashreplace``) or gets a
typed error at once: never a crash, a hang or a silent cut.
"""

from __future__ import annotations

import functools
import gc
import hashlib
from collections.abc import Iterator

import pytest

import ipccore
from ipccore import MODE_BALANCE, Process, _sysv, _trace
from ipccore._sockets import max_datagram
from ipccore.asocket import ExportedSocket
from ipccore.errors import MessageTooLarge
from ipccore.keys import fresh_key
from ipccore.monitor.collector import Collector
from ipccore.monitor.connection import encode
from ipccore.monitor.emitter import SocketEmitter
from ipcevents.events import PREVIEW_MAX, Event, preview
from tests.core.helpers import reap
from tests.core.queue_helpers import Recorder
from tests.monitor.helpers import collect, fork_writer, of_kind
from tui.state import MonitorState, apply
from tui.text import clip

TEXT_BOUND = 200
"""Longest log text the UI may build from one body (its own limit is 160 + prefix)."""

MiB = 1 << 20
MARKUP = "[bold red]boom[/] [/] [link=http://e.vil]x[/link] \x1b[2J\x1b[31m"
BODIES = {
    "one-byte": b"a",
    "nul": b"\x00",
    "nuls": b"a\x00b\x00" * 100,
    "non-utf8": b"\xff\xfe\xc3\x28 ok \x80",
    "markup": MARKUP.encode(),
    "long-line": b"L" * 200_000,
    "many-lines": b"line\n" * 20_000,
    "utf8-cut-at-64": "é".encode() * 40,
}


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    rec = Recorder()
    old, _trace.emitter = _trace.emitter, rec
    try:
        yield rec
    finally:
        _trace.emitter = old


def _echo(worker: Process) -> None:
    while msg := worker.read():
        worker.write(msg)


def _check_preview(data: bytes) -> None:
    """The wire line for ``data`` parses back with the escaped 64-byte preview and the
    real size, and the state model shows it literally, bounded, on one line."""
    line = encode(1234, "pipe.write", {"fd": 5, "to": 99, "nbytes": len(data), "via": "pipe"},
                  data)
    event = Event.from_json(line)
    assert line.isascii()
    assert event.get("preview") == data[:PREVIEW_MAX].decode("utf-8", "backslashreplace")
    assert event.get("nbytes") == len(data)
    state = apply(MonitorState(), Event(1, 1.0, 1234, event.kind, event.fields))
    text = state.log[-1].text
    assert "\n" not in text
    assert text.isprintable(), "control characters must be shown escaped"
    assert len(text) <= TEXT_BOUND
    assert clip(event.get("preview")[:20]) in text


@pytest.mark.parametrize("name", list(BODIES))
def test_pipe_round_trip_is_exact_and_previewed_literally(
    name: str, recorder: Recorder
) -> None:
    data = BODIES[name]
    p = Process(_echo)
    pid = p.start()
    try:
        assert p.write(data) == len(data)
        assert p.read() == data
    finally:
        del p
        assert reap(pid) == (0, 0)
    writes = [f for k, f, d in recorder.events if k == "pipe.write"]
    assert writes[0]["nbytes"] == len(data)
    _check_preview(data)


def test_pipe_limits_exactly_at_and_over_and_huge() -> None:
    """Empty data is a ValueError, the documented DGRAM maximum goes through whole, one
    byte more and 16 MiB raise MessageTooLarge at once; 16 MiB over STREAM arrives."""
    limit = max_datagram()
    p = Process(_echo)
    pid = p.start()
    try:
        with pytest.raises(ValueError, match="empty"):
            p.write(b"")
        with pytest.raises(ValueError, match="empty"):
            p.write("")
        exact = bytes(range(256)) * (limit // 256) + b"z" * (limit % 256)
        p.write(exact)
        assert p.read() == exact
        for size in (limit + 1, 16 * MiB):
            with pytest.raises(MessageTooLarge, match=str(limit)):
                p.write(b"x" * size)
        p.write(b"still fine")
        assert p.read() == b"still fine"
    finally:
        del p
        assert reap(pid) == (0, 0)

    def sink(worker: Process) -> None:
        h, n = hashlib.sha256(), 0
        while n < 16 * MiB and (chunk := worker.read()):
            h.update(chunk)
            n += len(chunk)
        worker.write(b"%d %s" % (n, h.hexdigest().encode()))

    huge = (b"\xff\x00[/]\n" * (16 * MiB // 6 + 1))[: 16 * MiB]
    s = Process(sink, pipe_type=1)
    spid = s.start()
    try:
        assert s.write(huge) == 16 * MiB
        assert s.read() == b"%d %s" % (16 * MiB, hashlib.sha256(huge).hexdigest().encode())
    finally:
        del s
        assert reap(spid) == (0, 0)


def test_export_socket_bodies_and_limits() -> None:
    limit = max_datagram()
    p = Process(_echo)
    pid = p.start()
    sock = p.export_socket()

    async def main(sock: ExportedSocket) -> None:
        assert await sock.send(b"") == 0
        for data in [*BODIES.values(), b"y" * limit]:
            assert await sock.send(data) == len(data)
            assert await sock.recv() == data
        with pytest.raises(MessageTooLarge):
            await sock.send(b"x" * (limit + 1))
        with pytest.raises(TypeError):
            await sock.send(123)  # type: ignore[arg-type]
        sock.close()

    try:
        ipccore.run(functools.partial(main, sock))
    finally:
        # Dropping the Process closes its pipe at once, exported socket or not (no
        # reference cycle waiting for the cyclic GC): the echo child sees end of file.
        gc.disable()
        try:
            del p, sock
            assert reap(pid) == (0, 0)
        finally:
            gc.enable()


@pytest.mark.parametrize("name", [n for n in BODIES if len(BODIES[n]) <= 8192])
def test_queue_bodies_round_trip(name: str, recorder: Recorder) -> None:
    data = BODIES[name]
    p = Process(lambda w: None, pipe_type=0)
    p.use_queue(fresh_key(), MODE_BALANCE)
    try:
        assert p.push(data) is True
        assert p.pop() == data
    finally:
        p.free_queue()
    pushes = [f for k, f, d in recorder.events if k == "queue.push"]
    assert pushes[0]["nbytes"] == len(data)
    _check_preview(data)


def test_queue_limits_exactly_at_and_over_and_huge() -> None:
    msgmax = _sysv.msgmax()
    p = Process(lambda w: None, pipe_type=0)
    p.use_queue(fresh_key(), MODE_BALANCE)
    try:
        with pytest.raises(ValueError, match="empty"):
            p.push(b"")
        exact = b"\xff" * msgmax
        assert p.push(exact) is True
        assert p.pop() == exact
        for size in (msgmax + 1, 16 * MiB):
            with pytest.raises(MessageTooLarge):
                p.push(b"x" * size)
        assert p.stat_queue() == {"queue_num": 0, "queue_bytes": 0}
    finally:
        p.free_queue()


async def test_collector_keeps_every_body_preview_and_skips_a_16_mib_line() -> None:
    """Real emitter to real collector: each body's preview arrives exactly; a 16 MiB
    line with no newline is counted as invalid, and the next good event still arrives."""
    collector = Collector()
    await collector.start()

    def body(em: SocketEmitter) -> None:
        for i, data in enumerate(BODIES.values()):
            em.emit("pipe.write", {"fd": 5, "to": i, "nbytes": len(data), "via": "pipe"}, data)
        em.close()
        raw = SocketEmitter(str(collector.path))
        assert raw._sock is not None
        raw._sock.setblocking(True)
        raw._sock.sendall(b"{" * (16 * MiB) + b"\n")
        raw._sock.sendall(encode(0, "timer.fire", {"timer": 77}, None))
        raw._sock.close()

    pid = fork_writer(str(collector.path), body, close=False)
    events = await collect(collector, pid, timeout=60)
    await collector.close()
    writes = sorted(of_kind(events, "pipe.write"), key=lambda e: e.get("to"))
    assert [e.get("preview") for e in writes] == [preview(d) for d in BODIES.values()]
    assert [e.get("nbytes") for e in writes] == [len(d) for d in BODIES.values()]
    assert [e.get("timer") for e in of_kind(events, "timer.fire")] == [77]
    assert collector.invalid >= 1
    assert any("too long" in e.get("reason") for e in of_kind(events, "monitor.invalid"))
