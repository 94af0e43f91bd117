"""Recording policies, segments and on-demand control, in process: the pure rules
(kefu.calls.recording), then the real switch's recording parts over a real media engine
(no SIP: the parties are engine legs), then call control's verbs and the transfers over
the stand-in switch."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from fake_switch import FakeSwitch, a_call

from kefu.bus import Event
from kefu.calls.call import Call, CallState, Disposition
from kefu.calls.control import CallControl, ControlError, Kind, transfer_attended, transfer_blind
from kefu.calls.recording import Facts, NotNow, Segment, decide, direction
from kefu.calls.room import Member
from kefu.calls.switch import Switch
from kefu.config import ConfigError, RecordingSettings, Settings, load_settings
from kefu.media import MediaEngine

pytestmark = pytest.mark.timeout(30)

RULES = {"default": "always", "rules": [
    {"name": "hr", "record": "never", "callee": "8[0-9]{3}"},
    {"name": "vip", "record": "always", "queue": "vip"},
    {"name": "no-internal", "record": "never", "direction": "internal"},
    {"name": "bob-out", "record": "never", "agent": "bob", "direction": "outbound",
     "trunk": "carrier"},
]}


def facts(**kw: object) -> Facts:
    base: dict = {"caller": "13800138000", "callee": "600", "direction": "inbound"}
    return Facts(**{**base, **kw})  # type: ignore[arg-type]


# --- the rules -----------------------------------------------------------------------------

def test_without_rules_every_call_is_recorded_under_all() -> None:
    assert decide(RecordingSettings(), facts()) == (True, "all")
    assert decide(RecordingSettings(default="never"), facts()) == (False, "default")
    assert decide(RecordingSettings(enabled=False), facts()) == (False, "disabled")


@pytest.mark.parametrize("case,expected", [
    ({"callee": "8001"}, (False, "hr")),                             # the HR line, first
    ({"callee": "8001", "queue": "vip"}, (False, "hr")),              # first match wins
    ({"callee": "80011"}, (True, "default")),                        # a whole-number regex
    ({"queue": "vip", "direction": "internal"}, (True, "vip")),
    ({"direction": "internal"}, (False, "no-internal")),
    ({"agent": "bob", "direction": "outbound", "trunk": "carrier"}, (False, "bob-out")),
    ({"agent": "bob", "direction": "outbound", "trunk": "other"}, (True, "default")),
    ({"agent": "amy", "direction": "outbound", "trunk": "carrier"}, (True, "default")),
])
def test_the_first_rule_that_matches_decides(case: dict, expected: tuple) -> None:
    assert decide(RecordingSettings.model_validate(RULES), facts(**case)) == expected


def test_direction_comes_from_the_trunks() -> None:
    assert direction("carrier", None) == "inbound"
    assert direction(None, "carrier") == "outbound"
    assert direction(None, None) == "internal"


def test_rules_load_from_the_file_and_bad_ones_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "kefu.toml"
    path.write_text('[recording]\ndefault = "never"\nbeep_every = 15\n'
                    '[[recording.rules]]\nname = "hr"\nrecord = "never"\ncallee = "8[0-9]{3}"\n'
                    '[[recording.rules]]\nname = "sales"\nrecord = "always"\nqueue = "sales"\n')
    rec = load_settings(path, {}).recording
    assert [r.name for r in rec.rules] == ["hr", "sales"] and rec.beep_every == 15
    for bad, says in [('[[recording.rules]]\nname = "x"\nrecord = "sometimes"\n', "record"),
                      ('[[recording.rules]]\nname = "x"\nrecord = "never"\ncaller = "("\n',
                       "caller"),
                      ('[[recording.rules]]\nname = "x"\nrecord = "never"\n'
                       '[[recording.rules]]\nname = "x"\nrecord = "always"\n', "duplicate"),
                      ('[recording]\nbeep_every = 1\n', "beep_every"),
                      ('[[recording.rules]]\nname = "x"\nrecord = "never"\nday = "mon"\n', "day")]:
        path.write_text(bad)
        with pytest.raises(ConfigError, match=says):
            load_settings(path, {})


def test_a_segment_pauses_once_and_its_spans_close_with_the_file() -> None:
    seg = Segment(1, "all")
    seg.pause(1.0)
    with pytest.raises(NotNow):
        seg.pause(2.0)
    assert seg.resume(2.5) == (1.0, 2.5)
    with pytest.raises(NotNow):
        seg.resume(3.0)
    seg.pause(4.0)
    assert seg.spans(5.0) == [(1.0, 2.5), (4.0, 5.0)]


# --- the switch's recording parts, with real media -------------------------------------------

class Events:
    def __init__(self) -> None:
        self.all: list[Event] = []

    def publish(self, event: Event) -> None:
        self.all.append(event)

    def of(self, call: Call, prefix: str = "call.recording") -> list[tuple[str, dict]]:
        return [(e.type, e.data) for e in self.all
                if e.call_id == call.id and e.type.startswith(prefix)]


class party:
    """A dialog stand-in: what the switch asks of a party's SIP side."""

    def __init__(self, number: str, trunk: str | None = None) -> None:
        self.number, self.trunk = number, trunk

    def hangup(self) -> None:
        pass

    def dialog_id(self) -> None:
        return None


@pytest.fixture
async def rig(tmp_path: Path):
    """(make a switch with these [recording] settings, make a connected call)."""
    engine = MediaEngine("127.0.0.1", 26000, 26199)
    await engine.start()
    events = Events()
    switches: list[Switch] = []

    def make_switch(**recording: object) -> Switch:
        settings = Settings(data_dir=tmp_path,
                            recording=RecordingSettings.model_validate(recording))
        switch = Switch(settings, None, engine, events, None)  # type: ignore[arg-type]
        switches.append(switch)
        return switch

    async def make_call(switch: Switch, caller: str = "1001", callee: str = "1002",
                        trunk: str | None = None, **kw: object) -> Call:
        a = party(caller, trunk)
        call = Call(caller=caller, callee=callee, a=a, **kw)  # type: ignore[arg-type]
        switch.calls[call.id] = call
        call.transition(CallState.RINGING)
        call.transition(CallState.CONNECTED)
        for number, sip in ((caller, a), (callee, party(callee))):
            rtp = await engine.open_leg(number)
            switch.join(call, Member(number, "caller" if sip is a else "callee", sip, rtp),
                        quiet=True)
        return call

    yield make_switch, make_call, events
    for switch in switches:
        for call in list(switch.calls.values()):
            await switch._close_segment(call)
    await engine.stop()


async def test_a_never_rule_skips_the_recording_and_names_itself(rig) -> None:
    make_switch, make_call, events = rig
    switch = make_switch(**RULES)
    call = await make_call(switch, callee="8001")
    switch.start_recording(call)
    assert call.recorder is None
    assert events.of(call) == [("call.recording_skipped", {"policy": "hr", "segment": 1})]
    with pytest.raises(NotNow, match="'hr' says never"):          # not on demand either
        switch.start_recording(call, by="alice")


async def test_the_rule_sees_the_queue_and_agent_known_at_connect(rig) -> None:
    make_switch, make_call, events = rig
    switch = make_switch(**RULES)
    call = await make_call(switch, caller="1001", callee="600", queue="vip", agent="amy")
    call.room.find("600").role = "agent"                 # as the ACD connects it
    switch.start_recording(call)
    ((kind, data),) = events.of(call)
    assert kind == "call.recording_started"
    assert (data["policy"], data["segment"], data["agent"], data["parties"]) == (
        "vip", 1, "amy", ["600"])
    assert data["linked_to"] is None and Path(data["path"]).name == f"{call.id}.wav"


async def test_on_demand_start_stop_pause_resume_and_the_spans(rig) -> None:
    make_switch, make_call, events = rig
    switch = make_switch(default="never", rules=[])
    call = await make_call(switch)
    switch.start_recording(call)
    assert call.recorder is None and events.of(call)[-1][1]["policy"] == "default"
    switch.start_recording(call, by="alice")                      # default never: allowed
    assert call.describe()["recording"] == "recording"
    with pytest.raises(NotNow, match="already"):
        switch.start_recording(call, by="alice")
    await asyncio.sleep(0.3)
    switch.pause_recording(call, "alice")
    assert call.recorder.paused and call.describe()["recording"] == "paused"
    await asyncio.sleep(0.3)
    switch.resume_recording(call, "bob")
    await asyncio.sleep(0.2)
    path = call.recorder.path
    await switch.stop_recording(call, by="bob")
    with pytest.raises(NotNow, match="not being recorded"):
        await switch.stop_recording(call, by="bob")
    got = events.of(call)
    kinds = [k for k, _ in got]
    assert kinds == ["call.recording_skipped", "call.recording_started",
                     "call.recording_paused", "call.recording_resumed", "call.recording"]
    started, paused, resumed, closed = (d for _, d in got[1:])
    assert (started["policy"], started["by"]) == ("on_demand", "alice")
    assert paused["by"] == "alice" and resumed["by"] == "bob"
    assert 0.2 <= paused["at"] < resumed["at"] - 0.2
    assert closed["paused"] == [(paused["at"], resumed["at"])] and closed["by"] == "bob"
    assert sf.info(path).duration == pytest.approx(closed["duration"], abs=0.03)
    assert closed["duration"] >= resumed["at"] + 0.1


async def test_each_transfer_segment_is_a_new_file_of_the_same_call(rig) -> None:
    make_switch, make_call, events = rig
    switch = make_switch()
    call = await make_call(switch)
    switch.start_recording(call)
    switch.end_segment(call)                  # a transfer: the next party is the next segment
    assert call.recorder is None
    switch.start_recording(call)
    await asyncio.sleep(0.1)
    await switch._close_segment(call)
    got = events.of(call)
    assert [(k, d["segment"]) for k, d in got] == [
        ("call.recording_started", 1), ("call.recording_started", 2),
        ("call.recording", 1), ("call.recording", 2)]
    paths = [Path(d["path"]).name for k, d in got if k == "call.recording"]
    assert paths == [f"{call.id}.wav", f"{call.id}-2.wav"]


async def test_a_segment_a_transfer_ended_is_reported_before_the_calls_end(rig) -> None:
    make_switch, make_call, events = rig
    switch = make_switch()
    call = await make_call(switch)
    switch.start_recording(call)
    switch.end_segment(call)
    await switch.end(call, Disposition.ANSWERED, "caller", 200)
    kinds = [e.type for e in events.all if e.call_id == call.id]
    assert kinds[-2:] == ["call.recording", "call.ended"]


async def test_a_consultation_call_links_to_the_customers_call(rig) -> None:
    make_switch, make_call, events = rig
    switch = make_switch()
    customer = await make_call(switch, caller="13800138000", callee="1002", trunk="carrier")
    switch.start_recording(customer)
    consult = await make_call(switch, caller="1002", callee="1003")   # the agent asks 1003
    switch.start_recording(consult)
    assert events.of(consult)[0][1]["linked_to"] == customer.id
    # and the consultation's own consultation still names the customer's call
    third = await make_call(switch, caller="1003", callee="1004")
    switch.start_recording(third)
    assert events.of(third)[0][1]["linked_to"] == customer.id
    assert events.of(customer)[0][1]["linked_to"] is None


async def test_a_beep_goes_into_the_file_every_so_often(rig) -> None:
    make_switch, make_call, events = rig
    switch = make_switch()
    # 5 s at least in a config file; a unit test has no time for that
    switch.settings = switch.settings.model_copy(update={
        "recording": RecordingSettings.model_construct(beep_every=0.5)})
    call = await make_call(switch)
    switch.start_recording(call)
    path = call.recorder.path
    players = switch.media.stats["players"]
    await asyncio.sleep(0.6)
    assert switch.media.stats["players"] == players + 2     # both parties hear it
    await asyncio.sleep(0.3)
    await switch._close_segment(call)
    data, rate = sf.read(path, dtype="int16")
    for ch in (0, 1):
        loud = (abs(data[:, ch]) > 1000).sum() / rate
        assert 0.12 <= loud <= 0.2, loud         # one 200 ms beep of a 3000-high sine
    assert not data[: rate // 4].any()           # nothing before it (the parties are silent)


# --- call control's verbs and the transfers, over the stand-in ---------------------------------

def test_the_api_verbs_say_conflict_with_a_reason() -> None:
    switch = FakeSwitch()
    control, call = CallControl(switch), a_call(switch)   # type: ignore[arg-type]

    def act(action: str) -> None:
        asyncio.run(control.recording(call.id, action, "alice"))

    for action, says in [("stop", "not being recorded"), ("pause", "not being recorded")]:
        with pytest.raises(ControlError, match=says) as err:
            act(action)
        assert err.value.kind is Kind.CONFLICT
    act("start")
    act("pause")
    with pytest.raises(ControlError, match="already paused"):
        act("pause")
    act("resume")
    with pytest.raises(ControlError, match="is one of") as err:
        act("rewind")
    assert err.value.kind is Kind.INVALID
    act("stop")
    call.transition(CallState.ENDED)
    with pytest.raises(ControlError) as err:
        act("start")
    assert err.value.kind is Kind.NOT_FOUND


def test_a_blind_transfer_ends_the_segment_and_the_target_starts_the_next() -> None:
    switch = FakeSwitch({"1003": "free"})
    call = a_call(switch)
    switch.start_recording(call)
    asyncio.run(transfer_blind(switch, call, call.room.find("1002"), "1003"))  # type: ignore[arg-type]
    assert call.segment is None and call.segments == 1      # nobody to record while it rings
    switch.answer("1003")
    assert call.segment is not None and call.segment.number == 2


def test_an_attended_transfer_goes_on_in_the_next_segment() -> None:
    switch = FakeSwitch()
    call, other = a_call(switch), Call(caller="1002", callee="1003")
    other.transition(CallState.RINGING)
    other.transition(CallState.CONNECTED)
    other.room.add(Member("1002", "caller", object(), object()))   # type: ignore[arg-type]
    other.room.add(Member("1003", "callee", object(), object()))   # type: ignore[arg-type]
    switch.start_recording(call)
    asyncio.run(transfer_attended(switch, call, call.room.find("1002"), other))  # type: ignore[arg-type]
    assert call.segment is not None and call.segment.number == 2
    assert [m.number for m in call.room.parties] == ["1001", "1003"]


async def test_the_announcement_plays_to_every_party_once_per_call(rig, tmp_path) -> None:
    make_switch, make_call, events = rig
    notice = tmp_path / "prompts" / "notice.wav"
    notice.parent.mkdir()
    sf.write(notice, np.zeros(800, dtype=np.int16), 8000, subtype="PCM_16")
    switch = make_switch(announce="notice.wav")
    await switch.start()
    assert switch.announcement == notice
    call = await make_call(switch)
    players = switch.media.stats["players"]
    switch.start_recording(call)
    assert switch.media.stats["players"] == players + 2      # caller and callee hear it
    switch.end_segment(call)
    switch.start_recording(call)                              # a transfer: not again
    assert switch.media.stats["players"] == players + 2


async def test_an_announcement_that_cannot_be_had_is_none(rig) -> None:
    make_switch, _, _ = rig
    switch = make_switch(announce="missing.wav")
    await switch.start()
    assert switch.announcement is None
    switch = make_switch(announce="本次通话可能被录音")
    switch.speak = lambda text: Path("/spoken.wav") if "录音" in text else Path("/x")
    await switch.start()
    assert switch.announcement == Path("/spoken.wav")
