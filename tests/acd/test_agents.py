"""The agent state machine: which changes are allowed, and what a change records."""

from __future__ import annotations

import pytest

from kefu.acd.agents import TRANSITIONS, Agent, AgentState, AgentStateError
from kefu.calls.errors import ControlError, Kind

S = AgentState


def test_a_working_day() -> None:
    agent = Agent("alice", {"sales": 5})
    path = [S.NOT_READY, S.READY, S.RESERVED, S.TALKING, S.ON_HOLD, S.TALKING, S.WRAP_UP,
            S.READY, S.RESERVED, S.READY, S.AWAY, S.READY, S.LOGGED_OUT]
    for i, state in enumerate(path):
        old = agent.move(state, now=float(i))
        assert agent.state is state and agent.since == float(i)
        assert old is (path[i - 1] if i else S.LOGGED_OUT)
    assert not agent.logged_in


@pytest.mark.parametrize("start,to", [
    (S.LOGGED_OUT, S.TALKING), (S.LOGGED_OUT, S.WRAP_UP), (S.NOT_READY, S.RESERVED),
    (S.AWAY, S.RESERVED), (S.RESERVED, S.WRAP_UP), (S.RESERVED, S.ON_HOLD),
    (S.WRAP_UP, S.ON_HOLD), (S.READY, S.WRAP_UP),
])
def test_forbidden_changes(start: AgentState, to: AgentState) -> None:
    agent = Agent("bob", {}, state=start)
    with pytest.raises(AgentStateError, match=f"cannot become {to.value}"):
        agent.move(to)
    assert agent.state is start


def test_every_state_can_log_out_and_only_not_ready_keeps_a_reason() -> None:
    for state in S:
        if state is not S.LOGGED_OUT:
            assert S.LOGGED_OUT in TRANSITIONS[state], state
    agent = Agent("carol", {}, state=S.READY)
    agent.move(S.NOT_READY, "lunch")
    assert agent.reason == "lunch"
    agent.move(S.READY, "lunch")
    assert agent.reason == ""


def test_describe_reports_time_in_state() -> None:
    agent = Agent("dave", {"sales": 3}, extension="1004", state=S.READY, since=100.0)
    d = agent.describe(now=112.5)
    assert d["state"] == "ready" and d["in_state"] == 12.5 and d["skills"] == {"sales": 3}
    assert d["persistent_line"] is False
    error = AgentStateError("x")
    assert isinstance(error, ControlError) and error.kind is Kind.CONFLICT   # HTTP 409
