"""Supervision by call control, in process (fake switch, the real room rules): a browser
line joins listening, switches to whisper and barge in place (same member, same leg: the
mixer matrix changes, nothing else), stops (back to its session, the call untouched), and
moves to another call in one step; a desk phone is rung, then hung up on stop."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from fake_switch import FakeSwitch, Party, a_call

from kefu.calls.control import CallControl, ControlError
from kefu.calls.errors import Kind
from kefu.calls.room import Member, Mode


def hears(call, number: str) -> set[str]:  # type: ignore[no-untyped-def]
    """Whom ``number`` hears in ``call``'s room, by number."""
    member = call.room.find(number)
    by_rtp = {id(m.rtp): m.number for m in call.room.members}
    return {by_rtp[id(src)] for src in call.room.matrix()[member] if id(src) in by_rtp}


@pytest.fixture
def line():  # type: ignore[no-untyped-def]
    switch = FakeSwitch({"1003": "free"})
    control = CallControl(switch)   # type: ignore[arg-type]
    session, member = switch.line_up("1003", Party("1003"), SimpleNamespace(name="sup"))
    return switch, control, a_call(switch), session, member


def test_listen_whisper_barge_switch_in_place_and_stop_gives_the_line_back(line) -> None:  # type: ignore[no-untyped-def]
    switch, control, call, session, member = line
    control.monitor(call.id, "1003", Mode.LISTEN)
    assert call.room.find("1003") is member and member.role == "supervisor"
    assert member not in session.room.members and switch.reached == []   # no phone rung
    assert hears(call, "1003") == {"1001", "1002"}
    assert "1003" not in hears(call, "1001") | hears(call, "1002")

    control.monitor(call.id, "1003", Mode.WHISPER, "1002")
    assert call.room.find("1003") is member and member.mode is Mode.WHISPER   # same leg
    assert "1003" in hears(call, "1002") and "1003" not in hears(call, "1001")
    control.monitor(call.id, "1003", Mode.BARGE)
    assert "1003" in hears(call, "1002") and "1003" in hears(call, "1001")
    assert member.whisper_to is None
    modes = [d["mode"] for t, d in switch.events if t == "call.monitor"]
    assert modes == ["whisper", "barge"] and switch.reached == []

    control.stop_monitor(call.id, "1003")
    assert [m.number for m in call.room.members] == ["1001", "1002"]    # the call goes on
    assert not call.ended and member in session.room.members and member.role == "line"
    assert hears(call, "1001") == {"1002"} and hears(call, "1002") == {"1001"}
    assert not member.sip.hung_up                                       # the line stays up
    with pytest.raises(ControlError) as err:
        control.stop_monitor(call.id, "1003")                           # not any more
    assert err.value.kind is Kind.NOT_FOUND and "does not supervise" in str(err.value)


def test_a_line_moves_to_another_call_in_one_step(line) -> None:  # type: ignore[no-untyped-def]
    switch, control, first, session, member = line
    control.monitor(first.id, "1003", Mode.BARGE)
    second = a_call(switch)
    control.monitor(second.id, "1003", Mode.LISTEN)
    assert first.room.find("1003") is None and second.room.find("1003") is member
    assert member.mode is Mode.LISTEN and control.supervising("1003") is second


def test_a_party_is_not_made_a_supervisor_and_whisper_needs_a_target(line) -> None:  # type: ignore[no-untyped-def]
    switch, control, call, _, _ = line
    with pytest.raises(ControlError) as err:
        control.monitor(call.id, "1002", Mode.LISTEN)
    assert err.value.kind is Kind.CONFLICT and "a party" in str(err.value)
    with pytest.raises(ControlError) as err:
        control.monitor(call.id, "1003", Mode.WHISPER)
    assert err.value.kind is Kind.INVALID
    with pytest.raises(ControlError) as err:
        control.stop_monitor(call.id, "1002")                           # a party stays
    assert err.value.kind is Kind.NOT_FOUND and call.room.find("1002") is not None
    with pytest.raises(ControlError) as err:
        control.stop_monitor("nope", "1003")
    assert err.value.kind is Kind.NOT_FOUND


def test_a_desk_phone_is_rung_then_hung_up_on_stop() -> None:
    switch = FakeSwitch({"1005": "free"})
    control = CallControl(switch)   # type: ignore[arg-type]
    call = a_call(switch)
    control.monitor(call.id, "1005", Mode.LISTEN)
    (attempt,) = switch.attempts
    assert attempt.number == "1005" and attempt.caller_id == "kefu"
    phone = Member("1005", "supervisor", Party("1005"), object(), mode=Mode.LISTEN)  # type: ignore[arg-type]
    switch.join(call, phone)                                            # it answered
    control.monitor(call.id, "1005", Mode.BARGE)
    assert phone.mode is Mode.BARGE and len(switch.attempts) == 1       # not rung again
    control.stop_monitor(call.id, "1005")
    assert phone.sip.hung_up and [m.number for m in call.room.members] == ["1001", "1002"]
    assert not call.ended
