"""The call state machine: only the documented transitions are possible."""

from __future__ import annotations

import pytest

from kefu.cti.call import TRANSITIONS, Call, CallState, IllegalTransition


def test_a_call_walks_the_happy_path():
    call = Call(caller="1001", callee="1002")
    assert call.state is CallState.ROUTING and call.involves("1002")
    for state in (CallState.RINGING, CallState.CONNECTED, CallState.ENDED):
        call.transition(state)
    assert call.ended and not call.involves("1001")


@pytest.mark.parametrize("start", list(CallState))
def test_every_undocumented_transition_is_refused(start):
    for target in CallState:
        call = Call(caller="1", callee="2")
        call.state = start
        if target in TRANSITIONS[start]:
            call.transition(target)
            assert call.state is target
        else:
            with pytest.raises(IllegalTransition):
                call.transition(target)
            assert call.state is start


def test_ended_is_final_and_reachable_from_every_live_state():
    assert TRANSITIONS[CallState.ENDED] == set()
    assert all(CallState.ENDED in TRANSITIONS[s] for s in CallState if s is not CallState.ENDED)
