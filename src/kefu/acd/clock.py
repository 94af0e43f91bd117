"""The ACD's time: what "now" is and how a timer is set (ring timeout, wrap-up, back-off,
maximum wait, callback retry, position announcements, a preference running out).

Injected into :class:`~kefu.acd.service.Acd` so that its decisions can be tested
in-process with a clock the test moves (``tests/acd/clock.py``), in seconds rather than
minutes of real phones; :class:`LoopClock`, wall time and the running asyncio loop's
timers, is the default.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Callable, Coroutine, Protocol


class Timer(Protocol):
    """A timer or a task: something the ACD may call off."""

    def cancel(self) -> object: ...


class Clock(Protocol):
    def __call__(self) -> float:
        """Now, in seconds since the epoch (event times, waits, figures)."""

    def call_later(self, delay: float, fn: Callable[..., Any], *args: Any) -> Timer:
        """Call ``fn(*args)`` on the loop after ``delay`` seconds (at once when ≤ 0)."""

    def start(self, coro: Coroutine[Any, Any, Any]) -> Timer:
        """Run ``coro`` as a task; ``cancel`` stops it where it waits (a prompt playing)."""


class LoopClock:
    """Wall-clock time; timers on the running asyncio loop."""

    def __init__(self, now: Callable[[], float] = time.time) -> None:
        self._now = now

    def __call__(self) -> float:
        return self._now()

    def call_later(self, delay: float, fn: Callable[..., Any], *args: Any) -> Timer:
        return asyncio.get_running_loop().call_later(max(delay, 0.0), fn, *args)

    def start(self, coro: Coroutine[Any, Any, Any]) -> Timer:
        return asyncio.ensure_future(coro)
