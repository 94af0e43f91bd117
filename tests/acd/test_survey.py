"""A queue's post-call survey (``survey = "flow:<name>"``): when the agent hangs up first,
the caller is handed to the switch's handler for that flow (the IVR in kefu, a recorder
here) instead of being hung up, and the agent goes into wrap-up as usual; when the caller
hangs up first, or the queue has no survey, the call simply ends."""

from __future__ import annotations

import pytest
from conftest import queue

from kefu.acd.agents import AgentState
from kefu.calls.call import Call
from kefu.calls.dialplan import Route
from kefu.config import ConfigError, QueueConfig, load_settings


class Flows:
    """Stands in for the IVR: records each call handed to a flow."""

    def __init__(self) -> None:
        self.taken: list[tuple[Call, str]] = []

    async def take(self, call: Call, route: Route) -> None:
        self.taken.append((call, route.flow))


def _talking(d, **kw):  # type: ignore[no-untyped-def]
    d.login("alice")
    flows = Flows()
    d.switch.destinations["flow"] = flows.take
    call = d.call("2001")
    d.answer("alice")
    assert d.state("alice") is AgentState.TALKING
    return call, flows


def test_the_agent_hanging_up_sends_the_caller_into_the_survey(desk):
    d = desk(queue(survey="flow:csat", wrap_up=30))
    call, flows = _talking(d)
    d.switch.party_hangs_up(call, "1001")
    assert flows.taken == [(call, "csat")]
    assert not call.ended and call.after == ""        # handed on once
    assert d.state("alice") is AgentState.WRAP_UP
    (done,) = d.of("queue.complete")
    assert done["by"] == "agent" and done["agent"] == "alice"
    d.switch.hang_up(call)                            # the caller leaves the survey
    assert d.of("queue.complete") == [done]           # the agent is not completed twice


def test_the_caller_hanging_up_first_gets_no_survey(desk):
    d = desk(queue(survey="flow:csat"))
    call, flows = _talking(d)
    d.switch.party_hangs_up(call, "2001", by="caller")
    assert flows.taken == [] and call.ended
    assert d.of("queue.complete")[0]["by"] == "caller"
    assert d.state("alice") is AgentState.READY


def test_a_queue_without_a_survey_ends_the_call_when_the_agent_hangs_up(desk):
    d = desk(queue())
    call, flows = _talking(d)
    d.switch.party_hangs_up(call, "1001")
    assert flows.taken == [] and call.ended
    assert d.of("call.ended")[0]["hangup_by"] == "callee"
    assert d.of("queue.complete")[0]["by"] == "agent"


def test_without_an_ivr_the_call_ends_as_before(desk):
    d = desk(queue(survey="flow:csat"))
    d.login("alice")
    call = d.call("2001")
    d.answer("alice")
    d.switch.party_hangs_up(call, "1001")
    assert call.ended and d.of("queue.complete")[0]["by"] == "agent"


@pytest.mark.parametrize("bad", ["csat", "1001", "flow:9x", "flow:"])
def test_the_survey_names_a_flow_or_nothing(tmp_path, bad: str) -> None:
    assert QueueConfig(name="s", number="8001", survey="flow:csat").survey == "flow:csat"
    assert QueueConfig(name="s", number="8001").survey == ""
    path = tmp_path / "kefu.toml"
    path.write_text(f'[[queues]]\nname = "s"\nnumber = "8001"\nsurvey = "{bad}"\n')
    with pytest.raises(ConfigError, match=r"queues\[0\]\.survey: must be flow:<name>"):
        load_settings(path, {})


def test_an_agent_on_a_persistent_line_releasing_the_call_sends_the_caller_too(desk):
    """The desk's hang-up (call control releases the agent's member: ``dismiss`` then
    ``settle``): the line goes home, the caller into the survey."""
    d = desk(queue(survey="flow:csat", members={"alice": 1}, wrap_up=30))
    flows = Flows()
    d.switch.destinations["flow"] = flows.take
    d.acd.login("alice", "1001", ready=True, persistent=True)
    d.switch.line_up("1001")
    call = d.call("2001")
    d.acd.answer("alice")
    line = d.acd.agents["alice"].line
    d.switch.dismiss(call, line)
    d.switch.settle(call, line, by="system")
    assert flows.taken == [(call, "csat")] and not call.ended
    assert d.switch.idle_line("1001") is line and d.state("alice") is AgentState.WRAP_UP
