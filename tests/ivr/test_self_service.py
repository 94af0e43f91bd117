"""Self-service (坐席与IVR互动) in process: an agent sends its caller into a flow and gets
it back, over the real ACD and IVR adapter on the fake switch and clock (the ``Line`` of
``test_calls``): the return with the flow's results, the caller or the agent hanging up
inside, the flow ending otherwise, and what the adapter refuses."""

from __future__ import annotations

import pytest
from fake_switch import incoming, run
from test_calls import Line

from kefu.acd.agents import AgentState
from kefu.calls.call import Call, CallState
from kefu.calls.dialplan import Route
from kefu.calls.errors import ControlError, Kind

PIN = """\
name: pin
start: ask
variables: {checked: "no"}
nodes:
  ask:
    type: collect
    prompt: 请输入四位密码
    into: pin
    min_digits: 4
    max_digits: 4
    next: mark
  mark: {type: set, values: {checked: "yes"}, next: back}
  back: {type: return}
"""

AWAY = """\
name: away
start: ask
nodes:
  ask:
    type: menu
    prompt: 排队请按1，挂机请按2，转接请按3
    choices: {"1": to_sales, "2": bye, "3": to_desk}
  to_sales: {type: queue, queue: sales, data: {from: away}, fallback: bye}
  to_desk: {type: transfer, to: "1003", fallback: bye}
  bye: {type: hangup, prompt: 再见}
"""


@pytest.fixture
def line() -> Line:
    line = Line(wrap_up=30)
    line.publish(PIN)
    line.publish(AWAY)
    line.acd.login("alice", "1001", ready=True)
    return line


def talking(line: Line) -> Call:
    """A caller from the queue ``sales`` whom alice (1001) answered."""
    call = incoming(line.switch, "2001", "600", data={"order": "A7"})
    run(line.acd.take(call, Route(kind="queue", queue="sales")))
    line.switch.answer("1001")
    assert call.state is CallState.CONNECTED and line.acd.agents["alice"].state is AgentState.TALKING
    return call


def agent_of(call: Call):  # type: ignore[no-untyped-def]
    member = call.room.find("1001")
    assert member is not None
    return member


def test_the_caller_walks_the_flow_and_comes_back_to_the_same_agent_with_its_results(
        line: Line) -> None:
    call = talking(line)
    line.ivr.send(call, "pin", "1001", "alice")
    alice = line.acd.agents["alice"]
    assert call.state is CallState.HOSTED and agent_of(call).held     # music, not the caller
    assert alice.state is AgentState.TALKING and alice.call_id == call.id
    assert line.ivr_events("ivr.sent") == [{"flow": "pin", "agent": "alice", "by": "1001"}]
    assert line.said() == ["请输入四位密码"]
    other = incoming(line.switch, "2002", "600")       # alice is not offered another call
    run(line.acd.take(other, Route(kind="queue", queue="sales")))
    assert not line.ivr_events("queue.offer")[1:]
    line.press(call, "4321")
    assert call.state is CallState.CONNECTED and not agent_of(call).held
    assert call.data == {"order": "A7", "pin": "4321", "checked": "yes"}   # merged
    assert call.id not in line.ivr.walks and alice.state is AgentState.TALKING
    assert line.ivr_events("ivr.back") == [{"flow": "pin", "agent": "alice",
                                            "reason": "returned", "keys": ["checked", "pin"]}]
    assert line.ivr_events("ivr.exit")[-1]["reason"] == "returned"
    assert [e.data["keys"] for e in line.events if e.type == "call.data"][-1] == [
        "checked", "order", "pin"]
    line.switch.hang_up(call, "callee")            # the call goes on and ends as any other
    assert alice.state is AgentState.WRAP_UP
    assert line.ivr_events("queue.complete")[0]["by"] == "agent"


def test_the_caller_hanging_up_inside_the_flow_frees_the_agent_and_tells_it(line: Line) -> None:
    call = talking(line)
    line.ivr.send(call, "pin", "1001", "alice")
    line.press(call, "43")
    line.switch.hang_up(call, "caller")
    assert call.ended and call.id not in line.ivr.walks
    assert line.acd.agents["alice"].state is AgentState.WRAP_UP
    assert line.ivr_events("ivr.back")[-1]["reason"] == "caller_hangup"
    assert line.ivr_events("queue.complete")[0]["by"] == "caller"
    n = len(line.events)
    line.clock.advance(10)                   # the collect's timers died with the walk
    assert not [e for e in line.events[n:] if e.type.startswith("ivr.")]


def test_the_agent_hanging_up_inside_leaves_the_caller_to_finish_the_flow_then_the_call_ends(
        line: Line) -> None:
    call = talking(line)
    line.ivr.send(call, "pin", "1001", "alice")
    member = agent_of(call)
    line.switch.dismiss(call, member)                  # the agent's phone hangs up
    line.switch.settle(call, member, "callee")
    assert not call.ended and call.state is CallState.HOSTED
    assert line.acd.agents["alice"].state is AgentState.WRAP_UP
    assert line.ivr_events("queue.complete")[0]["by"] == "ivr"
    assert line.ivr_events("ivr.back")[-1]["reason"] == "agent_hangup"
    line.press(call, "4321")                           # its return has nobody to go to
    assert call.ended and line.ivr_events("ivr.exit")[-1]["reason"] == "returned"


def test_a_flow_that_queues_the_caller_lets_the_agent_go_first(line: Line) -> None:
    call = talking(line)
    line.ivr.send(call, "away", "1001", "alice")
    line.press(call, "1")
    assert line.switch.dismissed == ["1001"] and call.room.find("1001") is None
    assert line.ivr_events("ivr.back")[-1]["reason"] == "queue"
    assert line.acd.agents["alice"].state is AgentState.WRAP_UP
    assert call.state is CallState.QUEUED and call.queue == "sales"
    assert call.data["from"] == "away"


def test_a_flow_that_hangs_up_ends_the_call_and_the_agent_wraps_up(line: Line) -> None:
    call = talking(line)
    line.ivr.send(call, "away", "1001", "alice")
    line.press(call, "2")
    assert call.ended and line.said()[-1] == "再见"
    assert line.ivr_events("ivr.back")[-1]["reason"] == "ended"
    assert line.acd.agents["alice"].state is AgentState.WRAP_UP


def test_a_flow_that_transfers_the_caller_lets_the_agent_go_first(line: Line) -> None:
    line.switch.reachable["1003"] = "free"
    call = talking(line)
    line.ivr.send(call, "away", "1001", "alice")
    line.press(call, "3")
    assert line.switch.dismissed == ["1001"] and line.switch.ringing("1003")
    assert line.ivr_events("ivr.back")[-1]["reason"] == "transfer"
    assert line.acd.agents["alice"].state is AgentState.WRAP_UP
    line.switch.answer("1003")
    assert call.state is CallState.CONNECTED
    assert [m.number for m in call.room.parties] == ["2001", "1003"]


def test_what_cannot_be_sent_is_refused_with_the_call_untouched(line: Line) -> None:
    call = talking(line)
    with pytest.raises(ControlError) as e:
        line.ivr.send(call, "nowhere", "1001", "alice")
    assert e.value.kind is Kind.NOT_FOUND
    with pytest.raises(ControlError) as e:
        line.ivr.send(call, "pin", "1999", "alice")
    assert e.value.kind is Kind.NOT_FOUND
    with pytest.raises(ControlError, match="caller of a two-party call"):
        line.ivr.send(call, "pin", "2001", "alice")    # the caller cannot send itself
    agent_of(call).holding = True
    with pytest.raises(ControlError, match="on hold"):
        line.ivr.send(call, "pin", "1001", "alice")
    agent_of(call).holding = False
    line.ivr.send(call, "pin", "1001", "alice")
    with pytest.raises(ControlError, match="hosted, not connected"):
        line.ivr.send(call, "pin", "1001", "alice")    # already inside
    assert call.state is CallState.HOSTED and len(line.ivr_events("ivr.sent")) == 1


def test_the_api_sends_an_agents_own_caller_and_staff_any_call(api) -> None:  # type: ignore[no-untyped-def]
    from kefu.calls.control import CallControl
    line = Line()
    line.publish(PIN)
    line.switch.reachable["1002"] = "free"
    line.acd.set_skills("agent", {"sales": 1})
    line.acd.login("agent", "1001", ready=True)
    call = incoming(line.switch, "2001", "600")
    run(line.acd.take(call, Route(kind="queue", queue="sales")))
    line.switch.answer("1001")
    path = f"/api/v1/live-calls/{call.id}/ivr"
    assert api.client.post(path, json={"flow": "pin"}, headers=api.as_("agent")).status_code == 503
    api.ctx.control, api.ctx.acd, api.ctx.ivr_calls = CallControl(line.switch), line.acd, line.ivr
    for role in ("qa",):
        assert api.client.post(path, json={"flow": "pin"}, headers=api.as_(role)).status_code == 403
    r = api.client.post(path, json={"flow": "pin", "by": "2001"}, headers=api.as_("agent"))
    assert r.status_code == 403 and "acts as 1001 only" in r.text
    r = api.client.post(path, json={"flow": "no such"}, headers=api.as_("agent"))
    assert r.status_code == 422                                    # not a flow's name
    r = api.client.post(path, json={"flow": "nowhere"}, headers=api.as_("agent"))
    assert r.status_code == 404 and "no published version" in r.text
    assert call.state is CallState.CONNECTED
    r = api.client.post(path, json={"flow": "pin"}, headers=api.as_("agent"))
    assert r.status_code == 202, r.text
    assert call.state is CallState.HOSTED
    r = api.client.post(path, json={"flow": "pin"}, headers=api.as_("supervisor"))
    assert r.status_code == 409                                    # already inside
    line.press(call, "1234")
    r = api.client.post(path, json={"flow": "pin"}, headers=api.as_("supervisor"))
    assert r.status_code == 202, r.text                            # by: the call's agent
    assert line.ivr_events("ivr.sent") == [{"flow": "pin", "agent": "agent", "by": "1001"}] * 2
    line.press(call, "5678")
    assert call.state is CallState.CONNECTED and call.data["pin"] == "5678"
