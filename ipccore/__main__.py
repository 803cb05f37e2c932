"""``python -m ipccore``: ``demo`` (run a scenario), ``record``, ``replay`` and ``export``."""

from __future__ import annotations

import sys

USAGE = """usage: python -m ipccore demo NAME [--speed F] [--lang en|zh] [...] | demo --list
       python -m ipccore record TARGET [ARGS...] -o FILE.ndjson
       python -m ipccore replay FILE.ndjson
       python -m ipccore export FILE.ndjson [-o TRACE.json]   (Perfetto / chrome://tracing)"""


def main(argv: list[str] | None = None) -> int:
    """Dispatch to the sub-command's own module (each owns its argument parsing)."""
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if args else 2
    command, rest = args[0], args[1:]
    if command == "demo":
        from ipccore.demos.cli import main as demo_main

        return demo_main(rest)
    if command in ("record", "replay"):
        from ipccore.monitor.cli import main as monitor_main

        return monitor_main([command, *rest])
    if command == "export":
        from ipcevents.perfetto import main as export_main

        return export_main(rest)
    print(f"unknown command {command!r}\n{USAGE}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
