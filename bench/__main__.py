"""``python -m bench [--quick] [--only CASE...] [--pinned|--unpinned|--both] [--write FILE]``.

Markdown goes to stdout (or ``--write FILE``), progress to stderr, so
``python -m bench > bench/RESULTS.md`` records a full run.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

from bench.cases import all_cases
from bench.harness import Settings, run_all, stderr_log
from bench.report import machine_facts, render
from bench.targets import TARGETS


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--quick", action="store_true", help="short run (well under a minute)")
    p.add_argument("--only", nargs="+", metavar="CASE", help="case keys or prefixes to run")
    p.add_argument("--list", action="store_true", help="list the case keys and exit")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--pinned", dest="modes", action="store_const", const=["pinned"])
    mode.add_argument("--unpinned", dest="modes", action="store_const", const=["unpinned"])
    mode.add_argument("--both", dest="modes", action="store_const", const=["pinned", "unpinned"])
    p.add_argument("--reps", type=int, help="repetitions per variant (default 7, quick 3)")
    p.add_argument("--n", type=int, help="fixed operations per repetition (no calibration)")
    p.add_argument("--write", type=Path, metavar="FILE", help="write the Markdown here")
    args = p.parse_args(argv)
    if args.reps is not None and args.reps < 1:
        p.error("--reps must be at least 1")
    if args.n is not None and args.n < 1:
        p.error("--n must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    cases = all_cases(args.quick)
    if args.list:
        for case in cases:
            print(f"{case.key:28} {case.title}")
        return 0
    if args.only:
        cases = [c for c in cases if any(c.key.startswith(o) for o in args.only)]
        if not cases:
            print(f"no case matches {args.only}; see --list", file=sys.stderr)
            return 2
    settings = Settings(
        target_s=0.02 if args.quick else 0.15,
        reps=args.reps or (3 if args.quick else 7),
        n=args.n,
    )
    modes = args.modes or ["pinned", "unpinned"]
    facts = machine_facts()
    start = time.monotonic()
    results = run_all(cases, modes, settings, stderr_log)
    command = "python -m bench " + shlex.join(sys.argv[1:] if argv is None else argv)
    text = render(results, TARGETS, facts, command.strip(), time.monotonic() - start)
    if args.write:
        args.write.write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
