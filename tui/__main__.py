"""``python -m tui``: pick a demo, or ``--demo``, ``--replay``, ``--attach``, ``--run -- CMD``,
``--pid PID``; ``--screenshot``.

The concrete sources are imported here, lazily, so the UI modules depend only on the
``EventSource`` protocol (and never on sysv_ipc): the live ones load the collector
(psutil, sysv_ipc) only when a live mode is asked for.
"""

from __future__ import annotations

import argparse
import math
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

from ipccore.demos import NAMES
from ipcevents.source import EventSource
from tui.crash import EXIT_CRASHED, summary
from tui.runs import RunRecordings
from tui.tab import die_with_server

DEMO_NAMES = (*NAMES, "playground")
VIEWS = ("panes", "sequence")
Factory = Callable[[], EventSource]


class SourceMissing(RuntimeError):
    """What this mode needs is not there: a recording that does not exist, a pid that is
    gone or not ours."""


def _size(text: str) -> tuple[int, int]:
    width, sep, height = text.partition("x")
    if not sep or not width.isdigit() or not height.isdigit():
        raise argparse.ArgumentTypeError("size must look like 120x36")
    return int(width), int(height)


def split_command(argv: list[str]) -> tuple[list[str], list[str]]:
    """Options before ``--``, the command to run after it."""
    if "--" in argv:
        cut = argv.index("--")
        return argv[:cut], argv[cut + 1:]
    return argv, []


USAGE = """\
python -m tui [--demo NAME [--speed F] | --replay FILE | --attach SOCKET]
       python -m tui --run [--trace] -- COMMAND [ARG...]
       python -m tui --pid PID [--trace]
       any of them + [--screenshot OUT.svg [--at SECONDS] [--size WxH]]
       any of them + --serve [--host H] [--port P]   (in a browser)"""

DESCRIPTION = """\
Watch processes talk: one pane per process, its pipes, SysV queues and signals,
and a log of every event. With no option, a picker offers the demos and the
playground. Inside: ? lists every key; q quits (and stops what the monitor
started)."""

EXAMPLES = """\
examples:
  a demo, at half its durations (or pick one from the list: python -m tui)
    python -m tui --demo signal --speed 0.5
  the playground: three idle children you drive with the keys
    python -m tui --demo playground
  record a run, then replay it
    python -m ipccore record queue -o run.ndjson
    python -m tui --replay run.ndjson
  any program, even one that does not use ipccore (--trace: every message too)
    python -m tui --run -- python3 prog.py
    python -m tui --pid 12345
  an ipccore program started elsewhere: the monitor first, then the program
    mkdir -m 700 /tmp/me && python -m tui --attach /tmp/me/mon.sock
    IPCCORE_MONITOR=/tmp/me/mon.sock python prog.py
  in a browser, each tab its own monitor and run (http://127.0.0.1:8000/)
    python -m tui --serve --demo signal
  no terminal: save the final screen of a replay as SVG, then exit
    python -m tui --replay run.ndjson --screenshot out.svg --size 80x24

Any terminal from 80x24 up; NO_COLOR=1 turns colours off. More: docs/tui.md"""


def parse_args(argv: list[str]) -> argparse.Namespace:
    argv, command = split_command(argv)
    parser = argparse.ArgumentParser(
        prog="python -m tui", usage=USAGE, description=DESCRIPTION, epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--demo", choices=DEMO_NAMES, metavar="NAME",
                      help=f"start a demo live: {', '.join(DEMO_NAMES)}")
    mode.add_argument("--replay", type=Path, metavar="FILE",
                      help="replay a recording (NDJSON, from python -m ipccore record)")
    mode.add_argument("--attach", metavar="SOCKET",
                      help="listen at SOCKET for programs run with IPCCORE_MONITOR=SOCKET")
    mode.add_argument("--run", action="store_true",
                      help="run the command after -- (any program) and watch its tree")
    mode.add_argument("--pid", type=int, metavar="PID",
                      help="watch a running process of yours and its descendants")
    parser.add_argument("--trace", action="store_true", help="with --run/--pid: every "
                        "message too, through strace (ptrace slows the program down)")
    parser.add_argument("--speed", type=float, default=1.0, metavar="F",
                        help="multiply a demo's sleeps and timers by F (default 1)")
    parser.add_argument("--screenshot", type=Path, metavar="OUT.svg",
                        help="no terminal: save the screen as SVG when the run ends "
                        "(or at --at seconds), then exit")
    parser.add_argument("--at", type=float, metavar="SECONDS",
                        help="with --screenshot: take it this long after the start")
    parser.add_argument("--size", type=_size, default=(120, 36), metavar="WxH",
                        help="with --screenshot: the terminal size (default 120x36)")
    parser.add_argument("--view", choices=VIEWS, default="panes",
                        help="start in this view: panes, or sequence (lifelines and "
                        "arrows); v switches")
    parser.add_argument("--rate", type=float, metavar="R",
                        help="with --replay: 1 plays as recorded, 0.25 four times slower, "
                        "0 as fast as possible (default 1; 0 with --screenshot)")
    parser.add_argument("--serve", action="store_true",
                        help="serve the monitor to browsers: each tab its own monitor and "
                        "run of these arguments")
    parser.add_argument("--host", default="127.0.0.1",
                        help="with --serve: the address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000,
                        help="with --serve: the port (default 8000)")
    args = parser.parse_args(argv)
    args.command = command
    if args.run and not command:
        parser.error("--run needs a command after --, e.g. --run -- python3 prog.py")
    if command and not args.run:
        parser.error("a command after -- needs --run")
    if args.trace and not (args.run or args.pid is not None):
        parser.error("--trace goes with --run or --pid")
    if args.serve and args.screenshot is not None:
        parser.error("--serve and --screenshot do not go together")
    if not 0 < args.port < 65536:
        parser.error("--port must be 1..65535")
    if args.speed <= 0:
        parser.error("--speed must be positive")
    if args.at is not None and args.at < 0:
        parser.error("--at must be >= 0")
    if args.rate is not None and not (math.isfinite(args.rate) and args.rate >= 0):
        parser.error("--rate must be a finite number >= 0")
    if args.rate is not None and not args.replay:
        parser.error("--rate paces a replay: use it with --replay FILE")
    return args


def demo_factory(name: str, speed: float = 1.0, runs: RunRecordings | None = None) -> Factory:
    """A factory starting demo ``name`` (or the playground) through the live source; with
    ``runs``, each run is recorded (so it can be exported)."""
    from ipccore.monitor.live import LiveSource

    def record() -> Path | None:
        return runs.next_path() if runs is not None else None

    if name == "playground":
        argv = [sys.executable, "-m", "ipccore.demos.playground", "--speed", str(speed)]
        return lambda: LiveSource(argv, title="playground", record=record())
    return lambda: LiveSource.for_demo(name, speed=speed, record=record())


def replay_factory(path: Path, rate: float = 1.0) -> Factory:
    """Replays ``path`` at ``rate`` (0 = as fast as possible, 1 = as recorded)."""
    if not path.is_file():
        raise SourceMissing(f"no such recording: {path}")
    from ipcevents.replay import ReplaySource

    return lambda: ReplaySource(path, rate=rate)


def attach_factory(path: str, runs: RunRecordings | None = None) -> Factory:
    from ipccore.monitor.live import AttachSource

    return lambda: AttachSource(path, record=runs.next_path() if runs is not None else None)


def run_factory(command: list[str], trace: bool = False,
                runs: RunRecordings | None = None) -> Factory:
    """Any program, watched from the kernel (and through strace with ``trace``)."""
    from ipccore.monitor.live import LiveSource

    if trace:
        _need_strace()
    title = "run " + " ".join(command)
    return lambda: LiveSource(command, title=title[:60], trace=trace,
                              record=runs.next_path() if runs is not None else None)


def pid_factory(pid: int, trace: bool = False) -> Factory:
    """A running process of ours; refused at once (SourceMissing) when it is not."""
    from ipccore.observe import procfs
    from ipccore.observe.pidsource import PidSource

    try:
        procfs.check_ours(pid)
    except (PermissionError, ProcessLookupError) as exc:
        raise SourceMissing(str(exc)) from None
    if trace:
        _need_strace()
    return lambda: PidSource(pid, trace=trace)


def _need_strace() -> None:
    """``--trace`` without strace is refused before the screen opens (SourceMissing),
    like a pid that is not ours, not as a notice over an empty monitor."""
    from ipccore.observe.tracer import TraceUnavailable, strace_path

    try:
        strace_path()
    except TraceUnavailable as exc:
        raise SourceMissing(str(exc)) from None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.serve:
        from tui.serve import serve

        return serve(argv, args.host, args.port)
    die_with_server()
    from tui.app import MonitorApp

    # Live runs are recorded so the palette can export them (not for a headless screenshot).
    runs = RunRecordings() if args.screenshot is None else None
    factory: Factory | None = None
    try:
        if args.demo:
            factory = demo_factory(args.demo, args.speed, runs)
        elif args.replay:
            rate = args.rate
            if rate is None:
                instant = args.screenshot is not None and args.at is None
                rate = 0.0 if instant else 1.0
            factory = replay_factory(args.replay, rate)
        elif args.attach:
            factory = attach_factory(args.attach, runs)
        elif args.run:
            factory = run_factory(args.command, args.trace, runs)
        elif args.pid is not None:
            factory = pid_factory(args.pid, args.trace)
    except SourceMissing as exc:
        print(f"python -m tui: {exc}", file=sys.stderr)
        return 2
    app = MonitorApp(
        factory,
        picker=None if factory else (lambda name: demo_factory(name, args.speed, runs)),
        screenshot=args.screenshot,
        screenshot_at=args.at,
        view=args.view,
        runs=runs,
    )
    headless = args.screenshot is not None
    try:
        result = app.run(headless=headless, size=args.size if headless else None)
    finally:
        if runs is not None:
            runs.close()
    if app.crash is not None:
        error, report = app.crash
        note = textwrap.fill(summary(error, report), width=79, break_on_hyphens=False,
                             break_long_words=False)
        print(note, file=sys.stderr)
        return EXIT_CRASHED
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
