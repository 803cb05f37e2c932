"""Timers, ``event_wait()`` (the loop Swoole runs at the end of a script) and ``run()``.

``event_wait`` sleeps in ``select`` on a self-pipe registered with
``signal.set_wakeup_fd``: a signal wakes it at once, the handler runs, and timers the
handler added or cleared are honoured before it sleeps again. It returns when no timer
is left; signal handlers alone do not keep it alive (as in Swoole).
"""

from __future__ import annotations

import asyncio
import heapq
import os
import select
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ipccore import _trace

T = TypeVar("T")


@dataclass(slots=True)
class _Entry:
    ms: float
    callback: Callable[..., object]
    args: tuple[Any, ...]
    repeat: bool
    due: float = field(default=0.0)


_entries: dict[int, _Entry] = {}
_heap: list[tuple[float, int]] = []
_next_id = 1
_wakeup: tuple[int, int] | None = None


def _check_ms(ms: object) -> float:
    if not isinstance(ms, int | float) or isinstance(ms, bool):
        raise TypeError(f"ms must be a number, not {type(ms).__name__}")
    if not 0 < ms < 2**31:
        raise ValueError(f"ms must be positive and finite (under 2**31), got {ms}")
    return float(ms)


def _add(ms: object, callback: Callable[..., object], args: tuple[Any, ...], repeat: bool) -> int:
    global _next_id
    interval = _check_ms(ms)
    if not callable(callback):
        raise TypeError("callback must be callable")
    timer_id = _next_id
    _next_id += 1
    entry = _Entry(interval, callback, args, repeat, time.monotonic() + interval / 1000)
    _entries[timer_id] = entry
    heapq.heappush(_heap, (entry.due, timer_id))
    em = _trace.emitter
    if em is not None:
        em.emit("timer.add", {"timer": timer_id, "ms": ms, "repeat": repeat})
    return timer_id


class Timer:
    """Swoole's ``Timer``: callbacks run inside :func:`event_wait`."""

    @staticmethod
    def tick(ms: float, callback: Callable[..., object], *args: Any) -> int:
        """Every ``ms`` milliseconds call ``callback(timer_id, *args)``; returns the id."""
        return _add(ms, callback, args, True)

    @staticmethod
    def after(ms: float, callback: Callable[..., object], *args: Any) -> int:
        """Once, after ``ms`` milliseconds, call ``callback(*args)``; returns the id."""
        return _add(ms, callback, args, False)

    @staticmethod
    def clear(timer_id: int) -> bool:
        """Cancel a timer; False if there is no such (pending) timer."""
        if type(timer_id) is not int:
            raise TypeError(f"timer_id must be an int, not {type(timer_id).__name__}")
        if _entries.pop(timer_id, None) is None:
            return False
        em = _trace.emitter
        if em is not None:
            em.emit("timer.clear", {"timer": timer_id})
        return True

    @staticmethod
    def clear_all() -> bool:
        """Cancel every timer of this process."""
        for timer_id in list(_entries):
            Timer.clear(timer_id)
        _heap.clear()
        return True

    @staticmethod
    def pending() -> int:
        """How many timers are left (``event_wait`` returns when this reaches 0)."""
        return len(_entries)


def reset_in_child() -> None:
    """A new child starts with no timers and its own wake-up pipe."""
    global _wakeup
    _entries.clear()
    _heap.clear()
    if _wakeup is not None:
        for fd in _wakeup:
            os.close(fd)
        _wakeup = None


def _fire_due(now: float) -> None:
    while _heap and _heap[0][0] <= now:
        due, timer_id = heapq.heappop(_heap)
        entry = _entries.get(timer_id)
        if entry is None or entry.due != due:
            continue
        if entry.repeat:
            entry.due = max(due + entry.ms / 1000, now)
            heapq.heappush(_heap, (entry.due, timer_id))
        else:
            del _entries[timer_id]
        em = _trace.emitter
        if em is not None:
            em.emit("timer.fire", {"timer": timer_id})
        if entry.repeat:
            entry.callback(timer_id, *entry.args)
        else:
            entry.callback(*entry.args)


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 512):
            pass
    except BlockingIOError:
        pass


def event_wait() -> None:
    """Run timers (and let signal handlers run) until no timer is left."""
    global _wakeup
    if _wakeup is None:
        r, w = os.pipe()
        os.set_blocking(r, False)
        os.set_blocking(w, False)
        _wakeup = (r, w)
    r, w = _wakeup
    old = signal.set_wakeup_fd(w, warn_on_full_buffer=False)
    try:
        while _entries:
            while _heap and _heap[0][1] not in _entries:
                heapq.heappop(_heap)
            timeout = max(_heap[0][0] - time.monotonic(), 0.0) if _heap else None
            ready, _, _ = select.select([r], [], [], timeout)
            if ready:
                _drain(r)
            _fire_due(time.monotonic())
    finally:
        signal.set_wakeup_fd(old, warn_on_full_buffer=False)


ENV_UVLOOP = "IPCCORE_UVLOOP"
"""``0`` keeps the stock asyncio loop even when uvloop is installed (side-by-side runs)."""


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop when it is installed (``pip install -e '.[fast]'``), else None (the
    stock loop). Why: a coroutine-socket round trip is one loop iteration, one future and
    one task wake-up per side; in the pure-Python loop that floor is ~35 us here, in
    uvloop's C loop about a third of it (measured in ``python -m bench``)."""
    if os.environ.get(ENV_UVLOOP, "").strip() == "0":
        return None
    try:
        import uvloop
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def run(coro_fn: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine function to completion in a fresh event loop (``Coroutine\\run``):
    uvloop's when it is installed, else asyncio's."""
    if not callable(coro_fn):
        raise TypeError("run() takes a coroutine function (async def ...)")

    async def main() -> T:
        return await coro_fn()

    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main())
