"""``python -m ipccore record TARGET [ARGS...] -o FILE`` and ``replay FILE``.

``record`` runs a demo (by name) or a Python script (a path ending in ``.py``, with this
interpreter) under a collector, shows the program's stdout and stderr as it runs, writes the
recording and exits with the program's exit status (128 + N when killed by signal N).
``-o FILE`` is taken from anywhere after ``record``; everything else passes through.
``replay`` prints a recording as a readable log; text from the recording is untrusted,
so anything unprintable is escaped before it reaches the terminal.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from typing import Any, TextIO

from ipccore.errors import RecordingError
from ipccore.monitor.budget import ENV_FULL
from ipccore.monitor.live import LiveSource
from ipcevents.errors import command_failed
from ipcevents.events import Event, printable
from ipcevents.replay import read_recording

USAGE = """usage: python -m ipccore record [--full] TARGET [ARGS...] -o FILE.ndjson
       python -m ipccore record [--full] [--trace] --run -- COMMAND [ARGS...] -o FILE.ndjson
       python -m ipccore record [--trace] --pid PID -o FILE.ndjson
       python -m ipccore replay FILE.ndjson
(a recording is created readable by you only, 0600; --full: every pipe and queue
operation its own event, never aggregated, none dropped)"""

_SHOWN = ("fd", "to", "from", "child", "key", "mtype", "nbytes", "preview", "line", "role",
          "code", "signal", "name", "timer", "ms", "count", "reason", "command", "target",
          "ok", "error", "op", "message", "qnum", "cbytes", "state", "rss", "cpu", "via",
          "ppid", "cmd", "chan", "type", "dir", "peer", "queued", "open", "caught", "blocked",
          "ignored", "pending")


def _fmt(value: Any) -> str:
    if isinstance(value, str):
        text = printable(value)
        return f"\"{text}\"" if value == "" or " " in value or "=" in value else text
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.1f}"
    return "null" if value is None else str(value)


def format_event(event: Event, t0: float) -> str:
    """``+1.234  12345  pipe.write  fd=5 to=12346 nbytes=3 preview=abc``."""
    parts = [f"+{event.ts - t0:8.3f}", f"{event.pid:>7}", f"{printable(event.kind):<16}"]
    for key in _SHOWN:
        if key in event.fields:
            parts.append(f"{key}={_fmt(event.fields[key])}")
    return " ".join(parts)


def replay(path: str, out: TextIO) -> int:
    t0: float | None = None
    try:
        for event in read_recording(path):
            if t0 is None:
                t0 = event.ts
            out.write(format_event(event, t0) + "\n")
    except (RecordingError, OSError) as exc:
        return command_failed("replay", path, exc)
    return 0


def _split_output(args: list[str]) -> tuple[str | None, list[str]]:
    for i, arg in enumerate(args):
        if arg in ("-o", "--output") and i + 1 < len(args):
            return args[i + 1], args[:i] + args[i + 2:]
        for prefix in ("-o", "--output="):
            if arg.startswith(prefix) and len(arg) > len(prefix) and arg != "--output":
                return arg[len(prefix):], args[:i] + args[i + 1:]
    return None, args


def target_argv(target: str, rest: list[str]) -> list[str]:
    """A script path runs with this interpreter; anything else is a demo name."""
    if target.endswith(".py"):
        return [sys.executable, target, *rest]
    return [sys.executable, "-m", "ipccore", "demo", target, *rest]


async def _drain(source: LiveSource) -> None:
    """The recording is written by the collector; reading keeps its buffer empty (a
    spooling collector serves nothing: this just waits for the end)."""
    async for _event in source.events():
        pass


async def _record(argv: list[str], output: str, title: str, trace: bool = False,
                  full: bool = False) -> int:
    env = {**os.environ, ENV_FULL: "1"} if full else None
    # --full: nothing reads the events but the recording, so the collector spools the
    # rings and writes the recording when the run ends (ipccore/monitor/spool.py).
    source = LiveSource(argv, title=title, record=output, passthrough=sys.stdout,
                        passthrough_err=sys.stderr, trace=trace, env=env, spool=full)
    await source.start()
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    drain = asyncio.create_task(_drain(source))
    waiter = asyncio.create_task(source.wait())
    stopper = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
        collector = source.collector
        if waiter.done() and collector is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(collector.wait_finished(), 5.0)
    finally:
        stopper.cancel()
        await source.stop()
        for task in (waiter, drain):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
    rc = source.returncode
    if rc is None:
        return 1
    return rc if rc >= 0 else 128 - rc


async def _record_pid(pid: int, output: str, trace: bool) -> int:
    """Until the process and its descendants are gone, or Ctrl-C (they run on)."""
    from ipccore.observe.pidsource import PidSource

    source = PidSource(pid, record=output, trace=trace)
    await source.start()
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    drain = asyncio.create_task(_drain(source))  # type: ignore[arg-type]
    stopper = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({drain, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
        await source.stop()
        drain.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await drain
    return 0


def _split_modes(args: list[str]) -> tuple[dict[str, Any], list[str]]:
    """``--full``, ``--trace``, ``--run`` (the command follows ``--``), ``--pid PID``
    before the target."""
    modes: dict[str, Any] = {"trace": False, "run": False, "pid": None, "full": False}
    while args and args[0] in ("--trace", "--run", "--pid", "--full"):
        flag = args.pop(0)
        if flag == "--pid":
            if not args or not args[0].isdigit():
                raise ValueError("--pid needs a process id")
            modes["pid"] = int(args.pop(0))
        else:
            modes[flag[2:]] = True
    if modes["run"]:
        if not args or args[0] != "--" or len(args) < 2:
            raise ValueError("--run needs the command after --")
        args = args[1:]
    return modes, args


def record(args: list[str]) -> int:
    if "--run" in args[:3] and len(args) >= 2 and args[-2] in ("-o", "--output"):
        output: str | None = args[-1]  # the command may have a -o of its own
        rest = args[:-2]
    else:
        output, rest = _split_output(args)
    try:
        modes, rest = _split_modes(list(rest))
    except ValueError as exc:
        print(f"record: {exc}\n{USAGE}", file=sys.stderr)
        return 2
    if output is None or (not rest and modes["pid"] is None):
        print(USAGE, file=sys.stderr)
        return 2
    from ipccore.observe.procfs import NotOurs
    from ipccore.observe.tracer import TraceUnavailable

    try:
        if modes["pid"] is not None:
            return asyncio.run(_record_pid(modes["pid"], output, modes["trace"]))
        if modes["run"]:
            return asyncio.run(_record(rest, output, "run " + " ".join(rest), modes["trace"],
                                       modes["full"]))
        if modes["trace"]:
            print("record: --trace goes with --run or --pid", file=sys.stderr)
            return 2
        target, extra = rest[0], rest[1:]
        return asyncio.run(_record(target_argv(target, extra), output, f"record {target}",
                                   full=modes["full"]))
    except (NotOurs, ProcessLookupError, TraceUnavailable, FileNotFoundError) as exc:
        print(f"record: {printable(str(exc))}", file=sys.stderr)
        return 2


def main(argv: list[str]) -> int:
    if len(argv) < 1 or argv[0] not in ("record", "replay"):
        print(USAGE, file=sys.stderr)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "replay":
        if len(rest) != 1:
            print(USAGE, file=sys.stderr)
            return 2
        return replay(rest[0], sys.stdout)
    return record(rest)
