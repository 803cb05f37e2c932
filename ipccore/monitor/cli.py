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
import signal
import sys
from typing import Any, TextIO

from ipccore.errors import RecordingError
from ipccore.monitor.live import LiveSource
from ipcevents.events import Event
from ipcevents.replay import read_recording

USAGE = """usage: python -m ipccore record TARGET [ARGS...] -o FILE.ndjson
       python -m ipccore replay FILE.ndjson"""

_SHOWN = ("fd", "to", "from", "child", "key", "mtype", "nbytes", "preview", "line", "role",
          "code", "signal", "name", "timer", "ms", "count", "reason", "command", "target",
          "ok", "error", "op", "message", "qnum", "cbytes", "state", "rss", "cpu", "via")


def safe(text: str) -> str:
    """Printable only: control characters and escapes are shown as Python escapes."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _fmt(value: Any) -> str:
    if isinstance(value, str):
        text = safe(value)
        return f"\"{text}\"" if value == "" or " " in value or "=" in value else text
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.1f}"
    return "null" if value is None else str(value)


def format_event(event: Event, t0: float) -> str:
    """``+1.234  12345  pipe.write  fd=5 to=12346 nbytes=3 preview=abc``."""
    parts = [f"+{event.ts - t0:8.3f}", f"{event.pid:>7}", f"{safe(event.kind):<16}"]
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
    except RecordingError as exc:
        print(f"replay: {path}: {safe(str(exc))}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"replay: {path}: {exc.strerror}", file=sys.stderr)
        return 1
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
    """The recording is written by the collector; reading keeps its buffer empty."""
    async for _event in source.events():
        pass


async def _record(argv: list[str], output: str, title: str) -> int:
    source = LiveSource(argv, title=title, record=output, passthrough=sys.stdout,
                        passthrough_err=sys.stderr)
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


def record(args: list[str]) -> int:
    output, rest = _split_output(args)
    if output is None or not rest:
        print(USAGE, file=sys.stderr)
        return 2
    target, extra = rest[0], rest[1:]
    return asyncio.run(_record(target_argv(target, extra), output, f"record {target}"))


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
