"""A queue's opening hours (``hours``, a business-hours calendar in the server's local
time) and where callers go outside them (``closed``: a number or ``flow:<name>``; none:
refused with 480), over the fake switch and clock."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import queue
from fake_clock import START
from fake_switch import incoming, run
from pydantic import ValidationError

from kefu.calendar import WEEKDAYS
from kefu.calls.call import Call, CallState, Disposition
from kefu.calls.dialplan import Route
from kefu.config import QueueConfig

NOW = dt.datetime.fromtimestamp(START)          # the fake clock's "now", local time
TODAY = WEEKDAYS[NOW.weekday()]
OPEN = {"week": {TODAY: [f"{NOW.hour:02d}:00-{NOW.hour + 1:02d}:00"]}}
SHUT = {"week": {TODAY: [f"{(NOW.hour + 2) % 22:02d}:00-{(NOW.hour + 2) % 22 + 1:02d}:00"]}}


class Flows:
    def __init__(self) -> None:
        self.taken: list[tuple[Call, str]] = []

    async def take(self, call: Call, route: Route) -> None:
        self.taken.append((call, route.flow))


def test_within_the_hours_callers_wait_as_always(desk):
    d = desk(queue(hours=OPEN, closed="flow:after_hours"))
    call = d.call("2001")
    assert call.state is CallState.QUEUED and d.of("queue.entered")


def test_outside_the_hours_callers_go_to_the_closed_flow(desk):
    d = desk(queue(hours=SHUT, closed="flow:after_hours"))
    flows = Flows()
    d.switch.destinations["flow"] = flows.take
    call = d.call("2001")
    (over,) = d.of("queue.overflow")
    assert over["reason"] == "closed" and over["destination"] == "flow:after_hours"
    assert flows.taken == [(call, "after_hours")] and not d.of("queue.entered")


def test_a_holiday_is_closed_all_day(desk):
    d = desk(queue(hours={**OPEN, "holidays": [NOW.date()]}, closed="1005"))
    call = d.call("2001")
    assert d.of("queue.overflow")[0]["reason"] == "closed" and d.switch.ringing("1005")
    assert call.queue is None


def test_closed_with_nowhere_to_go_is_refused_unavailable(desk):
    d = desk(queue(hours=SHUT))
    call = d.call("2001")
    assert d.of("queue.refused") == [{"queue": "sales", "reason": "closed", "caller": "2001"}]
    assert call.ended and d.of("call.ended")[0]["disposition"] == Disposition.UNAVAILABLE.value
    assert d.of("call.ended")[0]["sip_code"] == 480


def test_a_flow_sending_a_caller_to_a_closed_queue_is_told_why(desk):
    d = desk(queue(hours=SHUT))
    call = incoming(d.switch, "2001", "800")
    why: list[str] = []
    run(d.acd.enqueue(call, "sales", on_refused=why.append))
    assert why == ["closed"] and not call.ended


def test_closed_needs_hours_and_may_not_be_the_queue_itself() -> None:
    with pytest.raises(ValidationError, match="(?s)closed.*needs hours"):
        QueueConfig(name="s", number="8001", closed="flow:after_hours")
    with pytest.raises(ValidationError, match="(?s)closed.*own number"):
        QueueConfig(name="s", number="8001", hours=OPEN, closed="8001")
    with pytest.raises(ValidationError, match="(?s)hours.*HH:MM-HH:MM"):
        QueueConfig(name="s", number="8001", hours={"week": {"mon": ["9-18"]}})
