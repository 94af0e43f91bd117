"""The post-call survey end to end in process: the hotline queues the caller, alice
answers, alice hangs up first, and the queue's ``survey`` flow (the real IVR adapter)
asks the caller for a score; the score is an ``ivr.survey`` event on the call."""

from __future__ import annotations

from test_calls import Line

from kefu.acd.agents import AgentState
from kefu.calls.call import Call, CallState

CSAT = """\
name: csat
start: ask
nodes:
  ask:
    type: survey
    prompt: 请为本次服务打分，满意请按5，不满意请按1
    invalid_prompt: 请按1到5
    next: thanks
  thanks: {type: hangup, prompt: 谢谢您的评价}
"""


def _connected(line: Line) -> Call:
    line.publish(CSAT)
    line.acd.login("alice", "1001", ready=True)
    call = line.dial()
    line.press(call, "114321")
    line.switch.answer("1001")
    assert call.state is CallState.CONNECTED
    return call


def test_the_agent_hangs_up_and_the_caller_scores_the_call() -> None:
    line = Line(survey="flow:csat", wrap_up=20)
    call = _connected(line)
    line.switch.party_hangs_up(call, "1001")
    assert not call.ended and call.id in line.ivr.walks
    assert line.said()[-1] == "请为本次服务打分，满意请按5，不满意请按1"
    assert line.acd.agents["alice"].state is AgentState.WRAP_UP
    line.press(call, "7")                       # not a score: asked again
    assert line.said()[-2:] == ["请按1到5", "请为本次服务打分，满意请按5，不满意请按1"]
    line.press(call, "4")
    assert line.ivr_events("ivr.survey") == [{"flow": "csat", "node": "ask", "score": 4}]
    assert line.said()[-1] == "谢谢您的评价" and call.ended
    assert line.ivr_events("ivr.start")[-1]["flow"] == "csat"


def test_the_caller_hanging_up_first_is_not_surveyed() -> None:
    line = Line(survey="flow:csat")
    call = _connected(line)
    line.switch.party_hangs_up(call, "2001", by="caller")
    assert call.ended and not line.ivr_events("ivr.survey")
    assert [e["flow"] for e in line.ivr_events("ivr.start")] == ["hotline"]


def test_a_survey_flow_not_published_ends_the_call() -> None:
    line = Line(survey="flow:missing")
    call = _connected(line)
    line.switch.party_hangs_up(call, "1001")
    assert call.ended and not line.ivr_events("ivr.survey")
