"""Voicemail on calls in process: a flow's ``voicemail`` node records a message over the
fake switch and clock (the fake's recorder writes a tone WAV when closed), the message is
saved, evented, mailed and counted for the phones; phone retrieval's state machine."""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Any

import pytest
from fake_clock import FakeClock
from fake_switch import FakeSwitch, incoming, run

from kefu.bus import Event, LocalBus
from kefu.calls.call import Call
from kefu.calls.dialplan import Route
from kefu.events import check
from kefu.ivr import steps as s
from kefu.ivr.calls import IvrCalls
from kefu.ivr.flowcheck import load
from kefu.ivr.records import Mailbox, Message, PublishedFlow
from kefu.ivr.service import Ivr
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
        return [Path(item.text or item.file or "-")]


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

    def dial(self, caller: str = "13800138000") -> Call:
        call = incoming(self.switch, caller, "800")
        run(self.ivr.take(call, Route(kind="flow", flow="after_hours")))
        return call

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


def test_silence_ends_the_message(office: Office) -> None:
    call = office.dial()
    (recording,) = office.switch.recorders
    office.clock.advance(2)             # talking
    recording.level = 20.0              # then quiet
    office.clock.advance(SILENCE_SECONDS - 0.5)
    assert not recording.closed
    office.clock.advance(1)
    assert recording.closed and office.voicemail_events()[0]["reason"] == "silence"
    assert call.ended and len(office.vm.messages([office.box.id])) == 1


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
