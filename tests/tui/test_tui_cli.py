"""``python -m tui`` as a user runs it: headless screenshots, help, argument errors, a crash."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import psutil
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


def test_screenshot_at_a_time_and_size(tmp_path: Path) -> None:
    """``--at 0`` and ``--size``: a screenshot of that size in its layout, taken without
    waiting for the end. (What it costs is a benchmark's business, and how far a replay
    got by a given moment depends on the machine: neither is asserted.)"""
    out = tmp_path / "early.svg"
    result = run_tui(
        "--replay", str(RECORDINGS / "pipe.ndjson"), "--screenshot", str(out),
        "--at", "0", "--size", "100x30",
    )
    assert result.returncode == 0, result.stderr
    text = svg_text(out)
    assert 'viewBox="0 0 1238 ' in text  # 100 columns
    assert "CPU%" in text  # 30 lines: one-line rows under their header


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


def _program_processes(monitor_pid: int) -> list[int]:
    """Live processes started under the monitor ``monitor_pid`` (they carry its pid in
    ``IPCCORE_PDEATHSIG``), found among all of our own processes."""
    found = []
    for proc in psutil.process_iter(["pid", "uids"]):
        try:
            if proc.info["uids"].real != os.getuid():
                continue
            ours = proc.environ().get("IPCCORE_PDEATHSIG") == str(monitor_pid)
            if ours and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc.pid)
        except (psutil.Error, OSError):
            continue
    return found


def test_an_error_in_a_widget_exits_non_zero_with_a_short_note(tmp_path: Path) -> None:
    """A widget that raises (injected from outside) ends the monitor with status 70, a
    short paragraph naming the error and a private report file, and nothing left running."""
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")}
    program = ROOT / "tests" / "programs" / "crashing_tui.py"
    proc = subprocess.Popen(
        [sys.executable, str(program), "--demo", "queue", "--screenshot",
         str(tmp_path / "never.svg"), "--at", "60"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    _out, raw = proc.communicate(timeout=90)
    err = " ".join(raw.split())
    assert proc.returncode == 70, raw
    assert "Traceback" not in err
    assert "RuntimeError: injected failure in QueuePanel.sync" in err
    assert "crashing_tui.py" in err  # where it failed
    assert len(raw.strip().splitlines()) <= 8, raw
    reports = list((tmp_path / "state" / "ipcscope").iterdir())
    assert len(reports) == 1
    assert str(reports[0]) in err
    assert stat.S_IMODE(reports[0].stat().st_mode) == 0o600
    assert stat.S_IMODE(reports[0].parent.stat().st_mode) == 0o700
    report = reports[0].read_text()
    assert "Traceback (most recent call last)" in report
    assert "failing_sync" in report
    assert not (tmp_path / "never.svg").exists()
    # The program tree is gone (psutil polls with a deadline); queues: the no_leaks fixture.
    deadline = time.monotonic() + 10
    while _program_processes(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _program_processes(proc.pid)


def test_help_is_written_for_users() -> None:
    """``--help``: what the monitor is, an example per mode, every line fits 80 columns."""
    result = run_tui("--help")
    assert result.returncode == 0
    text = result.stdout
    for example in ("--demo signal", "--demo playground", "ipccore record", "--replay run.ndjson",
                    "--run -- python3 prog.py", "--pid 12345",
                    "--attach /tmp/me/mon.sock", "IPCCORE_MONITOR=", "--screenshot out.svg"):
        assert example in text, example
    assert "lazily" not in text  # no internal docstring
    assert "EventSource" not in text
    assert max(len(line) for line in text.splitlines()) <= 80
