"""Today's figures of every queue and agent, folded from the ACD's own events.

The wallboard and the desktop show "today": calls entered, answered and abandoned, the
service level, callbacks requested and connected, an agent's answered calls (a connected
callback is one) and talk time.  Counting them where things
happen would lose them at every restart and never start a new day; folding them from
the ``queue.*`` events instead means one piece of code serves both the live figures
(:meth:`DayFigures.apply` on each event as the ACD publishes it) and a restart (the same
events replayed from ``call_events``).  A day is the server's local calendar day; the
first event (or read) of a new day starts from zero.  Average handle times are not
day-bound (the ACD's wait estimate needs history each morning) and carry over.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

ENTRY_TIMED = ("queue.connect", "queue.abandon", "queue.overflow", "queue.callback")
HANDLE_TIMES_KEPT = 50                 # the wait estimate's average: the last 50 calls
DEFAULT_HANDLE_TIME = 120.0            # ... until a queue has history


@dataclass
class QueueFigures:
    entered: int = 0
    answered: int = 0
    abandoned: int = 0                 # waited at least [reports] short_abandon, then hung up
    short_abandoned: int = 0           # hung up sooner: neither offered nor abandoned
    overflowed: int = 0
    callbacks: int = 0                 # callbacks requested (the caller pressed the key)
    callbacks_connected: int = 0       # callbacks the customer answered (agent connected)
    answered_in_sl: int = 0            # answered within the queue's service-level target
    handle_times: list[float] = field(default_factory=list)   # not reset at midnight

    @property
    def service_level(self) -> float | None:
        """Answered within target over answered + abandoned, short abandons left out
        (docs/kpis.md; None before any call)."""
        handled = self.answered + self.abandoned
        return round(self.answered_in_sl / handled, 4) if handled else None

    def handle_time(self) -> float:
        times = self.handle_times
        return sum(times) / len(times) if times else DEFAULT_HANDLE_TIME


@dataclass
class AgentFigures:
    answered: int = 0
    talk_time: float = 0.0


def local_day(ts: float) -> tuple[int, int, int]:
    t = time.localtime(ts)
    return t.tm_year, t.tm_mon, t.tm_mday


def day_start(ts: float) -> float:
    """The local midnight that began ``ts``'s day."""
    t = time.localtime(ts)
    return time.mktime((t.tm_year, t.tm_mon, t.tm_mday, 0, 0, 0, 0, 0, -1))


class DayFigures:
    """Per-queue and per-agent figures of the current local day.

    ``sl_seconds(queue)`` is the queue's service-level target: answered within it counts;
    a caller hanging up within ``short_abandon`` seconds is a short abandon (the reports'
    rule, ``[reports] short_abandon``: docs/kpis.md).
    """

    def __init__(self, sl_seconds: Callable[[str], float],
                 clock: Callable[[], float] = time.time, short_abandon: float = 0.0) -> None:
        self.sl_seconds = sl_seconds
        self.short_abandon = short_abandon
        self.clock = clock
        self.day = local_day(clock())
        self.queues: dict[str, QueueFigures] = {}
        self.agents: dict[str, AgentFigures] = {}

    def queue(self, name: str) -> QueueFigures:
        self._roll(self.clock())
        return self.queues.setdefault(name, QueueFigures())

    def agent(self, username: str) -> AgentFigures:
        self._roll(self.clock())
        return self.agents.setdefault(username, AgentFigures())

    def replay(self, events: Iterable[Any]) -> int:
        """Fold events already logged (objects with type, data, ts); how many were."""
        n = 0
        for event in events:
            self.apply(event.type, event.data, event.ts)
            n += 1
        return n

    def apply(self, type_: str, data: dict[str, Any], ts: float) -> None:
        """Fold one event; events of an earlier day than the current one are ignored, and
        so is the answer, abandon, overflow or callback of a call that entered the queue
        before today (``ts - wait``): a call is counted on the day it entered the queue,
        as the reports count it in the interval it entered (docs/kpis.md)."""
        day = local_day(ts)
        if day < self.day:
            return
        self._roll(ts)
        name = data.get("queue")
        if not type_.startswith("queue.") or not isinstance(name, str):
            return
        entry = ts - float(data.get("wait") or 0.0) - float(data.get("talk") or 0.0)
        earlier = local_day(entry) < self.day        # the call entered before today
        if type_ in ENTRY_TIMED and earlier:
            return
        q = self.queues.setdefault(name, QueueFigures())
        if type_ == "queue.entered":
            q.entered += 1
        elif type_ == "queue.connect":
            q.answered += 1
            q.answered_in_sl += float(data.get("wait") or 0.0) <= self.sl_seconds(name)
            if agent := data.get("agent"):
                self.agents.setdefault(agent, AgentFigures()).answered += 1
        elif type_ == "queue.abandon":
            if float(data.get("wait") or 0.0) < self.short_abandon:
                q.short_abandoned += 1
            else:
                q.abandoned += 1
        elif type_ == "queue.overflow":
            q.overflowed += 1
        elif type_ == "queue.callback":
            q.callbacks += 1
        elif type_ == "queue.callback_answered":
            q.callbacks_connected += 1
            if agent := data.get("agent"):   # an answered call of the agent's too
                self.agents.setdefault(agent, AgentFigures()).answered += 1
        elif type_ == "queue.complete":
            talk = float(data.get("talk") or 0.0)
            q.handle_times = (q.handle_times + [talk])[-HANDLE_TIMES_KEPT:]
            if (agent := data.get("agent")) and not earlier:
                self.agents.setdefault(agent, AgentFigures()).talk_time += talk

    def _roll(self, ts: float) -> None:
        day = local_day(ts)
        if day <= self.day:
            return
        self.day = day
        self.queues = {name: QueueFigures(handle_times=q.handle_times)
                       for name, q in self.queues.items()}
        self.agents = {}
