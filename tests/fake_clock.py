"""A clock the test moves: the ACD's time (:class:`kefu.acd.clock.Clock`) without waiting.

``advance(seconds)`` runs every timer that falls due on the way, in order, each with the
clock at its own time, so a ring timeout, a wrap-up or a maximum wait happens exactly
when it would, and a test of minutes of queue life takes milliseconds.  Tasks it starts
(a position announcement) run to their end at once, like the fake switch's.
"""

from __future__ import annotations

import heapq
import itertools
from typing import Any, Callable, Coroutine

from fake_switch import run

START = 1_750_000_000.0        # a fixed "now" (mid-June 2025), so day figures are stable


class FakeTimer:
    def __init__(self, when: float, fn: Callable[..., Any], args: tuple) -> None:
        self.when, self.fn, self.args, self.cancelled = when, fn, args, False

    def cancel(self) -> None:
        self.cancelled = True

    def __repr__(self) -> str:
        return f"<FakeTimer {self.when} {getattr(self.fn, '__name__', self.fn)}>"


class FakeClock:
    def __init__(self, now: float = START) -> None:
        self.now = now
        self._heap: list[tuple[float, int, FakeTimer]] = []
        self._seq = itertools.count()

    def __call__(self) -> float:
        return self.now

    def call_later(self, delay: float, fn: Callable[..., Any], *args: Any) -> FakeTimer:
        timer = FakeTimer(self.now + max(delay, 0.0), fn, args)
        heapq.heappush(self._heap, (timer.when, next(self._seq), timer))
        return timer

    def start(self, coro: Coroutine[Any, Any, Any]) -> FakeTimer:
        run(coro)
        return FakeTimer(self.now, lambda: None, ())

    def pending(self) -> list[FakeTimer]:
        return sorted((t for _, _, t in self._heap if not t.cancelled), key=lambda t: t.when)

    def advance(self, seconds: float) -> None:
        """Move time on by ``seconds``, running what falls due (timers set meanwhile too)."""
        end = self.now + seconds
        while self._heap and self._heap[0][0] <= end:
            when, _, timer = heapq.heappop(self._heap)
            if timer.cancelled:
                continue
            self.now = max(self.now, when)
            timer.fn(*timer.args)
        self.now = end
