"""Bad input, arguments: every public function of ipccore refuses wrong types and values
with TypeError/ValueError *before any system call*.

"Before any system call" is checked with a CPython audit hook (no fork, kill, socket,
mmap, open, subprocess or signal change during the call) and, for queue calls, by the
kernel's queue table being unchanged.
"""

from __future__ import annotations

import math
import os
import signal
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import ipccore
from ipccore import MODE_BALANCE, Process, Timer, _sysv
from ipccore.keys import KEY_MAX, fresh_key, ftok
from ipccore.monitor import attach
from ipccore.monitor.commands import carry_out
from ipccore.monitor.live import LiveSource
from ipcevents.replay import ReplaySource
from ipcevents.source import PushQueue, SendSignal, WritePipe

_watching = False
_seen: list[str] = []
_SYSCALLISH = ("os.fork", "os.kill", "os.killpg", "socket.", "mmap.", "open",
               "subprocess.", "signal.", "os.posix_spawn", "os.exec", "os.system")


def _hook(event: str, _args: tuple[Any, ...]) -> None:
    if _watching and event.startswith(_SYSCALLISH):
        _seen.append(event)


sys.addaudithook(_hook)


def _noop(*_a: object) -> None:
    pass


@pytest.fixture(scope="module")
def piped() -> Process:
    return Process(_noop)


@pytest.fixture(scope="module")
def queued() -> Iterator[Process]:
    p = Process(_noop, pipe_type=0)
    p.use_queue(fresh_key(), MODE_BALANCE)
    yield p
    p.free_queue()


Case = tuple[str, Callable[[Process, Process], object]]
CASES: list[Case] = [
    ("wait('yes')", lambda p, q: Process.wait("yes")),  # type: ignore[arg-type]
    ("Timer.clear('x')", lambda p, q: Timer.clear("x")),  # type: ignore[arg-type]
    ("Timer.after(inf, f)", lambda p, q: Timer.after(math.inf, _noop)),
    ("Process(callback=None)", lambda p, q: Process(None)),  # type: ignore[arg-type]
    ("Process(pipe_type='2')", lambda p, q: Process(_noop, pipe_type="2")),  # type: ignore[arg-type]
    ("Process(pipe_type=2.0)", lambda p, q: Process(_noop, pipe_type=2.0)),  # type: ignore[arg-type]
    ("Process(pipe_type=3)", lambda p, q: Process(_noop, pipe_type=3)),
    ("Process(pipe_type=-1)", lambda p, q: Process(_noop, pipe_type=-1)),
    ("write(123)", lambda p, q: p.write(123)),  # type: ignore[arg-type]
    ("write(None)", lambda p, q: p.write(None)),  # type: ignore[arg-type]
    ("write([b'a'])", lambda p, q: p.write([b"a"])),  # type: ignore[arg-type]
    ("write(b'')", lambda p, q: p.write(b"")),
    ("read('1')", lambda p, q: p.read("1")),  # type: ignore[arg-type]
    ("read(1.5)", lambda p, q: p.read(1.5)),  # type: ignore[arg-type]
    ("read(0)", lambda p, q: p.read(0)),
    ("read(-5)", lambda p, q: p.read(-5)),
    ("name(5)", lambda p, q: p.name(5)),  # type: ignore[arg-type]
    ("name('')", lambda p, q: p.name("")),
    ("name('a\\0b')", lambda p, q: p.name("a\0b")),
    ("exit(-1)", lambda p, q: p.exit(-1)),
    ("exit(256)", lambda p, q: p.exit(256)),
    ("exit('1')", lambda p, q: p.exit("1")),  # type: ignore[arg-type]
    ("set_affinity([])", lambda p, q: Process.set_affinity([])),
    ("set_affinity(['0'])", lambda p, q: Process.set_affinity(["0"])),  # type: ignore[list-item]
    ("set_affinity([-1])", lambda p, q: Process.set_affinity([-1])),
    ("set_affinity(5)", lambda p, q: Process.set_affinity(5)),  # type: ignore[arg-type]
    ("signal('USR1', f)", lambda p, q: Process.signal("USR1", _noop)),  # type: ignore[arg-type]
    ("signal(999, f)", lambda p, q: Process.signal(999, _noop)),
    ("signal(SIGKILL, f)", lambda p, q: Process.signal(signal.SIGKILL, _noop)),
    ("signal(SIGSTOP, f)", lambda p, q: Process.signal(signal.SIGSTOP, _noop)),
    ("signal(SIGUSR1, 'f')", lambda p, q: Process.signal(signal.SIGUSR1, "f")),  # type: ignore[arg-type]
    ("kill('123')", lambda p, q: Process.kill("123")),  # type: ignore[arg-type]
    ("kill(1.5)", lambda p, q: Process.kill(1.5)),  # type: ignore[arg-type]
    ("kill(True)", lambda p, q: Process.kill(True)),
    ("kill(0)", lambda p, q: Process.kill(0)),
    ("kill(-1)", lambda p, q: Process.kill(-1)),
    ("kill(-os.getpid())", lambda p, q: Process.kill(-os.getpid())),
    ("kill(1, SIGKILL)", lambda p, q: Process.kill(1, signal.SIGKILL)),
    ("kill(me, 999)", lambda p, q: Process.kill(os.getpid(), 999)),
    ("kill(me, -9)", lambda p, q: Process.kill(os.getpid(), -9)),
    ("alarm('100')", lambda p, q: Process.alarm("100")),  # type: ignore[arg-type]
    ("alarm(True)", lambda p, q: Process.alarm(True)),
    ("alarm(100, 3)", lambda p, q: Process.alarm(100, 3)),
    ("alarm(100, '0')", lambda p, q: Process.alarm(100, "0")),  # type: ignore[arg-type]
    ("use_queue('1')", lambda p, q: p.use_queue("1")),  # type: ignore[arg-type]
    ("use_queue(1.0)", lambda p, q: p.use_queue(1.0)),  # type: ignore[arg-type]
    ("use_queue(True)", lambda p, q: p.use_queue(True)),
    ("use_queue(KEY_MAX+1)", lambda p, q: p.use_queue(KEY_MAX + 1)),
    ("use_queue(mode=3)", lambda p, q: p.use_queue(0x2345678, 3)),
    ("use_queue(mode=0)", lambda p, q: p.use_queue(0x2345678, 0)),
    ("use_queue(capacity='x')", lambda p, q: p.use_queue(0x2345678, 2, "x")),  # type: ignore[arg-type]
    ("push(5)", lambda p, q: q.push(5)),  # type: ignore[arg-type]
    ("push(None)", lambda p, q: q.push(None)),  # type: ignore[arg-type]
    ("push([1])", lambda p, q: q.push([1])),  # type: ignore[arg-type]
    ("push(b'')", lambda p, q: q.push(b"")),
    ("pop('1')", lambda p, q: q.pop("1")),  # type: ignore[arg-type]
    ("pop(1.5)", lambda p, q: q.pop(1.5)),  # type: ignore[arg-type]
    ("pop(0)", lambda p, q: q.pop(0)),
    ("pop(-1)", lambda p, q: q.pop(-1)),
    ("Timer.tick('10', f)", lambda p, q: Timer.tick("10", _noop)),  # type: ignore[arg-type]
    ("Timer.tick(0, f)", lambda p, q: Timer.tick(0, _noop)),
    ("Timer.tick(-5, f)", lambda p, q: Timer.tick(-5, _noop)),
    ("Timer.tick(nan, f)", lambda p, q: Timer.tick(math.nan, _noop)),
    ("Timer.after(10, None)", lambda p, q: Timer.after(10, None)),  # type: ignore[arg-type]
    ("Timer.after(True, f)", lambda p, q: Timer.after(True, _noop)),
    ("run(5)", lambda p, q: ipccore.run(5)),  # type: ignore[arg-type]
    ("daemon('no')", lambda p, q: Process.daemon("no")),  # type: ignore[arg-type]
    ("daemon(noclose=None)", lambda p, q: Process.daemon(noclose=None)),  # type: ignore[arg-type]
    ("ftok(path, 0)", lambda p, q: ftok(__file__, 0)),
    ("ftok(path, 256)", lambda p, q: ftok(__file__, 256)),
    ("ftok(path, '1')", lambda p, q: ftok(__file__, "1")),  # type: ignore[arg-type]
    ("attach(5)", lambda p, q: attach(5)),  # type: ignore[arg-type]
    ("attach('')", lambda p, q: attach("")),
    ("ReplaySource(rate=-1)", lambda p, q: ReplaySource("x.ndjson", rate=-1)),
    ("LiveSource([])", lambda p, q: LiveSource([], title="t")),
    ("LiveSource([1])", lambda p, q: LiveSource([1], title="t")),  # type: ignore[list-item]
    ("LiveSource.for_demo('')", lambda p, q: LiveSource.for_demo("")),
    ("LiveSource.for_demo(speed=0)", lambda p, q: LiveSource.for_demo("pipe", speed=0)),
    ("LiveSource.for_demo(speed=nan)", lambda p, q: LiveSource.for_demo("pipe", speed=math.nan)),
    ("SendSignal('1', 9)", lambda p, q: carry_out(None, SendSignal("1", 9))),  # type: ignore[arg-type]
    ("SendSignal(123, 0)", lambda p, q: carry_out(None, SendSignal(123, 0))),  # type: ignore[arg-type]
    ("SendSignal(123, 999)", lambda p, q: carry_out(None, SendSignal(123, 999))),  # type: ignore[arg-type]
    ("WritePipe(1, 'str')", lambda p, q: carry_out(None, WritePipe(1, "s"))),  # type: ignore[arg-type]
    ("PushQueue(1, b'x', 0)", lambda p, q: carry_out(None, PushQueue(1, b"x", 0))),  # type: ignore[arg-type]
    ("PushQueue('1', b'x')", lambda p, q: carry_out(None, PushQueue("1", b"x"))),  # type: ignore[arg-type]
    ("carry_out(None, 'kill')", lambda p, q: carry_out(None, "kill")),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(("label", "call"), CASES, ids=[c[0] for c in CASES])
def test_bad_argument_is_refused_before_any_syscall(
    label: str, call: Callable[[Process, Process], object], piped: Process, queued: Process
) -> None:
    global _watching
    queues = set(_sysv.read_table())
    pending = Timer.pending()
    _seen.clear()
    _watching = True
    try:
        with pytest.raises((TypeError, ValueError)):
            call(piped, queued)
    finally:
        _watching = False
        Timer.clear_all()
    assert _seen == [], f"{label} made system calls before refusing: {_seen}"
    assert set(_sysv.read_table()) == queues
    assert Timer.pending() == pending
