"""Call control's rules, in process over a recording stand-in for the switch: who may end
a hold, a blind transfer that cannot reach its target, what the API's errors say."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from fake_switch import FakeSwitch, a_call

from kefu.calls.call import Call
from kefu.calls.control import CallControl, ControlError, Refused, transfer_blind
from kefu.calls.errors import Kind
from kefu.calls.dialplan import DialPlan, Route
from kefu.calls.room import Member, Room
from kefu.calls.switch import Switch
from kefu.config import Settings


def blind(switch: FakeSwitch, call: Call, by: str, target: str, **kw) -> None:
    member = call.room.find(by)
    asyncio.run(transfer_blind(switch, call, member, target, **kw))  # type: ignore[arg-type]


def test_resume_by_a_party_that_does_not_hold_is_a_conflict_naming_the_holder():
    switch = FakeSwitch()
    control, call = CallControl(switch), a_call(switch)   # type: ignore[arg-type]
    control.hold(call.id, "1002")
    with pytest.raises(ControlError) as err:
        control.hold(call.id, "1001", holding=False)
    assert err.value.kind is Kind.CONFLICT and "held by 1002" in str(err.value)
    assert call.room.find("1002").holding                   # still on hold
    control.hold(call.id, "1002", holding=False)            # the holder resumes
    assert not call.room.find("1002").holding
    with pytest.raises(ControlError, match="nobody holds"):
        control.hold(call.id, "1002", holding=False)


@pytest.mark.parametrize("target,kind", [("9999", Kind.NOT_FOUND), ("1003", Kind.CONFLICT)])
def test_a_blind_transfer_to_an_unreachable_target_leaves_the_call_as_it_was(target, kind):
    switch = FakeSwitch({"1003": "busy"})
    call = a_call(switch)
    with pytest.raises(Refused) as err:
        blind(switch, call, "1002", target)
    assert err.value.kind is kind and err.value.code in (404, 486)
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


@pytest.mark.parametrize("code,kind", [(404, Kind.NOT_FOUND), (484, Kind.NOT_FOUND),
                                       (403, Kind.FORBIDDEN), (486, Kind.CONFLICT),
                                       (480, Kind.CONFLICT)])
def test_refusals_say_no_such_number_or_a_conflict(code, kind):
    refused = Refused(code, "x")
    assert refused.kind is kind and refused.code == code and not hasattr(refused, "status")


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
    assert err.value.kind is Kind.NOT_FOUND


def test_a_users_browser_line_is_found_by_username_while_it_is_open():
    switch = FakeSwitch()
    control = CallControl(switch)   # type: ignore[arg-type]
    control.line_owners["1004"] = "sue"
    assert control.line_of("sue") is None                   # not open (any more)
    switch.lines["1004"] = Member("1004", "line", object(), object())
    assert control.line_of("sue") == "1004" and control.line_of("bob") is None


def test_a_blind_transfer_to_a_queue_goes_to_the_handler_registered_for_queues():
    """The switch's destination table decides, not a reference to the ACD: nothing rings."""
    switch = FakeSwitch({"800": "queue"})
    taken: list[tuple[str, str]] = []

    async def take(call: Call, route: Route) -> None:
        taken.append((call.id, route.queue))

    switch.destinations["queue"] = take
    call = a_call(switch)
    blind(switch, call, "1002", "800")
    assert taken == [(call.id, "sales")] and switch.reached == []
    assert switch.dismissed == ["1002"] and call.room.waiting


def test_a_queue_number_with_no_queue_handler_is_refused_as_not_found():
    switch = FakeSwitch({"800": "queue"})
    call = a_call(switch)
    with pytest.raises(Refused) as err:
        blind(switch, call, "1002", "800")
    assert err.value.code == 404 and switch.dismissed == []


def test_the_switch_takes_one_handler_per_route_kind_and_never_for_the_kinds_it_rings():
    switch = Switch(Settings(), None, None, None, None)  # type: ignore[arg-type]

    async def take(call: Call, route: Route) -> None: ...

    switch.register("queue", take)
    assert switch.destinations["queue"] is take
    for kind in ("queue", "extension", "trunk", "refuse", "conference", "prompt"):
        with pytest.raises(ValueError):
            switch.register(kind, take)


@pytest.mark.parametrize("callee,trunk,kind,room", [
    ("*97", None, "prompt", ""), ("*8100", None, "conference", "100"),
    ("*8100", "carrier", "conference", "100"), ("1002", None, "extension", "")])
def test_the_codes_a_phone_dials_route_to_the_switchs_own_destinations(callee, trunk, kind,
                                                                        room):
    settings = Settings()
    plan = DialPlan.from_settings(settings, lambda number: number == "1002")
    switch = Switch(settings, None, None, None, plan)  # type: ignore[arg-type]
    call = Call(caller="1001", callee=callee, a=SimpleNamespace(trunk=trunk))  # type: ignore[arg-type]
    route = switch._incoming_route(call)
    assert (route.kind, route.room) == (kind, room)


def test_the_test_prompt_is_not_offered_to_a_carrier():
    settings = Settings()
    switch = Switch(settings, None, None, None, DialPlan.from_settings(settings, bool))  # type: ignore[arg-type]
    call = Call(caller="0301234", callee="*97", a=SimpleNamespace(trunk="carrier"))  # type: ignore[arg-type]
    assert switch._incoming_route(call) == switch.dialplan.inbound("carrier", "*97")
