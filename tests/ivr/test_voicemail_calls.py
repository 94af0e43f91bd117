"""Voicemail on calls in process: a flow's ``voicemail`` node records a message over the
fake switch and clock (the fake's recorder writes a tone WAV when closed), the message is
saved, evented, mailed and counted for the phones; phone retrieval's state machine."""

from __future__ import annotations

import datetime as dt
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fake_clock import FakeClock
from fake_switch import FakeSwitch, incoming, run

from kefu.bus import Event, LocalBus
from kefu.calls.call import Call
from kefu.calls.dialplan import DialPlan, Route
from kefu.config import ConfigError, DialPlanSettings, load_settings
from kefu.events import check
from kefu.ivr import steps as s
from kefu.ivr.calls import IvrCalls
from kefu.ivr.flowcheck import load
from kefu.ivr.retrieve import Retrieve
from kefu.ivr.records import Mailbox, Message, PublishedFlow
from kefu.ivr.retrieval import (PROMPTS, WAITS, CheckPin, Heard, MarkMessage, Opened,
                                Retrieval, State)
from kefu.ivr.service import Ivr
from kefu.ivr.stats import tally
from kefu.ivr.taking import SILENCE_SECONDS, Desk

AFTER_HOURS = """\
name: after_hours
start: leave
nodes:
  leave: {type: voicemail, mailbox: "1001", prompt: 请在提示音后留言, max_seconds: 30, next: thanks}
  thanks: {type: hangup, prompt: 谢谢}
"""


class Spoken:
    """Sounds that speak nothing: each item's text as a path."""

    async def files(self, item: s.Item) -> list[Path]:
        return [Path(item.path or item.text or item.file or "-")]


class Mail:
    """A mailer that keeps what it was asked to send (``fail``: it raises instead)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Mailbox, Message, bytes]] = []
        self.fail = False

    async def send_voicemail(self, to: str, mailbox: Mailbox, message: Message,
                             wav: Path) -> None:
        if self.fail:
            raise OSError("connection refused")
        self.sent.append((to, mailbox, message, wav.read_bytes()))


class Office:
    """A mailbox for 1001 (its email set), the IVR over the fake switch and clock."""

    def __init__(self, ivr: Ivr, tmp_path: Path, flow: str = AFTER_HOURS) -> None:
        self.vm = ivr.voicemail
        self.box = self.vm.create_mailbox("extension", "1001", "2580", "ann@example.com")
        self.clock, self.bus = FakeClock(), LocalBus()
        self.events: list[Event] = []
        self.bus.subscribe(self.events.append)
        self.switch = FakeSwitch({"1001": "free"}, bus=self.bus, clock=self.clock)
        self.mail = Mail()
        self.waiting: list[tuple[str, int, int]] = []
        self.desk = Desk(self.vm, tmp_path / "beep.wav", mail=self.mail,
                         waiting=lambda ext, new, old: self.waiting.append((ext, new, old)))
        parsed = load(flow)
        self.ivr = IvrCalls(self.switch, self.bus,
                            lambda: {parsed.name: PublishedFlow(parsed.name, 1, parsed)},
                            Spoken(), self.clock, voicemail=self.desk)
        self.switch.destinations["flow"] = self.ivr.take

    def dial(self, caller: str = "13800138000", say: bool = True) -> Call:
        """A caller reaches the flow (and, with ``say``, says something once recording)."""
        call = incoming(self.switch, caller, "800")
        run(self.ivr.take(call, Route(kind="flow", flow="after_hours")))
        if say and call.id in self.switch.listening:
            self.speak(call)
        return call

    def speak(self, call: Call) -> None:
        """The caller says something (one loud frame through the tap)."""
        self.switch.listening[call.id].on_frame(np.full(160, 3000, dtype=np.int16))

    def press(self, call: Call, keys: str) -> None:
        for key in keys:
            self.switch.publish(call, "call.dtmf", digit=key, leg="caller", number=call.caller)

    def voicemail_events(self) -> list[dict[str, Any]]:
        found = [e for e in self.events if e.type == "ivr.voicemail"]
        for e in found:
            check(e)
        return [e.data for e in found]


@pytest.fixture
def office(ivr: Ivr, tmp_path: Path) -> Office:
    return Office(ivr, tmp_path)


def test_hash_ends_the_message_which_is_saved_mailed_and_counted(office: Office) -> None:
    call = office.dial()
    # the flow's prompt, then the beep, then recording
    assert [p.name for p in office.switch.prompts] == ["请在提示音后留言", "beep.wav"]
    (recording,) = office.switch.recorders
    assert recording.path.parent == office.vm.directory / "extension" / "1001"
    recording.seconds = 7.5
    office.press(call, "5#")            # 5 is part of the message; # ends it
    assert recording.closed
    (message,) = office.vm.messages([office.box.id])
    assert (message.caller, message.duration, message.status, message.done) == (
        "13800138000", 7.5, "new", False)
    assert office.vm.file(message) == recording.path and recording.path.is_file()
    (event,) = office.voicemail_events()
    assert event == {"flow": "after_hours", "node": "leave", "mailbox": office.box.id,
                     "message_id": message.id, "duration": 7.5, "reason": "key"}
    (to, box, mailed, wav), = office.mail.sent
    assert (to, box.id, mailed.id) == ("ann@example.com", office.box.id, message.id)
    assert wav == recording.path.read_bytes() and wav[:4] == b"RIFF"
    assert office.waiting == [("1001", 1, 0)]
    # the flow goes on: thanks, and the call ends
    assert office.switch.prompts[-1].name == "谢谢" and call.ended
    office.vm.mark(message.id, "saved")   # heard elsewhere (the web page): the light goes out
    assert office.waiting[-1] == ("1001", 0, 1)
    office.vm.mark_done(message.id, "alice")
    assert len(office.waiting) == 2       # the follow-up is not a count the phone shows


def test_silence_ends_the_message(office: Office) -> None:
    call = office.dial()
    (recording,) = office.switch.recorders
    tap = office.switch.listening[call.id]
    talk, hush = np.full(160, 3000, dtype=np.int16), np.full(160, 50, dtype=np.int16)
    for second in range(2 + SILENCE_SECONDS):        # two seconds of talk, then quiet
        for _ in range(50):
            tap.on_frame(talk if second < 2 else hush)
        office.clock.advance(1)
        assert recording.closed is (second == 1 + SILENCE_SECONDS), second
    assert tap.closed and office.voicemail_events()[0]["reason"] == "silence"
    assert call.ended and len(office.vm.messages([office.box.id])) == 1


def test_a_quiet_line_that_speaks_again_is_not_ended(office: Office) -> None:
    call = office.dial()
    (recording,) = office.switch.recorders
    tap = office.switch.listening[call.id]
    for second in range(3 * SILENCE_SECONDS):        # a word every few seconds
        for i in range(50):
            loud = second % (SILENCE_SECONDS - 1) == 0 and i < 10
            tap.on_frame(np.full(160, 3000 if loud else 0, dtype=np.int16))
        office.clock.advance(1)
    assert not recording.closed
    office.press(call, "#")
    assert recording.closed


def test_max_seconds_ends_the_message(office: Office) -> None:
    call = office.dial()
    (recording,) = office.switch.recorders
    office.clock.advance(29.5)
    assert not recording.closed
    office.clock.advance(1)
    assert recording.closed and office.voicemail_events()[0]["reason"] == "max_seconds"
    assert call.ended


def test_a_message_left_by_hanging_up_is_kept(office: Office) -> None:
    call = office.dial()
    (recording,) = office.switch.recorders
    office.clock.advance(3)
    office.switch.hang_up(call)
    assert recording.closed and call.id not in office.ivr.walks
    (message,) = office.vm.messages([office.box.id])
    (event,) = office.voicemail_events()
    assert (event["message_id"], event["reason"]) == (message.id, "hangup")
    assert len(office.mail.sent) == 1 and office.waiting == [("1001", 1, 0)]
    assert office.switch.prompts[-1].name == "beep.wav"     # no "thanks" to nobody
    # the message's event comes before the exit, so the statistics count it self-served
    steps = [(e.type, e.call_id, e.ts, e.data) for e in office.events
             if e.type.startswith("ivr.")]
    assert [t for t, *_ in steps][-2:] == ["ivr.voicemail", "ivr.exit"]
    (bucket,) = tally(steps, "day")
    assert (bucket.total.caller_hangups, bucket.total.self_served) == (1, 1)
    n = len(office.events)
    office.clock.advance(120)           # no timer of the message fires later
    assert len(office.events) == n


def test_a_message_too_short_is_not_kept(office: Office) -> None:
    call = office.dial()
    (recording,) = office.switch.recorders
    recording.seconds = 0.4
    office.switch.hang_up(call)
    assert office.vm.messages([office.box.id]) == [] and not recording.path.exists()
    (event,) = office.voicemail_events()
    assert event["message_id"] is None and office.mail.sent == [] and office.waiting == []
    steps = [(e.type, e.call_id, e.ts, e.data) for e in office.events
             if e.type.startswith("ivr.")]
    (bucket,) = tally(steps, "day")
    assert bucket.total.self_served == 0        # hung up without a message: not served


def test_a_message_all_quiet_is_not_kept(office: Office) -> None:
    call = office.dial(say=False)
    (recording,) = office.switch.recorders
    office.clock.advance(3)
    office.switch.hang_up(call)
    assert recording.closed and not recording.path.exists()
    assert office.vm.messages([office.box.id]) == []
    assert office.voicemail_events()[0]["message_id"] is None


def test_a_failing_mail_server_is_logged_and_the_call_goes_on(
        office: Office, caplog: pytest.LogCaptureFixture) -> None:
    office.mail.fail = True
    call = office.dial()
    office.press(call, "#")
    assert "the email to ann@example.com failed: connection refused" in caplog.text
    assert len(office.vm.messages([office.box.id])) == 1
    assert office.switch.prompts[-1].name == "谢谢"


def test_no_such_mailbox_ends_the_call(ivr: Ivr, tmp_path: Path,
                                       caplog: pytest.LogCaptureFixture) -> None:
    office = Office(ivr, tmp_path, AFTER_HOURS.replace('mailbox: "1001"', "mailbox: sales"))
    call = office.dial()
    assert call.ended and office.switch.recorders == []
    assert "no voicemail box 'sales'" in caplog.text


def test_the_beep_file_is_a_tone(office: Office) -> None:
    with wave.open(str(office.desk.beep)) as w:
        assert (w.getframerate(), w.getnchannels()) == (8000, 1) and w.getnframes() > 1000


def test_a_mailbox_named_with_its_kind(ivr: Ivr, tmp_path: Path) -> None:
    office = Office(ivr, tmp_path)
    queue = office.vm.create_mailbox("queue", "sales", "1111")
    assert office.desk.find("queue:sales") == queue
    assert office.desk.find("sales") == queue
    assert office.desk.find("1001") == office.box
    assert office.desk.find("flow:sales") is None and office.desk.find("9999") is None


# ---- phone retrieval: the pure machine ---------------------------------------------------

def _heard(n: int) -> tuple[Heard, ...]:
    at = dt.datetime(2026, 12, 3, 8, 5)
    return tuple(Heard(10 + i, f"1380013800{i}", at, f"/vm/{i}.wav", "new") for i in range(n))


class Machine:
    """A :class:`Retrieval` and what it asked for, as a caller at 1001 presses keys."""

    def __init__(self, announce: bool = False) -> None:
        self.r = Retrieval("1001", announce=announce)
        self.out: list[object] = list(self.r.start())

    def send(self, *events: object) -> list[object]:
        got: list[object] = []
        for e in events:
            got += self.r.handle(e)
        self.out += got
        return got

    def keys(self, keys: str) -> list[object]:
        return self.send(*(s.Digit(k) for k in keys))

    def last(self, kind: type) -> Any:
        return [a for a in self.out if isinstance(a, kind)][-1]

    def said(self) -> list[str]:
        return [i.text or i.path or "" for i in self.last(s.Play).items]

    def prompt_done(self) -> list[object]:
        return self.send(s.PromptDone(self.last(s.Play).id))


def test_retrieval_opens_the_callers_own_mailbox_and_walks_the_messages() -> None:
    m = Machine()
    assert m.said()[0].startswith("请输入信箱号码") and m.r.state is State.ASK_BOX
    m.keys("#")                           # own mailbox
    assert m.r.box == "1001" and m.r.state is State.ASK_PIN
    assert m.keys("2580#")[-1] == CheckPin("1001", "2580")
    m.send(Opened(7, _heard(3)))
    assert m.said() == ["新留言3条，已保存0条", "/vm/0.wav", MENU]
    m.keys("1")                           # again: the message, no count
    assert isinstance(m.out[-2], s.StopPlayback) and m.said() == ["/vm/0.wav", MENU]
    assert m.keys("2")[-2:] == [MarkMessage(10, "saved"), m.last(s.Play)]
    assert m.said() == ["留言已保存", "/vm/1.wav", MENU]
    m.keys("3")
    assert m.said() == ["/vm/2.wav", MENU]
    m.keys("3")                           # past the last
    assert m.said() == ["没有更多留言", MENU]
    m.keys("4")
    assert m.said() == ["/vm/2.wav", MENU]
    assert MarkMessage(12, "deleted") in m.keys("7")
    assert m.said() == ["留言已删除", "没有更多留言", MENU] and len(m.r.messages) == 2
    m.keys("44")
    assert m.said() == ["/vm/0.wav", MENU]
    m.keys("4")
    assert m.said() == ["这是第一条留言", "/vm/0.wav", MENU]
    m.keys("9")
    assert m.said() == ["输入有误", MENU]
    m.keys("#")
    assert m.said() == ["再见"] and not [a for a in m.out if isinstance(a, s.Hangup)]
    assert m.prompt_done() == [s.Hangup("done")]     # after the goodbye is heard


MENU = PROMPTS["zh"]["menu"]


def test_retrieval_of_another_mailbox_and_three_wrong_pins() -> None:
    m = Machine()
    m.keys("1002#")
    assert m.keys("0000#")[-1] == CheckPin("1002", "0000")
    m.send(Opened(None))
    assert m.said() == ["信箱号码或密码错误", PROMPTS["zh"]["box"]] and m.r.state is State.ASK_BOX
    m.keys("1002#1111#")
    m.send(Opened(None))
    m.keys("#2222#")
    assert m.last(CheckPin) == CheckPin("1001", "2222")
    assert m.send(Opened(None))[-1] == m.last(s.Play) and m.said() == [
        "信箱号码或密码错误", "错误次数过多，再见"]
    assert m.keys("#") == [] and m.prompt_done() == [s.Hangup("pin_lockout")]


def test_retrieval_announces_and_gives_up_on_silence() -> None:
    m = Machine(announce=True)
    m.keys("#1234#")
    m.send(Opened(7, _heard(1)))
    assert m.said()[1] == "第1条，来自幺三八零零幺三八零零零，十二月三日八点零五分"
    m.prompt_done()
    for _ in range(WAITS - 1):            # the menu again, twice
        m.send(s.Timeout(m.last(s.StartTimer).id))
        assert m.said() == [MENU]
        m.prompt_done()
    m.send(s.Timeout(m.last(s.StartTimer).id))
    assert m.said() == ["再见"] and m.prompt_done() == [s.Hangup("no_key")]


def test_retrieval_of_an_empty_mailbox_and_a_hang_up() -> None:
    m = Machine()
    m.keys("#1234#")
    m.send(Opened(7, ()))
    assert m.said() == ["您没有留言", "再见"] and m.prompt_done() == [s.Hangup("no_messages")]
    h = Machine()
    h.keys("12")
    assert h.send(s.CallerHungUp()) == [s.CancelTimer(h.last(s.StartTimer).id)]
    assert h.keys("#") == [] and h.r.state is State.ENDED


# ---- phone retrieval on a call -------------------------------------------------------------

async def inline(fn: Any, *args: Any) -> Any:
    return fn(*args)


def test_star98_on_a_call_hears_saves_and_deletes(ivr: Ivr, tmp_path: Path,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="kefu.ivr")
    office = Office(ivr, tmp_path)
    office.desk.offload = inline          # the PIN checked at once, not on a thread
    first = office.dial("13900000001")
    office.press(first, "#")
    second = office.dial("13900000002")
    office.switch.hang_up(second)
    older, newer = sorted(office.vm.messages([office.box.id]), key=lambda m: m.id)
    office.waiting.clear()
    retrieve = Retrieve(office.ivr, office.desk, announce=False)
    office.switch.destinations["voicemail"] = retrieve
    phone = incoming(office.switch, "1001", "*98")
    run(retrieve(phone, Route(kind="voicemail")))
    office.press(phone, "#9999#")         # a wrong PIN, logged
    assert "wrong mailbox or PIN for '1001' from 1001 (1 of 3)" in caplog.text
    office.switch.prompts.clear()
    office.press(phone, "#2580#")
    played = [p.name for p in office.switch.prompts]
    assert played[1:3] == ["新留言2条，已保存0条", Path(office.vm.file(newer)).name]
    office.press(phone, "2")              # the newest saved
    assert office.vm.message(newer.id).status == "saved"
    assert office.waiting == [("1001", 1, 1)]
    office.press(phone, "7")              # the older one deleted
    assert office.vm.message(older.id).status == "deleted"
    assert office.waiting[-1] == ("1001", 0, 1)
    office.press(phone, "#")
    assert phone.ended and phone.id not in office.ivr.walks


def test_three_wrong_pins_on_a_call_hang_up_and_are_logged(
        ivr: Ivr, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    office = Office(ivr, tmp_path)
    office.desk.offload = inline
    retrieve = Retrieve(office.ivr, office.desk)
    phone = incoming(office.switch, "1001", "*98")
    run(retrieve(phone, Route(kind="voicemail")))
    office.press(phone, "#1#1002#2#abc#3#".replace("abc", "1001"))
    assert phone.ended
    assert "1001 entered a wrong mailbox or PIN 3 times: hung up" in caplog.text


def test_the_dial_plan_sends_the_feature_code_to_the_voicemail() -> None:
    plan = DialPlan(DialPlanSettings(), is_extension=lambda n: n == "1001")
    assert plan.outbound("1001", "*98") == Route(kind="voicemail", call_class="internal")
    moved = DialPlan(DialPlanSettings(voicemail_code="*86"), is_extension=lambda n: False)
    assert moved.outbound("1001", "*86").kind == "voicemail"
    assert moved.outbound("1001", "*98").kind == "refuse"
    off = DialPlan(DialPlanSettings(voicemail_code=""), is_extension=lambda n: False)
    assert off.outbound("1001", "").kind == "refuse"
    with pytest.raises(ValueError):
        DialPlanSettings(voicemail_code="98")


def test_the_smtp_section_keeps_its_password_out_of_sight(tmp_path: Path) -> None:
    path = tmp_path / "kefu.toml"
    path.write_text('[smtp]\nhost = "mail.example.com"\nport = 587\nstarttls = true\n'
                    'username = "kefu"\npassword = "hunter2-secret"\n')
    smtp = load_settings(path, {}).smtp
    assert (smtp.host, smtp.port, smtp.starttls, smtp.password) == (
        "mail.example.com", 587, True, "hunter2-secret")
    assert "hunter2" not in repr(smtp) and "hunter2" not in str(load_settings(path, {}))
    path.write_text('[smtp]\npassword = 123456789\n')
    with pytest.raises(ConfigError) as bad:
        load_settings(path, {})
    assert "smtp.password" in str(bad.value) and "123456789" not in str(bad.value)
