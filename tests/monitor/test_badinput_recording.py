"""Bad input, recordings: a file cut anywhere, or with any byte corrupted, replays every
good event before the break and says on which line it broke (ReplaySource and
``python -m ipccore replay``); never a crash, never silent loss.

Complements ``test_events_replay`` (one cut, one bad line) with every cut point, binary
garbage, an empty file, a huge line and the CLI's partial output.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ipccore.errors import RecordingError
from ipcevents.events import Event
from ipcevents.replay import ReplaySource, read_recording
from tests.tui.helpers import recording

SOURCE = [e for e in recording("pipe") if e.kind != "monitor.end"][:40]
LINES = [(e.to_json() + "\n").encode() for e in SOURCE]
BLOB = b"".join(LINES)
STARTS = [sum(len(x) for x in LINES[:i]) for i in range(len(LINES) + 1)]


def _replay(path: Path) -> tuple[list[Event], ReplaySource]:
    async def run() -> tuple[list[Event], ReplaySource]:
        source = ReplaySource(path)
        await source.start()
        events = [e async for e in source.events()]
        await source.stop()
        return events, source
    return asyncio.run(run())


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(0, len(BLOB)))
def test_cut_anywhere_replays_the_whole_lines_and_names_the_broken_one(
    tmp_path: Path, cut: int
) -> None:
    path = tmp_path / "cut.ndjson"
    path.write_bytes(BLOB[:cut])
    whole = max(i for i, s in enumerate(STARTS) if s <= cut)
    events, source = _replay(path)
    if cut in STARTS:
        assert events == SOURCE[:whole]
        assert source.error is None
    else:
        assert events[:-1] == SOURCE[:whole]
        assert events[-1].kind == "monitor.invalid"
        assert events[-1].get("line") == whole + 1
        assert source.error is not None
        assert source.error.line == whole + 1


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pos=st.integers(0, len(BLOB) - 1), byte=st.integers(0, 255))
def test_one_corrupted_byte_never_crashes_and_never_hides_the_break(
    tmp_path: Path, pos: int, byte: int
) -> None:
    data = bytearray(BLOB)
    data[pos] = byte
    path = tmp_path / "bad.ndjson"
    path.write_bytes(bytes(data))
    line_of_pos = max(i for i, s in enumerate(STARTS) if s <= pos)
    events, source = _replay(path)
    assert events[: min(line_of_pos, len(events))] == SOURCE[: min(line_of_pos, len(events))]
    if source.error is not None:
        assert events[-1].kind == "monitor.invalid"
        assert source.error.line >= line_of_pos + 1 or byte == ord("\n")
    else:
        assert len(events) == len(SOURCE) or byte == ord("\n")


@pytest.mark.parametrize(
    ("content", "line"),
    [
        (b"", None),
        (b"\x00\xff\xfe binary \x89PNG\r\n\x1a\n", 1),
        (LINES[0] + b"\x00" * 100 + b"\n", 2),
        (LINES[0] + b"{" * (2 << 20) + b"\n", 2),
        (LINES[0] + b"[" * 100_000 + b"\n", 2),
        (LINES[0] + b'{"v":1,"seq":2,"ts":1,"pid":1,"kind":"evil.kind"}\n', 2),
        (LINES[0] + b'{"v":1,"seq":2,"ts":1,"pid":1,"kind":"pipe.write","x":{"a":1}}\n', 2),
    ],
    ids=["empty", "binary", "nuls", "huge-line", "deep-nesting", "unknown-kind", "nested"],
)
def test_garbage_recordings_say_where(tmp_path: Path, content: bytes, line: int | None) -> None:
    path = tmp_path / "g.ndjson"
    path.write_bytes(content)
    if line is None:
        assert list(read_recording(path)) == []
        return
    with pytest.raises(RecordingError) as info:
        list(read_recording(path))
    assert info.value.line == line
    assert f"line {line}" in str(info.value)


def test_replay_cli_prints_what_it_could_read_then_where_it_broke(tmp_path: Path) -> None:
    path = tmp_path / "cut.ndjson"
    path.write_bytes(BLOB[: STARTS[10] + 5])
    result = subprocess.run([sys.executable, "-m", "ipccore", "replay", str(path)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1
    assert len(result.stdout.splitlines()) == 10
    assert "line 11" in result.stderr
    assert "truncated" in result.stderr
    assert result.stderr.count("\n") == 1
