"""The benchmark cases, one module per family; :func:`all_cases` lists them in run order."""

from __future__ import annotations

import importlib

from bench.harness import Case


def missing(module: str, *names: str) -> str | None:
    """Why ``module.names`` cannot be used yet, or None when they all exist.

    The core, the monitor and the UI are written in parallel with the benchmarks, so a
    variant whose code is not there yet is reported as ``n/a`` instead of failing the run.
    """
    try:
        mod = importlib.import_module(module)
    except Exception as exc:  # any import failure means "not available"
        return f"{module} not importable ({type(exc).__name__})"
    for name in names:
        if not hasattr(mod, name):
            return f"{module}.{name} not available"
    return None


def all_cases(quick: bool) -> list[Case]:
    """Every case, in the order they run and appear in the report."""
    from bench.cases import coroutine, monitor, pipe, queue, signal, spawn, ui

    return [
        *pipe.cases(),
        *coroutine.cases(),
        *queue.cases(),
        *signal.cases(),
        *spawn.cases(),
        *monitor.cases(),
        *ui.cases(quick),
    ]
