"""The event stream (stub: being written). Headless: never imports textual or rich."""

from __future__ import annotations


def attach(path: str) -> None:
    """Send this process's events (and its future children's) to the collector at ``path``."""


def attach_from_env() -> None:
    """Attach if ``IPCCORE_MONITOR`` is set; called when ipccore is imported."""
