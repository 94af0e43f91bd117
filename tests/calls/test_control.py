"""Call control's rules, in process over a recording stand-in for the switch: who may end
a hold, a blind transfer that cannot reach its target, what the API's errors say."""

from __future__ import annotations

import asyncio

import pytest
from fake_switch import FakeSwitch, a_call

from kefu.calls.call import Call
from kefu.calls.control import CallControl, ControlError, Refused, transfer_blind
from kefu.calls.room import Member, Room


def blind(switch: FakeSwitch, call: Call, by: str, target: str, **kw) -> None:
    member = call.room.find(by)
    asyncio.run(transfer_blind(switch, call, member, target, **kw))  # type: ignore[arg-type]


def test_resume_by_a_party_that_does_not_hold_is_a_conflict_naming_the_holder():
    switch = FakeSwitch()
    control, call = CallControl(switch), a_call(switch)   # type: ignore[arg-type]
    control.hold(call.id, "1002")
    with pytest.raises(ControlError) as err:
        control.hold(call.id, "1001", holding=False)
    assert err.value.status == 409 and "held by 1002" in str(err.value)
    assert call.room.find("1002").holding                   # still on hold
    control.hold(call.id, "1002", holding=False)            # the holder resumes
    assert not call.room.find("1002").holding
    with pytest.raises(ControlError, match="nobody holds"):
        control.hold(call.id, "1002", holding=False)


@pytest.mark.parametrize("target,status", [("9999", 404), ("1003", 409)])
def test_a_blind_transfer_to_an_unreachable_target_leaves_the_call_as_it_was(target, status):
    switch = FakeSwitch({"1003": "busy"})
    call = a_call(switch)
    with pytest.raises(Refused) as err:
        blind(switch, call, "1002", target)
    assert err.value.status == status
    assert [m.number for m in call.room.members] == ["1001", "1002"]
    assert switch.dismissed == [] and switch.events == [] and not call.room.waiting


def test_a_blind_transfer_after_a_refer_that_cannot_be_routed_keeps_the_others():
    """The phone's REFER already ended its dialog: it leaves, the caller stays."""
    switch = FakeSwitch()
    call = a_call(switch)
    call.room.add(Member("1005", "third", object(), object()))
    blind(switch, call, "1002", "9999", sip_done=True)
    assert [m.number for m in call.room.members] == ["1001", "1005"]
    assert not call.involves("1002")


def test_a_blind_transfer_leaves_the_transferor_out_of_the_call():
    switch = FakeSwitch({"1003": "free"})
    call = a_call(switch)
    blind(switch, call, "1002", "1003")
    assert switch.reached == ["1003"] and switch.dismissed == ["1002"]
    assert not call.involves("1002") and call.room.waiting


@pytest.mark.parametrize("code,status", [(404, 404), (484, 404), (403, 403), (486, 409),
                                         (480, 409)])
def test_refusals_say_no_such_number_or_a_conflict(code, status):
    assert Refused(code, "x").status == status


def test_conference_rooms_are_listed_with_their_members_and_calls():
    switch = FakeSwitch()
    control = CallControl(switch)   # type: ignore[arg-type]
    shared = switch.conferences.setdefault("100", Room())
    for n in ("1001", "1002"):
        call = Call(caller=n, callee="*8100", conference="100")
        call.a = object()                                  # type: ignore[assignment]
        call.room = shared
        shared.add(Member(n, "conference", call.a, object()))
        switch.calls[call.id] = call
    (room,) = control.rooms()
    assert room["room"] == "100" and room["dial"] == "*8100"
    assert [(m["number"], m["call_id"]) for m in room["members"]] == [
        (c.caller, c.id) for c in switch.calls.values()]
    with pytest.raises(ControlError) as err:
        control.room("200")
    assert err.value.status == 404


def test_a_users_browser_line_is_found_by_username_while_it_is_open():
    switch = FakeSwitch()
    control = CallControl(switch)   # type: ignore[arg-type]
    control.line_owners["1004"] = "sue"
    assert control.line_of("sue") is None                   # not open (any more)
    switch.lines["1004"] = Member("1004", "line", object(), object())
    assert control.line_of("sue") == "1004" and control.line_of("bob") is None
