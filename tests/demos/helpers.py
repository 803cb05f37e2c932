"""Run a demo as ``python -m ipccore demo ...`` and keep each output line with its time."""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent.parent
OWN = "[demo] "
DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class Transcript:
    """What one run printed: ``(seconds since launch, line)`` pairs, stderr, exit status."""

    pid: int
    lines: list[tuple[float, str]]
    stderr: str
    code: int

    @property
    def text(self) -> list[str]:
        return [line for _, line in self.lines]

    @property
    def seed(self) -> list[tuple[float, str]]:
        """The lines the seed prints too (not the demo's own ``[demo]`` lines)."""
        return [(t, line) for t, line in self.lines if not line.startswith(OWN)]

    @property
    def own(self) -> list[str]:
        return [line for _, line in self.lines if line.startswith(OWN)]


def run_demo(*args: str, timeout: float = 30.0) -> Transcript:
    """Run the demo, timestamping each line when it arrives (the demo flushes per line)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IPCCORE_")}
    start = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ipccore", "demo", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=env,
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    fd = proc.stdout.fileno()
    lines: list[tuple[float, str]] = []
    buf = b""
    deadline = start + timeout
    try:
        while True:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([fd], [], [], max(left, 0))
            if not ready:
                raise AssertionError(f"demo {args} still running after {timeout} s: {lines}")
            chunk = os.read(fd, 65536)
            now = time.monotonic() - start
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                lines.append((now, line.decode()))
        stderr = proc.stderr.read().decode()
        code = proc.wait(timeout=max(deadline - time.monotonic(), 1))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    assert buf == b"", f"unterminated last line: {buf!r}"
    return Transcript(proc.pid, lines, stderr, code)


def mask(line: str) -> str:
    """The line with pids and fds (every run of digits) replaced by ``N``."""
    return DIGITS.sub("N", line)


def assert_gone(pids: set[int]) -> None:
    """The demo reaped its children before it exited: none of them may still exist."""
    alive = []
    for pid in pids:
        try:
            p = psutil.Process(pid)
            alive.append(f"{pid} {p.status()} {p.cmdline()[:3]}")
        except psutil.NoSuchProcess:
            pass
    assert not alive, f"demo children left behind: {alive}"


def queue_keys() -> set[int]:
    """Keys of all SysV message queues on the machine."""
    with open("/proc/sysvipc/msg") as f:
        rows = f.read().splitlines()[1:]
    return {int(row.split()[0]) for row in rows if row.strip()}


SEED: dict[str, list[str]] = {
    # Copied verbatim from the printed output in ../shared/seed/swoole-process-ipc.zh.md.
    "pipe": [
        'Child 2076：来自 Master 的数据 - "2076，你好！"。',
        'Master：来自子进程 2076 的数据 - "发送给领导，来自 2076 的数据，通过管道 4 ！"',
        'Child 2077：来自 Master 的数据 - "2077，你好！"。',
        'Master：来自子进程 2077 的数据 - "发送给领导，来自 2077 的数据，通过管道 6 ！"',
    ],
    "sibling": [
        'Child 2102：接收到的数据 - "来自 2103 Hello World! ！"。',
        'Child 2102：接收到的数据 - "来自 2103 Hello Cat! ！"。',
        'Child 2102：接收到的数据 - "来自 2103 Hello King ！"。',
        'Child 2102：接收到的数据 - "来自 2103 Hello Leon ！"。',
        'Child 2102：接收到的数据 - "来自 2103 Hello Rose ！"。',
    ],
    "coroutine": [
        'Child 2062：来自 Master 的数据 - "2062，你好！"。',
        'Master：来自子进程 2062 的数据 - "发送给领导，来自 2062 的数据，通过管道 4 ！"',
        'Child 2063：来自 Master 的数据 - "2063，你好！"。',
        'Master：来自子进程 2063 的数据 - "发送给领导，来自 2063 的数据，通过管道 6 ！"',
    ],
    "queue": [
        'Child 2071：来自 Master 的数据 - "Hello World!"。',
        'Child 2070：来自 Master 的数据 - "Hello Cat!"。',
        'Child 2071：来自 Master 的数据 - "Hello King"。',
        'Child 2070：来自 Master 的数据 - "Hello Leon"。',
        'Child 2071：来自 Master 的数据 - "Hello Rose"。',
    ],
    "signal": [
        "PID:2044 kill -USR2 Master 2043.",
        "收到子进程 USR2 信号，结束所有子进程！",
        "PID=2044",
        "PID=2045",
    ],
}


def run_clean(*args: str, timeout: float = 30.0) -> Transcript:
    """:func:`run_demo` for a run that must succeed: exit code 0, nothing on stderr."""
    run = run_demo(*args, timeout=timeout)
    assert run.code == 0, run.stderr
    assert run.stderr == ""
    return run
