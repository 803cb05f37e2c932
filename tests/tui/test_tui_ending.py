"""SIGTERM and SIGHUP end ``python -m tui`` as ``q`` does: on a real terminal (a pty), the
watched program is stopped, nothing is left in the temp dir, the terminal is given back,
and the exit status names the signal."""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.core.helpers import gone
from tests.faults.faultkit import deadline_until

PROGRAM = (
    "import os, sys, time\n"
    "with open(sys.argv[1] + '.tmp', 'w') as f:\n"
    "    f.write(str(os.getpid()))\n"
    "os.rename(sys.argv[1] + '.tmp', sys.argv[1])\n"
    "time.sleep(600)\n"
)
LEAVE_ALT_SCREEN = b"\x1b[?1049l"


class Terminal:
    """A pty whose output is read all the time (a full pty would block the app's writes)."""

    def __init__(self, columns: int, lines: int) -> None:
        self.master, self.slave = pty.openpty()
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
        self.output = bytearray()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # EIO: every slave end is closed
                return
            if not chunk:
                return
            self.output += chunk

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.slave)
        self._reader.join(timeout=10)
        with contextlib.suppress(OSError):
            os.close(self.master)


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A temp dir of its own (short: the collector's socket path must fit AF_UNIX)."""
    path = Path(tempfile.mkdtemp(prefix="end-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["TERM", "HUP"])
def test_an_ending_signal_quits_like_q(short_tmp: Path, signum: signal.Signals) -> None:
    pidfile = short_tmp / "watched.pid"
    env = dict(os.environ, TMPDIR=str(short_tmp), TERM="xterm-256color")
    env.pop("IPCCORE_MONITOR", None)
    term = Terminal(100, 30)
    monitor = subprocess.Popen(
        [sys.executable, "-m", "tui", "--run", "--", sys.executable, "-c", PROGRAM,
         str(pidfile)],
        stdin=term.slave, stdout=term.slave, stderr=term.slave, env=env,
        start_new_session=True,
    )
    watched = 0
    try:
        deadline_until(pidfile.exists, 60, "the watched program to start")
        watched = int(pidfile.read_text())
        assert any(p.name.startswith("ipcscope-") for p in short_tmp.iterdir())
        shown = len(term.output)
        monitor.send_signal(signum)
        status = monitor.wait(timeout=60)
    finally:
        if monitor.poll() is None:
            monitor.kill()
            monitor.wait()
        term.close()
        if watched and not gone(watched):
            os.kill(watched, signal.SIGKILL)
    assert status == 128 + signum
    deadline_until(lambda: gone(watched), 10, "the watched program to end")
    assert sorted(p.name for p in short_tmp.iterdir()) == ["watched.pid"]
    if signum == signal.SIGTERM:
        # The terminal is still there: it gets its main screen back.
        assert LEAVE_ALT_SCREEN in term.output[shown:]
