"""Replay: same events every time, broken files reported where they break, no commands."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from ipccore.errors import CommandRefused
from ipccore.monitor.cli import format_event, replay
from ipccore.monitor.emitter import SocketEmitter
from ipcevents.events import Event, printable
from ipcevents.replay import ReplaySource
from ipcevents.source import SendSignal
from tests.monitor.helpers import (
    Collectors,
    collect,
    collectors_fixture,  # noqa: F401  (the `collectors` fixture)
    fork_writer,
)


async def _record(collectors: Collectors, tmp_path: Path) -> tuple[Path, list[Event]]:
    path = tmp_path / "rec.ndjson"
    collector = await collectors(record=path)

    def body(em: SocketEmitter) -> None:
        em.emit("proc.hello", {"role": "master", "ppid": 1, "name": "t"})
        for i in range(50):
            em.emit("pipe.write", {"fd": 3, "to": 9, "nbytes": 4, "via": "pipe"},
                    b"\xff\x1b[2J" + bytes([i]))
        em.emit("io.stdout", {"line": "printed \x1b]0;title\x07 text"})

    pid = fork_writer(str(collector.path), body)
    events = await collect(collector, pid)
    await collector.close()
    return path, events


async def _all(source: ReplaySource) -> list[Event]:
    await source.start()
    out = [e async for e in source.events()]
    await source.stop()
    return out


async def test_replay_yields_exactly_what_was_served(collectors: Collectors,
                                                     tmp_path: Path) -> None:
    path, served = await _record(collectors, tmp_path)
    first = await _all(ReplaySource(path))
    second = await _all(ReplaySource(path))
    assert first == served
    assert second == served
    assert path.read_text() == "".join(e.to_json() + "\n" for e in served)


async def test_truncated_recording_reports_the_line(collectors: Collectors, tmp_path: Path) -> None:
    path, served = await _record(collectors, tmp_path)
    data = path.read_bytes()
    cut = tmp_path / "cut.ndjson"
    cut.write_bytes(data[: len(data) - 7])
    source = ReplaySource(cut)
    got = await _all(source)
    assert got[:-1] == served[:-1]
    assert got[-1].kind == "monitor.invalid"
    assert got[-1].get("line") == len(served)
    assert source.error is not None
    assert source.error.line == len(served)


async def test_corrupted_line_in_the_middle(collectors: Collectors, tmp_path: Path) -> None:
    path, served = await _record(collectors, tmp_path)
    lines = path.read_bytes().splitlines(keepends=True)
    lines[4] = b'{"v":1,"seq":5,"ts":"soon","pid":1,"kind":"x"}\n'
    bad = tmp_path / "bad.ndjson"
    bad.write_bytes(b"".join(lines))
    source = ReplaySource(bad)
    got = await _all(source)
    assert got[:4] == served[:4]
    assert len(got) == 5
    assert got[-1].get("line") == 5


async def test_realtime_pace_follows_the_recorded_times(tmp_path: Path) -> None:
    path = tmp_path / "paced.ndjson"
    events = [Event(i + 1, 1000.0 + 0.15 * i, 7, "timer.fire", {"timer": i}) for i in range(3)]
    path.write_text("".join(e.to_json() + "\n" for e in events))
    t0 = time.monotonic()
    got = await _all(ReplaySource(path, rate=1))
    took = time.monotonic() - t0
    assert got == events
    assert 0.29 <= took < 5.0


async def test_a_recording_takes_no_commands(collectors: Collectors, tmp_path: Path) -> None:
    path, _ = await _record(collectors, tmp_path)
    source = ReplaySource(path)
    with pytest.raises(CommandRefused, match="recording cannot be changed"):
        await source.send(SendSignal(1234, 15))


@pytest.mark.parametrize("rate", [-1, float("nan"), float("inf"), "fast", True])
def test_bad_rate_is_a_value_error(tmp_path: Path, rate: object) -> None:
    with pytest.raises(ValueError, match="rate"):
        ReplaySource(tmp_path / "x", rate=rate)  # type: ignore[arg-type]


async def test_replay_cli_prints_untrusted_text_safely(
    collectors: Collectors, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    path, served = await _record(collectors, tmp_path)
    out_path = tmp_path / "out.txt"
    with open(out_path, "w") as out:
        assert replay(str(path), out) == 0
    text = out_path.read_text()
    assert "\x1b" not in text
    assert "\x07" not in text
    assert len(text.splitlines()) == len(served)
    assert "pipe.write" in text
    assert "\\x1b]0;title\\x07" in text


def test_format_event_relative_time_and_escapes() -> None:
    e = Event(3, 101.5, 42, "io.stdout", {"line": "a\x1bb"})
    assert format_event(e, 100.0).split()[:3] == ["+", "1.500", "42"] or \
        format_event(e, 100.0).startswith("+   1.500")
    assert "\x1b" not in format_event(e, 100.0)
    assert printable("ok") == "ok"


def _spaced(path: Path, n: int, gap: float) -> list[Event]:
    events = [Event(i + 1, 1000.0 + gap * i, 7, "timer.fire", {"timer": i}) for i in range(n)]
    path.write_text("".join(e.to_json() + "\n" for e in events))
    return events


async def test_rate_scales_the_recorded_timing(tmp_path: Path) -> None:
    events = _spaced(tmp_path / "r.ndjson", 4, 1.0)  # 3 s as recorded
    t0 = time.monotonic()
    got = await _all(ReplaySource(tmp_path / "r.ndjson", rate=10))
    took = time.monotonic() - t0
    assert got == events
    assert 0.29 <= took < 2.0  # 0.3 s at rate 10: well under the recorded 3 s


async def test_rate_changes_while_playing(tmp_path: Path) -> None:
    events = _spaced(tmp_path / "r.ndjson", 6, 10.0)  # 50 s as recorded
    source = ReplaySource(tmp_path / "r.ndjson", rate=1)
    assert source.total is None
    await source.start()
    assert source.total == 6
    got = []
    t0 = time.monotonic()
    async for event in source.events():
        got.append(event)
        if len(got) == 1:
            source.set_rate(0)  # as fast as possible from here on
    assert got == events
    assert time.monotonic() - t0 < 5.0
    with pytest.raises(ValueError, match="rate"):
        source.set_rate(-2)


async def test_a_paused_replay_yields_nothing_until_resumed(tmp_path: Path) -> None:
    events = _spaced(tmp_path / "r.ndjson", 50, 0.001)
    source = ReplaySource(tmp_path / "r.ndjson")
    got: list[Event] = []

    async def consume() -> None:
        async for event in source.events():
            got.append(event)
            if len(got) == 10:
                source.pause()

    task = asyncio.create_task(consume())
    deadline = time.monotonic() + 10
    while len(got) < 10 and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert source.paused
    await asyncio.sleep(0.3)
    assert len(got) == 10
    source.resume()
    await asyncio.wait_for(task, 10)
    assert got == events


async def test_stop_ends_a_paused_replay(tmp_path: Path) -> None:
    _spaced(tmp_path / "r.ndjson", 5, 0.001)
    source = ReplaySource(tmp_path / "r.ndjson")
    source.pause()
    task = asyncio.create_task(_all(source))
    await asyncio.sleep(0.1)
    await source.stop()
    assert await asyncio.wait_for(task, 5) == []
