"""``python -m ipccore demo NAME [--speed F] [--lang en|zh] [...]`` and ``demo --list``.

Each demo is a subcommand with its own options (only ``queue`` has ``--mode``,
``--nowait`` and ``--key``), so a wrong option is an argparse error: exit status 2 and
one ``error:`` line naming it. An ipccore error while the demo runs (e.g. ``--key`` names
a queue of another user) is one line on stderr and exit status 1, not a traceback.
"""

from __future__ import annotations

import argparse
import math
import sys

from ipccore.demos import DEMOS, get
from ipccore.demos.text import LANGS
from ipccore.errors import IPCError
from ipccore.keys import KEY_MAX

PROG = "python -m ipccore demo"


def _speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
    return value


def _key(text: str) -> int:
    try:
        value = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if not 1 <= value <= KEY_MAX:
        raise argparse.ArgumentTypeError(f"must be in 1..{KEY_MAX:#x}, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The ``demo`` parser: ``--list`` or one subcommand per demo."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--speed", type=_speed, default=1.0, metavar="F",
                        help="multiply every sleep and timer by F (default 1: the seed's)")
    common.add_argument("--lang", choices=LANGS, default="en",
                        help="en: English lines; zh: the seed's own Chinese lines")
    parser = argparse.ArgumentParser(
        prog=PROG, description="Run one of the seed's five scenarios and print its transcript.")
    parser.add_argument("--list", action="store_true", help="list the demos and exit")
    sub = parser.add_subparsers(dest="name", metavar="NAME")
    for demo in DEMOS:
        p = sub.add_parser(demo.name, parents=[common], help=demo.about,
                           description=demo.about, prog=f"{PROG} {demo.name}")
        if demo.name == "queue":
            p.add_argument("--mode", type=int, choices=(1, 2), default=2,
                           help="1: a child pops only its own object's messages; "
                                "2: contention (default, the seed's)")
            p.add_argument("--nowait", action="store_true",
                           help="OR IPC_NOWAIT into the mode: pop() returns at once when empty")
            p.add_argument("--key", type=_key, default=None, metavar="K",
                           help="queue key (default: a fresh key; 1 is the seed's)")
    return parser


def list_demos() -> str:
    """One line per demo: its name and what it shows."""
    width = max(len(d.name) for d in DEMOS)
    return "\n".join(f"{d.name:<{width}}  {d.about}" for d in DEMOS)


def main(argv: list[str]) -> int:
    """Parse ``argv`` (what follows ``demo``), run the demo, return the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.list:
            print(list_demos())
            return 0
        if args.name is None:
            parser.error("choose a demo NAME, or --list to see them")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    options = {k: v for k, v in vars(args).items() if k not in ("list", "name", "speed", "lang")}
    run = get(args.name).load()
    try:
        return run(speed=args.speed, lang=args.lang, **options)
    except IPCError as exc:
        print(f"{PROG} {args.name}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
