"""A queue's overflow naming an IVR flow (``flow:<name>``): the ACD hands the caller to the
switch's handler for flows (the IVR in kefu, a recorder here) instead of ringing a number;
the config refuses a flow destination that is no flow name."""

from __future__ import annotations

import pytest
from conftest import queue
from pydantic import ValidationError

from kefu.calls.call import Call, CallState, Disposition
from kefu.calls.dialplan import Route
from kefu.config import QueueConfig


class Flows:
    """Stands in for the IVR: records each call handed to a flow."""

    def __init__(self) -> None:
        self.taken: list[tuple[Call, str]] = []

    async def take(self, call: Call, route: Route) -> None:
        self.taken.append((call, route.flow))


def test_max_wait_hands_the_caller_to_the_overflow_flow(desk):
    d = desk(queue(max_wait=30, overflow="flow:after_hours"))
    flows = Flows()
    d.switch.destinations["flow"] = flows.take
    call = d.call("2001")
    d.clock.advance(30.1)
    (over,) = d.of("queue.overflow")
    assert over["reason"] == "max_wait" and over["destination"] == "flow:after_hours"
    assert flows.taken == [(call, "after_hours")]
    assert call.queue is None and not call.ended and d.switch.ringing() == []
    assert d.acd.queue_status("sales")["waiting"] == 0


def test_a_full_queue_sends_the_next_caller_into_the_flow(desk):
    d = desk(queue(max_length=1, overflow="flow:hotline"))
    flows = Flows()
    d.switch.destinations["flow"] = flows.take
    first = d.call("2001")
    second = d.call("2002")
    assert d.of("queue.overflow")[0]["reason"] == "full"
    assert flows.taken == [(second, "hotline")] and first.queue == "sales"


def test_without_an_ivr_the_overflow_flow_is_refused_and_the_call_ends(desk):
    d = desk(queue(max_wait=5, overflow="flow:hotline"))
    call = d.call("2001")
    d.clock.advance(5.1)
    assert call.ended and d.of("call.ended")[0]["disposition"] == Disposition.FAILED.value
    assert d.of("call.ended")[0]["sip_code"] == 404


def test_the_overflow_may_name_a_flow_but_not_a_bad_one() -> None:
    assert QueueConfig(name="s", number="8001", overflow="flow:hotline").overflow == \
        "flow:hotline"
    with pytest.raises(ValidationError, match="(?s)overflow.*must be flow:<name>"):
        QueueConfig(name="s", number="8001", overflow="flow:9 bad")


def test_a_queued_call_handed_to_a_flow_may_be_hosted() -> None:
    call = Call(caller="2001", callee="8001")
    call.transition(CallState.QUEUED)
    call.transition(CallState.HOSTED)
    assert call.state is CallState.HOSTED
