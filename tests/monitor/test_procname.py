"""Process names as ps shows them: the script or module, never a cut interpreter path."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ipcevents.procname import is_interpreter, own_ps_name, ps_name


@pytest.mark.parametrize(
    ("argv", "name"),
    [
        (["/work/main/.venv/bin/python", "prog.py", "--fast"], "prog.py"),
        (["python3", "-u", "-X", "dev", "/home/me/tools/prog.py"], "prog.py"),
        (["python3.11", "-W", "error", "-m", "tui", "--demo", "pipe"], "python3.11 -m tui"),
        (["python", "-mipccore", "demo"], "python -m ipccore"),
        (["python", "-c", "print(1)"], "python -c"),
        (["python"], "python"),
        (["/usr/bin/sleep", "10"], "sleep"),
        (["php worker 3"], "php worker 3"),  # a title set with name()
        (["/venv/bin/python -m ipccore demo pipe --sp"], "python -m ipccore"),  # setproctitle
        ([], "comm"),
    ],
)
def test_ps_name(argv: list[str], name: str) -> None:
    assert ps_name(argv, "comm") == name


def test_interpreter_names() -> None:
    assert all(map(is_interpreter, ["python", "python3", "Python3.11"]))
    assert not any(map(is_interpreter, ["python -m tui", "pythonista", "prog.py"]))


def test_own_name_of_a_real_script(tmp_path: Path) -> None:
    script = tmp_path / "prog.py"
    script.write_text("from ipcevents.procname import own_ps_name\nprint(own_ps_name())\n")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert out.stdout.strip() == "prog.py"
    assert own_ps_name()  # this very process: pytest's command line, whatever it is
