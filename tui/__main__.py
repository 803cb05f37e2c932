"""Placeholder until the monitor lands: says what is available."""

from __future__ import annotations

import sys


def main() -> int:
    """Print what can be run today."""
    print("ipcscope monitor: not built yet. Try: python -m ipccore demo --list")
    return 0


if __name__ == "__main__":
    sys.exit(main())
