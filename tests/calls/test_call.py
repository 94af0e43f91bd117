"""The call state machine: only the documented transitions are possible."""

from __future__ import annotations

import pytest

from kefu.calls.call import TRANSITIONS, Call, CallState, IllegalTransition
from kefu.calls.room import Member


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


def _connected(caller: str = "1001", callee: str = "1002") -> tuple[Call, Member, Member]:
    a, b = object(), object()
    call = Call(caller=caller, callee=callee, a=a)   # type: ignore[arg-type]
    call.transition(CallState.RINGING)
    call.transition(CallState.CONNECTED)
    ma, mb = Member(caller, "caller", a, object()), Member(callee, "callee", b, object())
    call.room.add(ma)
    call.room.add(mb)
    return call, ma, mb


def test_a_callee_who_transferred_the_caller_away_is_no_longer_in_the_call():
    call, _, b = _connected()
    call.remove(b)                       # B blind-transferred A to 1003 and left
    call.room.add(Member("1003", "callee", object(), object()))
    assert not call.involves("1002")     # B is free for new calls (no 486)
    assert call.involves("1001") and call.involves("1003")


def test_a_caller_who_transferred_away_is_no_longer_in_the_call():
    call, a, _ = _connected()
    call.remove(a)
    assert call.caller_left and not call.involves("1001") and call.involves("1002")


def test_the_caller_is_in_the_call_before_it_joins_its_room():
    call = Call(caller="1001", callee="1002", a=object())   # type: ignore[arg-type]
    assert call.involves("1001") and call.involves("1002")  # routing: the dialled number too
    call.transition(CallState.RINGING)                       # now its attempt says who rings
    assert call.involves("1001") and not call.involves("1002")
