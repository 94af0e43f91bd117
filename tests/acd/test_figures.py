"""Today's figures folded from queue events: live, replayed, and across midnight."""

from __future__ import annotations

import time
from types import SimpleNamespace

from kefu.acd.figures import DEFAULT_HANDLE_TIME, DayFigures, day_start

NOON = time.mktime((2026, 11, 27, 12, 0, 0, 0, 0, -1))       # local time
TOMORROW = NOON + 86400


class Clock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def _day(clock: Clock) -> DayFigures:
    return DayFigures({"sales": 20.0, "vip": 5.0}.__getitem__, clock)


EVENTS = [   # (type, data, seconds after noon)
    ("queue.entered", {"queue": "sales"}, 0),
    ("queue.entered", {"queue": "sales"}, 1),
    ("queue.entered", {"queue": "vip"}, 2),
    ("queue.connect", {"queue": "sales", "agent": "alice", "wait": 12.0}, 12),
    ("queue.connect", {"queue": "vip", "agent": "bob", "wait": 12.0}, 14),   # over vip's 5 s
    ("queue.abandon", {"queue": "sales", "wait": 40.0}, 41),
    ("queue.overflow", {"queue": "sales", "reason": "max_wait"}, 50),
    ("queue.callback", {"queue": "sales"}, 51),
    ("queue.complete", {"queue": "sales", "agent": "alice", "talk": 30.5}, 60),
    ("queue.complete", {"queue": "vip", "agent": "bob", "talk": 90.0}, 70),
    ("agent.state", {"agent": "alice", "state": "ready"}, 71),              # not a queue event
]


def test_a_day_of_events_folds_into_queue_and_agent_figures():
    figures = _day(Clock(NOON + 100))
    for type_, data, dt in EVENTS:
        figures.apply(type_, data, NOON + dt)
    sales, vip = figures.queue("sales"), figures.queue("vip")
    assert (sales.entered, sales.answered, sales.abandoned, sales.overflowed,
            sales.callbacks) == (2, 1, 1, 1, 1)
    assert sales.service_level == 0.5               # 1 of 2 handled within 20 s
    assert vip.answered == 1 and vip.service_level == 0.0   # 12 s > vip's 5 s target
    assert sales.handle_time() == 30.5 and vip.handle_time() == 90.0
    assert figures.queue("support").handle_time() == DEFAULT_HANDLE_TIME
    assert figures.queue("support").service_level is None
    assert figures.agent("alice").answered == 1 and figures.agent("alice").talk_time == 30.5
    assert figures.agent("bob").answered == 1 and figures.agent("carol").answered == 0


def test_replaying_the_logged_events_gives_the_live_figures():
    live = _day(Clock(NOON + 100))
    for type_, data, dt in EVENTS:
        live.apply(type_, data, NOON + dt)
    restarted = _day(Clock(NOON + 200))
    logged = [SimpleNamespace(type=t, data=d, ts=NOON + dt) for t, d, dt in EVENTS]
    assert restarted.replay(logged) == len(EVENTS)
    assert restarted.queues == live.queues and restarted.agents == live.agents


def test_a_new_day_starts_from_zero_but_keeps_handle_times():
    clock = Clock(NOON)
    figures = _day(clock)
    for type_, data, dt in EVENTS:
        figures.apply(type_, data, NOON + dt)
    clock.t = TOMORROW                                # read on the next day: zero
    sales = figures.queue("sales")
    assert (sales.entered, sales.answered, sales.abandoned) == (0, 0, 0)
    assert sales.service_level is None
    assert sales.handle_time() == 30.5                # the wait estimate keeps its history
    assert figures.agent("alice").answered == 0
    figures.apply("queue.entered", {"queue": "sales"}, TOMORROW + 1)
    figures.apply("queue.entered", {"queue": "sales"}, NOON + 5)   # yesterday's: ignored
    assert figures.queue("sales").entered == 1


def test_an_event_of_the_next_day_rolls_the_figures_over():
    figures = _day(Clock(NOON))
    figures.apply("queue.entered", {"queue": "sales"}, NOON)
    figures.apply("queue.entered", {"queue": "sales"}, TOMORROW)
    assert figures.queues["sales"].entered == 1


def test_day_start_is_local_midnight():
    start = day_start(NOON)
    assert time.localtime(start)[:6] == (2026, 11, 27, 0, 0, 0)
    assert day_start(start) == start and day_start(start - 1) < start


def test_a_connected_callback_is_an_answered_call_of_the_agent_and_counted_by_the_queue():
    figures = _day(Clock(NOON + 100))
    for type_, data, dt in [
            ("queue.callback", {"queue": "sales", "number": "2003"}, 0),
            ("queue.callback_connect", {"queue": "sales", "agent": "alice"}, 10),  # alice's phone
            ("queue.callback_answered", {"queue": "sales", "agent": "alice"}, 14),  # the customer
            ("queue.complete", {"queue": "sales", "agent": "alice", "talk": 20.0}, 30)]:
        figures.apply(type_, data, NOON + dt)
    sales, alice = figures.queue("sales"), figures.agent("alice")
    assert (sales.callbacks, sales.callbacks_connected) == (1, 1)
    assert sales.answered == 0 and sales.service_level is None   # not an inbound answer
    assert (alice.answered, alice.talk_time) == (1, 20.0)
