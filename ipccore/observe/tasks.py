"""Ending the observers' background tasks: cancel, then wait until the task is done.

Each observer (the watcher's sampling loop, the tracer's reader, the attach source's
helpers) runs one ``asyncio`` task and stops it the same way; waiting for it matters, so
nothing it does runs after its owner has closed the files and sockets it reads.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any


async def cancel_and_wait(task: asyncio.Task[Any] | None) -> None:
    """Cancel ``task`` (if any) and wait for it to end; its cancellation is not an error."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
