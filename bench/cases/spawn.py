"""Spawn: start a child that exits at once, and reap it; one op = one whole life cycle."""

from __future__ import annotations

import multiprocessing
import os
import time
from typing import Any

from bench.cases import missing
from bench.harness import Case, Runner, Variant
from bench.procs import children, expect_ok


def bare_fork() -> Runner:
    def run(n: int) -> float:
        with children() as kids:
            start = time.perf_counter()
            for _ in range(n):
                pid = os.fork()
                if pid == 0:
                    os._exit(0)
                kids.add(pid)
                expect_ok(kids.reap(pid), "forked child")
            return time.perf_counter() - start

    return run


def _noop() -> None:
    pass


def mp_fork() -> Runner:
    ctx = multiprocessing.get_context("fork")

    def run(n: int) -> float:
        start = time.perf_counter()
        for _ in range(n):
            proc = ctx.Process(target=_noop)
            proc.start()
            try:
                proc.join()
            finally:
                if proc.exitcode is None:
                    proc.kill()
                    proc.join()
            expect_ok(proc.exitcode or 0, "mp child")
            proc.close()
        return time.perf_counter() - start

    return run


def ipccore_spawn() -> Runner:
    """``Process(cb).start()`` + ``Process.wait()``, the default (DGRAM) pipe included."""

    def run(n: int) -> float:
        from ipccore import Process

        def callback(_worker: Any) -> None:
            return None

        with children() as kids:
            start = time.perf_counter()
            for _ in range(n):
                pid = kids.add(Process(callback).start())
                result = Process.wait()
                if result is None or result.pid != pid:
                    raise RuntimeError(f"Process.wait() returned {result!r}, not pid {pid}")
                kids.forget(pid)
                expect_ok(result.code, "ipccore child")
            return time.perf_counter() - start

    return run


# The case table: parallel data, the same shape in every case module.
def cases() -> list[Case]:
    core = missing("ipccore", "Process")
    return [
        Case(
            "spawn",
            "spawn: start + exit + wait",
            "spawn",
            (
                Variant("ipccore", ipccore_spawn(), core),
                Variant("os.fork", bare_fork()),
                Variant("mp.Process fork", mp_fork()),
            ),
            base="os.fork",
            n0=50,
        )
    ]
