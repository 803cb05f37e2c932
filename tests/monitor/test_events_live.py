"""Live sources end to end: a real ipccore program under a collector, commands back."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from ipccore.errors import CommandRefused
from ipccore.keys import fresh_key
from ipccore.monitor.live import AttachSource, LiveSource
from ipcevents.events import Event
from ipcevents.source import PushQueue, SendSignal, WritePipe

ECHO = textwrap.dedent("""
    import sys
    from ipccore import Process

    def child(w):
        data = w.read()
        w.write(b"echo:" + data)

    p = Process(child)
    p.use_queue(int(sys.argv[1]))
    p.start()
    print("ready", p.pid, flush=True)
    print(p.read().decode(errors="replace"), flush=True)
    print("popped", p.pop().decode(), flush=True)
    Process.wait()
    p.free_queue()
    sys.exit(3)
""")

BLOCKED = textwrap.dedent("""
    import sys
    from ipccore import Process

    p = Process(lambda w: w.read())
    p.use_queue(int(sys.argv[1]))
    p.start()
    print("ready", flush=True)
    r = Process.wait()
    print("reaped", r, flush=True)
    p.read()
""")


class Stream:
    """Reads a source's events, remembering them all."""

    def __init__(self, source: LiveSource) -> None:
        self.it = source.events().__aiter__()
        self.seen: list[Event] = []

    async def until(self, pred: Callable[[Event], bool], timeout: float = 20.0) -> Event:
        """The first event (already seen or next) that matches."""
        import asyncio

        for event in self.seen:
            if pred(event):
                return event

        async def go() -> Event:
            while True:
                event = await self.it.__anext__()
                self.seen.append(event)
                if pred(event):
                    return event
        return await asyncio.wait_for(go(), timeout)

    async def rest(self, timeout: float = 20.0) -> list[Event]:
        import asyncio

        async def go() -> None:
            async for event in self.it:
                self.seen.append(event)
        await asyncio.wait_for(go(), timeout)
        return self.seen


def _script(tmp_path: Path, text: str) -> str:
    path = tmp_path / "prog.py"
    path.write_text(text)
    return str(path)


async def _started(tmp_path: Path, program: str, key: int) -> tuple[LiveSource, Path]:
    """A live source running ``program`` with ``key``, and its collector's private dir."""
    source = LiveSource([sys.executable, _script(tmp_path, program), str(key)], title="prog")
    await source.start()
    assert source.collector is not None
    return source, source.collector.path.parent


async def test_commands_reach_a_real_program(tmp_path: Path) -> None:
    key = fresh_key()
    source, private_dir = await _started(tmp_path, ECHO, key)
    assert source.process is not None
    try:
        s = Stream(source)
        hello = await s.until(lambda e: e.kind == "proc.hello" and e.get("role") == "child")
        child = hello.pid
        await s.until(lambda e: e.kind == "queue.open")
        for pid in (0, 1, -5, os.getpid(), os.getppid()):
            with pytest.raises(CommandRefused):
                await source.send(SendSignal(pid, signal.SIGTERM))
        with pytest.raises(CommandRefused, match="not opened"):
            await source.send(PushQueue(key + 1, b"x"))
        with pytest.raises(CommandRefused, match="pipe"):
            await source.send(WritePipe(source.process.pid, b"x"))
        with pytest.raises(ValueError, match="signal number"):
            await source.send(SendSignal(child, 0))

        await source.send(WritePipe(child, b"hi \xff"))
        reply = await s.until(lambda e: e.kind == "pipe.read" and e.pid != child)
        assert reply.get("preview") == "echo:hi \\xff"
        await source.send(PushQueue(key, b"from the monitor", mtype=1))
        events = await s.rest()
    finally:
        await source.stop()
    injected = [e for e in events if e.kind == "pipe.write" and e.get("via") == "monitor"]
    assert [(e.pid, e.get("to"), e.get("nbytes")) for e in injected] == [(os.getpid(), child, 4)]
    child_read = [e for e in events if e.kind == "pipe.read" and e.pid == child]
    assert [e.get("preview") for e in child_read] == ["hi \\xff"]
    pops = [e for e in events if e.kind == "queue.pop"]
    assert [e.get("preview") for e in pops] == ["from the monitor"]
    pushed = [e for e in events if e.kind == "queue.push" and e.get("via") == "monitor"]
    assert [(e.get("key"), e.get("mtype"), e.get("nbytes")) for e in pushed] == [(key, 1, 16)]
    commands = [e for e in events if e.kind == "monitor.command"]
    assert sum(1 for e in commands if not e.get("ok")) == 7
    assert sum(1 for e in commands if e.get("ok")) == 2
    assert events[-1].kind == "monitor.end"
    assert events[-1].get("code") == 3
    assert source.returncode == 3
    assert not private_dir.exists()


async def test_signal_to_a_child_of_the_tree(tmp_path: Path) -> None:
    key = fresh_key()
    source = LiveSource([sys.executable, _script(tmp_path, BLOCKED), str(key)], title="b")
    await source.start()
    try:
        s = Stream(source)
        hello = await s.until(lambda e: e.kind == "proc.hello" and e.get("role") == "child")
        await source.send(SendSignal(hello.pid, signal.SIGKILL))
        sent = await s.until(lambda e: e.kind == "signal.send" and e.get("via") == "monitor")
        assert (sent.get("to"), sent.get("name")) == (hello.pid, "SIGKILL")
        reap = await s.until(lambda e: e.kind == "proc.reap")
        assert reap.get("child") == hello.pid
        assert reap.get("signal") == signal.SIGKILL
    finally:
        await source.stop()


async def test_stop_leaves_nothing_behind(tmp_path: Path) -> None:
    """The program blocks forever: stop() must end it, its child, and its queue."""
    key = fresh_key()
    source, private_dir = await _started(tmp_path, BLOCKED, key)
    try:
        s = Stream(source)
        await s.until(lambda e: e.kind == "proc.hello" and e.get("role") == "child")
        await s.until(lambda e: e.kind == "queue.open")
    finally:
        await source.stop()
    await source.stop()
    assert not private_dir.exists()
    assert source.returncode is not None
    out = subprocess.run(["ipcs", "-q"], capture_output=True, text=True, check=False).stdout
    assert f"{key:#010x}" not in out


async def test_attach_source_refuses_a_shared_directory() -> None:
    source = AttachSource("/tmp/events.sock")
    with pytest.raises(ValueError, match="0700"):
        await source.start()


def test_record_cli_passes_output_and_exit_status(tmp_path: Path) -> None:
    script = _script(tmp_path,
                     "from ipccore import Process\nprint('hello out')\nraise SystemExit(7)\n")
    rec = tmp_path / "r.ndjson"
    result = subprocess.run(
        [sys.executable, "-m", "ipccore", "record", script, "-o", str(rec)],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 7
    assert "hello out" in result.stdout
    lines = rec.read_text().splitlines()
    kinds = [Event.from_json(x).kind for x in lines]
    assert "proc.hello" in kinds
    assert "io.stdout" in kinds
    assert kinds[-1] == "monitor.end"
    shown = subprocess.run([sys.executable, "-m", "ipccore", "replay", str(rec)],
                           capture_output=True, text=True, timeout=60, check=True).stdout
    assert "hello out" in shown


MONITOR = textwrap.dedent("""
    import asyncio, sys
    from ipccore.monitor.live import LiveSource

    async def main():
        source = LiveSource([sys.executable, sys.argv[1], sys.argv[2]], title="orphan")
        await source.start()
        async for e in source.events():
            if e.kind == "proc.hello" and e.get("role") == "child":
                print(source.process.pid, e.pid, flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())
""")


def test_the_program_dies_with_the_monitor(tmp_path: Path) -> None:
    """SIGKILL the monitor: PR_SET_PDEATHSIG ends the program, which removes its queue."""

    key = fresh_key()
    program = _script(tmp_path, BLOCKED)
    monitor = tmp_path / "monitor.py"
    monitor.write_text(MONITOR)
    mon = subprocess.Popen([sys.executable, str(monitor), program, str(key)],
                           stdout=subprocess.PIPE, text=True)
    try:
        line = mon.stdout.readline() if mon.stdout else ""
        top, child = (int(x) for x in line.split())
    finally:
        mon.kill()
        mon.wait(timeout=20)
        if mon.stdout:
            mon.stdout.close()
    gone, alive = psutil.wait_procs(
        [p for p in (_proc(top), _proc(child)) if p is not None], timeout=20)
    assert not alive, f"still running after the monitor died: {alive}"
    del gone
    out = subprocess.run(["ipcs", "-q"], capture_output=True, text=True, check=False).stdout
    assert f"{key:#010x}" not in out


def _proc(pid: int) -> psutil.Process | None:
    try:
        return psutil.Process(pid)
    except psutil.NoSuchProcess:
        return None
