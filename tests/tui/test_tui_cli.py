"""``python -m tui`` as a user runs it: headless screenshots, argument errors, startup time."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.tui.helpers import RECORDINGS

ROOT = Path(__file__).resolve().parent.parent.parent


def run_tui(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False,
    )


def svg_text(path: Path) -> str:
    return path.read_text().replace("&#160;", " ")


def test_screenshot_of_a_replay_after_it_ends(tmp_path: Path) -> None:
    out = tmp_path / "sibling.svg"
    result = run_tui("--replay", str(RECORDINGS / "sibling.ndjson"), "--screenshot", str(out))
    assert result.returncode == 0, result.stderr
    text = svg_text(out)
    assert "killed by SIGKILL" in text
    assert "5 msg" in text
    assert "finished" in text


def test_screenshot_at_a_time_and_size_is_fast(tmp_path: Path) -> None:
    out = tmp_path / "early.svg"
    start = time.monotonic()
    result = run_tui(
        "--replay", str(RECORDINGS / "pipe.ndjson"), "--screenshot", str(out),
        "--at", "0", "--size", "100x30",
    )
    elapsed = time.monotonic() - start
    assert result.returncode == 0, result.stderr
    assert out.stat().st_size > 1000
    # Interpreter start + imports + first frame + SVG export; generous on a loaded 2-core box.
    assert elapsed < 8, elapsed


@pytest.mark.parametrize(
    "args",
    [["--demo", "nope"], ["--speed", "0"], ["--size", "wide"], ["--replay", "a", "--demo", "pipe"]],
)
def test_bad_arguments_exit_2(args: list[str]) -> None:
    result = run_tui(*args)
    assert result.returncode == 2
    assert "error" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_recording_is_a_clear_message(tmp_path: Path) -> None:
    result = run_tui("--replay", str(tmp_path / "none.ndjson"))
    assert result.returncode == 2
    assert "no such recording" in result.stderr
