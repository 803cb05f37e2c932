"""Untrusted input: garbage on the collector's socket is counted and skipped, never a crash."""

from __future__ import annotations

import os
import socket

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ipccore.monitor.collector import MAX_LINE, Collector
from ipccore.monitor.emitter import SocketEmitter
from tests.monitor.helpers import (
    Collectors,
    collect,
    collectors_fixture,  # noqa: F401  (the `collectors` fixture)
    fork_writer,
    of_kind,
)

GOOD = b'{"v":1,"seq":0,"ts":1.5,"pid":0,"kind":"timer.fire","timer":9}\n'
GARBAGE = [
    b"not json\n",
    b"{\"v\":1\n",
    b"[1,2,3]\n",
    b"\xff\xfe\x00\x01binary\n",
    b'{"v":2,"ts":1,"pid":1,"kind":"timer.fire"}\n',
    b'{"v":1,"ts":"x","pid":1,"kind":"timer.fire"}\n',
    b'{"v":1,"ts":1,"pid":-5,"kind":"timer.fire"}\n',
    b'{"v":1,"ts":1,"pid":1,"kind":"evil.kind"}\n',
    b'{"v":1,"ts":1,"pid":1,"kind":"monitor.end","code":0}\n',
    b'{"v":1,"ts":1,"pid":1,"kind":"pipe.write","nbytes":"many"}\n',
    b'{"v":1,"ts":1,"pid":1,"kind":"pipe.write","nested":{"a":1}}\n',
    b"[" * 100_000 + b"\n",
    b"A" * (MAX_LINE * 3) + b"\n",
    b"\n",
]


def _raw_writer(path: str, payload: bytes, *, tail: bytes = b"") -> int:
    def body(em: SocketEmitter) -> None:
        assert em._sock is not None
        em._sock.setblocking(True)
        em._sock.sendall(payload + GOOD + tail)
    return fork_writer(path, body, close=False)


async def test_garbage_is_counted_and_the_good_line_still_arrives(collectors: Collectors) -> None:
    collector = await collectors()
    pid = _raw_writer(str(collector.path), b"".join(GARBAGE), tail=b'{"v":1,"ts":1')
    events = await collect(collector, pid)
    await collector.close()
    fired = of_kind(events, "timer.fire")
    assert [(e.pid, e.get("timer")) for e in fired] == [(pid, 9)]
    assert collector.invalid == len(GARBAGE) + 1  # + the peer closing mid-line
    reported = sum(e.get("count") for e in of_kind(events, "monitor.invalid"))
    assert reported == collector.invalid
    reasons = {e.get("reason") for e in of_kind(events, "monitor.invalid")}
    assert "line too long" in reasons
    assert "peer closed mid-line" in reasons


@given(st.lists(st.binary(max_size=300), min_size=1, max_size=20))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
async def test_random_bytes_never_crash_the_collector(chunks: list[bytes]) -> None:
    collector = Collector()
    await collector.start()
    try:
        payload = b"\n".join(chunks) + b"\n"
        pid = _raw_writer(str(collector.path), payload)
        events = await collect(collector, pid)
    finally:
        await collector.close()
    assert of_kind(events, "timer.fire"), "a good line after garbage must still arrive"
    assert events[-1].kind == "monitor.end"


async def test_a_peer_that_connects_and_closes_at_once(collectors: Collectors) -> None:
    collector = await collectors()

    def body(em: SocketEmitter) -> None:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(str(collector.path))
        s.send(b'{"v":1,"ts":1,"pid":1,"kind":"timer')
        s.close()
        em.emit("timer.fire", {"timer": 3})

    pid = fork_writer(str(collector.path), body)
    events = await collect(collector, pid)
    await collector.close()
    assert [e.get("timer") for e in of_kind(events, "timer.fire")] == [3]
    assert collector.invalid == 1
    assert os.path.exists(collector.path.parent) is False
