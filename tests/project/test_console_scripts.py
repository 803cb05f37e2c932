"""``pip install`` gives the console commands ``ipcscope`` and ``ipccore`` (pyproject's
``[project.scripts]``): run them from the environment the tests run in (CI's is fresh)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def script(name: str) -> Path:
    path = BIN / name
    if not path.is_file():
        pytest.fail(f"{path} is missing: the package is not installed with its console "
                    f"scripts (run pip install -e '.[test]' again)")
    return path


def test_ipcscope_is_python_m_tui() -> None:
    done = subprocess.run([str(script("ipcscope")), "--help"], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "--demo" in done.stdout
    assert "--replay" in done.stdout


def test_ipccore_is_python_m_ipccore() -> None:
    done = subprocess.run([str(script("ipccore")), "demo", "--list"], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    names = [line.split()[0] for line in done.stdout.splitlines() if line.strip()]
    assert {"pipe", "sibling", "coroutine", "queue", "signal"} <= set(names)


def test_unknown_command_fails_like_the_module() -> None:
    done = subprocess.run([str(script("ipccore")), "nonsense"], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 2
    assert "unknown command" in done.stderr
