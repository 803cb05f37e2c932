"""``--trace``: strace's real output parsed into our events, recorded, replayed."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from ipccore.monitor.live import LiveSource
from ipccore.observe.strace import (
    STRING_MAX,
    TRACED_CALLS,
    StraceParser,
    first_string,
    split_args,
    unescape,
)
from ipcevents.replay import ReplaySource
from tests.monitor.observe_helpers import Watched, program

needs_strace = pytest.mark.skipif(shutil.which("strace") is None,
                                  reason="strace is not installed (.ci/run installs it)")


def test_split_and_unescape() -> None:
    assert split_args('3<pipe:[12]>, "a, \\"b\\"", 5') == ['3<pipe:[12]>', '"a, \\"b\\""', "5"]
    assert split_args("1</dev/null<char 1:3>>, {a=1, b=[2, 3]}, [110 => 0]") == [
        "1</dev/null<char 1:3>>", "{a=1, b=[2, 3]}", "[110 => 0]"]
    assert unescape('hi\\0\\377\\n\\t\\"q\\\\') == b'hi\x00\xff\n\t"q\\'
    assert unescape("\\0011") == b"\x011"
    assert first_string('{mtype=3, mtext="ab"...}') == b"ab"


def test_unfinished_and_resumed_calls_join() -> None:
    p = StraceParser(lambda ref, pid, w: 99)
    assert p.feed("7 1.5 read(3<pipe:[42]>,  <unfinished ...>") == []
    assert p.feed('8 1.6 write(4<pipe:[42]>, "hello", 5) = 5')[0].kind == "pipe.write"
    (read,) = p.feed('7 1.7 <... read resumed>"hello", 65536) = 5')
    assert (read.pid, read.kind, read.fields["nbytes"], read.fields["preview"]) == (
        7, "pipe.read", 5, "hello")
    assert read.fields["from"] == 99
    assert p.feed('7 1.8 read(5</etc/passwd>, "root", 4) = 4') == [], "files are not IPC"
    assert p.feed("garbage") == []


SAMPLE = r'''
import os, signal, socket, sysv_ipc
signal.signal(signal.SIGUSR1, lambda *a: None)
a, b = socket.socketpair()
a.send(b"hi\x00\xff\n")
b.recv(100)
q = sysv_ipc.MessageQueue(None, sysv_ipc.IPC_CREX)
q.send(b"queued text", type=3)
q.receive()
q.remove()
os.kill(os.getpid(), signal.SIGUSR1)
pid = os.fork()
if pid == 0:
    os._exit(7)
os.waitpid(pid, 0)
'''


@needs_strace
def test_parser_on_real_strace_output(tmp_path: Path) -> None:
    """Run strace for real on a small program and parse what it printed."""
    out = tmp_path / "trace.txt"
    script = tmp_path / "sample.py"
    script.write_text(SAMPLE)
    subprocess.run(["strace", "-f", "-qq", "-ttt", "-yy", "-s", str(STRING_MAX), "-e",
                    "trace=" + ",".join(TRACED_CALLS), "-o", str(out), sys.executable,
                    str(script)], check=True, timeout=60)
    parser = StraceParser()
    events = [e for line in out.read_text().splitlines() for e in parser.feed(line)]
    top = min(e.pid for e in events)
    mine = [(e.kind, e.fields) for e in events if e.pid == top]
    writes = [f for k, f in mine if k == "pipe.write"]
    reads = [f for k, f in mine if k == "pipe.read" and f["nbytes"]]
    assert {"nbytes": 5, "preview": "hi\x00\\xff\n"}.items() <= writes[0].items()
    assert {"nbytes": 5, "preview": "hi\x00\\xff\n"}.items() <= reads[0].items()
    push = next(f for k, f in mine if k == "queue.push")
    pop = next(f for k, f in mine if k == "queue.pop")
    assert (push["mtype"], push["nbytes"], push["preview"]) == (3, 11, "queued text")
    assert (pop["mtype"], pop["nbytes"], pop["preview"]) == (3, 11, "queued text")
    assert push["msqid"] == pop["msqid"]
    send = next(f for k, f in mine if k == "signal.send")
    assert (send["to"], send["name"], send["ok"]) == (top, "SIGUSR1", True)
    assert any(k == "signal.handle" and f["name"] == "SIGUSR1" for k, f in mine)
    spawn = next(f for k, f in mine if k == "proc.spawn")
    reap = next(f for k, f in mine if k == "proc.reap")
    assert reap["child"] == spawn["child"]
    assert (reap["code"], reap["signal"]) == (7, None)
    assert ("proc.exit", {"code": 7}) in [(e.kind, e.fields) for e in events
                                         if e.pid == spawn["child"]]


@needs_strace
async def test_trace_records_what_the_program_says_it_sent(tmp_path: Path) -> None:
    record = tmp_path / "trace.ndjson"
    old = os.umask(0o022)
    try:
        source = LiveSource(program("raw_pipe", "5", "0.1"), title="t", trace=True,
                            record=record)
    finally:
        os.umask(old)
    assert "ptrace slows" in source.title
    w = await Watched(source).start()
    try:
        events = await w.finish(60)
    finally:
        await w.stop()
    said = [line.split(" ", 3) for line in w.lines() if line.startswith("sent ")]
    assert len(said) == 5
    top = next(e.pid for e in events if e.kind == "pipe.write" and e.get("fd") == 4)
    child = next(p for p, s in w.seen.items() if s["ppid"] == top)
    writes = [e for e in events if e.kind == "pipe.write" and e.pid == top]
    reads = [e for e in events if e.kind == "pipe.read" and e.pid == child and e.get("nbytes")]
    assert [(e.get("nbytes"), e.get("preview")) for e in writes] == [
        (int(size), text[:64]) for _, _, size, text in said]
    assert [e.get("to") for e in writes] == [child] * 5
    assert [(e.get("nbytes"), e.get("preview")) for e in reads] == [
        (int(size), text[:64]) for _, _, size, text in said]
    assert [e.get("from") for e in reads] == [top] * 5
    assert all(e.get("via") == "trace" for e in writes + reads)
    assert all(events.index(r) > events.index(wr) for wr, r in zip(writes, reads, strict=True))
    assert events[-1].kind == "monitor.end"
    assert stat.S_IMODE(record.stat().st_mode) == 0o600

    replay = ReplaySource(record)
    await replay.start()
    replayed = [e async for e in replay.events()]
    await replay.stop()
    assert [e.to_json() for e in replayed] == [e.to_json() for e in events]


def test_record_creates_a_private_file_whatever_the_umask(tmp_path: Path) -> None:
    out = tmp_path / "demo.ndjson"
    out.write_text("old, world-readable\n")
    out.chmod(0o644)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    run = subprocess.run(
        ["sh", "-c", 'umask 000 && exec "$@"', "sh", sys.executable, "-m", "ipccore", "record",
         "--run", "--", *program("raw_pipe", "2", "0.01"), "-o", str(out)],
        capture_output=True, text=True, timeout=120, env=env, check=False)
    assert run.returncode == 0, run.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert "old" not in out.read_text()
    assert run.stdout.count("sent ") == 2
    kinds = [line for line in out.read_text().splitlines() if '"proc.seen"' in line]
    assert kinds, "the recording has the kernel's view of the program"
