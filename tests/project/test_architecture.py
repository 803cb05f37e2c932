"""The shape of the project, checked: the core is headless and the UI never forks.

Like harlequin's import contract: import in a fresh interpreter and look at sys.modules,
and read the UI's source for calls it must never make.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def _modules_after_import(module: str) -> set[str]:
    code = f"import sys, {module}; print('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    return set(out.split())


def test_core_imports_no_ui() -> None:
    loaded = _modules_after_import("ipccore, ipccore.monitor, ipccore.monitor.events")
    ui = {m for m in loaded if m.split(".")[0] in {"textual", "rich", "tui"}}
    assert not ui, f"ipccore pulled in UI modules: {sorted(ui)[:5]}"


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
