"""The shape of the project, checked: the core is headless and the UI never forks.

Like harlequin's import contract: import in a fresh interpreter and look at sys.modules,
and read the UI's source for calls it must never make.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


# Records who registers a fork hook, then imports the module(s) and prints what loaded.
_PROBE = """
import json, os, sys
hooks = []
_register = os.register_at_fork
def _spy(**kw):
    hooks.extend(getattr(f, "__module__", "?") for f in kw.values())
    _register(**kw)
os.register_at_fork = _spy
out, err = sys.stdout, sys.stderr
import {modules}
print(json.dumps({{"modules": sorted(sys.modules), "hooks": hooks,
                   "stdout": type(sys.stdout).__module__, "teed": sys.stdout is not out}}))
"""


def _import_in_fresh_interpreter(modules: str, env: dict[str, str] | None = None,
                                 ) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE.format(modules=modules)], capture_output=True,
        text=True, check=True, cwd=ROOT, env=env, timeout=60,
    )
    out: dict[str, Any] = json.loads(result.stdout.splitlines()[-1])
    return out


def _modules_after_import(modules: str) -> set[str]:
    return set(_import_in_fresh_interpreter(modules)["modules"])


def test_core_imports_no_ui() -> None:
    loaded = _modules_after_import("ipccore, ipccore.monitor, ipcevents.events")
    ui = {m for m in loaded if m.split(".")[0] in {"textual", "rich", "tui"}}
    assert not ui, f"ipccore pulled in UI modules: {sorted(ui)[:5]}"


FORKER = {"sysv_ipc", "setproctitle", "ipccore.process", "ipccore.lifecycle",
          "ipccore.queue", "ipccore._trace", "ipccore.monitor.emitter"}
"""What only a program that forks needs (``_trace`` would attach to a monitor)."""


@pytest.mark.parametrize("modules", [
    "tui.app",
    "tui.__main__",
    "ipcevents.events, ipcevents.source, ipcevents.replay, ipcevents.fake",
])
def test_ui_and_vocabulary_load_no_forker(modules: str) -> None:
    probe = _import_in_fresh_interpreter(modules)
    loaded = FORKER & set(probe["modules"])
    assert not loaded, f"importing {modules} loaded {sorted(loaded)}"
    ours = [m for m in probe["hooks"] if m.split(".")[0] in {"ipccore", "ipcevents", "tui"}]
    assert not ours, f"importing {modules} registered fork hooks from {ours}"


def test_importing_ipccore_only_defines_names(tmp_path: Path) -> None:
    """Even with a monitor named in the environment, ``import ipccore`` attaches nothing,
    tees nothing and loads none of the runtime; the names load on first use."""
    env = dict(os.environ, IPCCORE_MONITOR=str(tmp_path / "nobody.sock"))
    probe = _import_in_fresh_interpreter("ipccore", env)
    loaded = FORKER & set(probe["modules"])
    assert not loaded, f"import ipccore loaded {sorted(loaded)}"
    assert probe["hooks"] == []
    assert not probe["teed"]
    probe = _import_in_fresh_interpreter("ipccore; ipccore.Process", env)
    assert {"ipccore.process", "ipccore._trace"} <= set(probe["modules"])


def _calls_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            base = node.value
            if isinstance(base, ast.Name):
                names.add(f"{base.id}.{node.attr}")
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_ui_never_forks_nor_touches_queues() -> None:
    forbidden = {"os.fork", "os.forkpty", "sysv_ipc", "multiprocessing", "ipccore.process"}
    offenders = {}
    for path in (ROOT / "tui").rglob("*.py"):
        bad = _calls_in(path) & forbidden
        if bad:
            offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert not offenders, f"the UI must not fork or use SysV queues directly: {offenders}"
