"""Voicemail on real calls: a baresip caller dials a flow (``800`` → ``flow:after_hours``)
whose ``voicemail`` node records it; the caller sends a 440 Hz tone and hangs up.  The
message's WAV holds the tone (FFT), an email with that WAV arrives at an SMTP server the
test runs (aiosmtpd on loopback); extension 1001's phone subscribes to its message summary
and is told 1 new message, dials ``*98`` with its PIN, hears the tone back and saves it
(told 0 new, 1 old).  A caller who says nothing is hung up on after 5 quiet seconds and
leaves no message.  The variants (``#``, silence, max_seconds, the menu keys, PIN lockout) are
tested in process (tests/ivr/test_voicemail_calls.py); unsolicited NOTIFYs in tests/sip/test_mwi.py.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from . import audio
from .mailbox import local_smtp
from .conftest import publish_flow, start_kefu, stop_kefu, wait_for

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(shutil.which("baresip") is None and not os.environ.get("CI"),
                                 reason="baresip not installed"),
              pytest.mark.skipif(shutil.which("espeak-ng") is None and not os.environ.get("CI"),
                                 reason="espeak-ng not installed")]

PIN = "2580"
FLOW = {
    "name": "after_hours", "language": "zh", "start": "leave",
    "nodes": {"leave": {"type": "voicemail", "mailbox": "1001", "prompt": "请留言",
                        "max_seconds": 60}},
}


@pytest.fixture(scope="module")
def inbox():
    with local_smtp() as box:
        yield box


@pytest.fixture(scope="module")
def kefu(tmp_path_factory, inbox):
    extra = f"""
[smtp]
host = "127.0.0.1"
port = {inbox.port}
sender = "voicemail@kefu.test"

[[dialplan.numbers]]
number = "800"
destination = "flow:after_hours"
"""
    server = start_kefu(tmp_path_factory.mktemp("kefu-ivr-voicemail"), extra=extra)
    status, body = server.api("POST", "/extensions", {"number": "2001",
                                                      "password": "pw-2001-secret"})
    assert status == 201, body
    status, body = server.api("POST", "/ivr/voicemail/mailboxes",
                              {"kind": "extension", "owner": "1001", "pin": PIN,
                               "email": "ann@example.com"})
    assert status == 201, body
    publish_flow(server, FLOW)
    yield server
    log = stop_kefu(server)
    assert "Traceback" not in log, log


def tone_seconds(samples: np.ndarray, rate: int, freq: float) -> int:
    """How many whole seconds of ``samples`` are mostly ``freq``."""
    mono = audio.to_mono(samples)
    return sum(audio.has_tone(mono[i:i + rate], rate, freq)
               for i in range(0, len(mono) - rate + 1, rate))


def test_a_message_left_by_phone_is_kept_mailed_and_heard_back(kefu, inbox, phone):
    caller = phone("2001", tone=440)
    since = time.time()
    caller.dial(kefu.uri("800"))
    caller.wait_established()
    wait_for(lambda: kefu.log_tail().count("recording a message for mailbox"), timeout=20,
             what="the recording to start")
    time.sleep(4.0)                       # four seconds of 440 Hz, then the caller hangs up
    caller.hangup()
    caller.wait_closed()

    (event,) = wait_for(lambda: kefu.events(since, "ivr.voicemail"), timeout=10,
                        what="ivr.voicemail")
    data = event[2]
    assert data["reason"] == "hangup" and data["message_id"] and data["duration"] >= 3, data
    status, messages = kefu.api("GET", "/ivr/voicemail/messages")
    assert status == 200, messages
    (message,) = messages
    assert (message["id"], message["caller"], message["status"]) == (
        data["message_id"], "2001", "new")
    (wav,) = (kefu.data_dir / "voicemail" / "extension" / "1001").glob("*.wav")
    samples, rate, _ = audio.read_wav(wav)
    assert tone_seconds(samples, rate, 440) >= 3, "the message does not hold the tone"

    (to, mail), = wait_for(lambda: inbox.mail, timeout=15, what="the email")
    assert to == ["ann@example.com"] and mail["From"] == "voicemail@kefu.test"
    (attached,) = [p for p in mail.iter_attachments()]
    assert attached.get_content_type() == "audio/wav"
    assert attached.get_content() == wav.read_bytes()

    # 1001's phone subscribes to its message summary (baresip's mwi module) and is told
    owner = phone("1001", tone=1000, extra_config="module\t\t\tmwi.so")
    mwi = owner.wait_event("MWI_NOTIFY", timeout=10)
    assert "Messages-Waiting: yes" in mwi["param"], mwi
    assert "Voice-Message: 1/0 (0/0)" in mwi["param"], mwi

    # 1001 dials *98: its own mailbox (#), the PIN, then the message after the count
    owner.dial(kefu.uri("*98"))
    owner.wait_established()
    time.sleep(1.5)
    owner.send_dtmf("#")
    time.sleep(1.0)
    for key in PIN + "#":
        owner.send_dtmf(key)
        time.sleep(0.3)
    wait_for(lambda: "mailbox 1 opened by 1001" in kefu.log_tail(200), timeout=10,
             what="the mailbox to open")
    time.sleep(20.0)          # espeak's Mandarin: the count ~4 s, the announcement ~7 s
    owner.send_dtmf("2")                  # saved: the light goes out (0 new, 1 old)
    mwi = owner.wait_event("MWI_NOTIFY", timeout=10)
    assert "Messages-Waiting: no" in mwi["param"] and "Voice-Message: 0/1" in mwi["param"], mwi
    owner.hangup()
    owner.wait_closed()
    heard, rate, _ = audio.read_wav(owner.received_wav_paths()[0])
    assert tone_seconds(heard, rate, 440) >= 2, "the owner did not hear the message"


def test_a_silent_caller_is_ended_by_the_silence_and_nothing_is_kept(kefu, phone, tmp_path):
    quiet = Path(audio.write_silence_wav(tmp_path / "quiet.wav", 60))
    caller = phone("2001", wav=quiet)
    since = time.time()
    caller.dial(kefu.uri("800"))
    caller.wait_established()
    caller.wait_closed(timeout=25)        # the prompt, the beep, 5 quiet seconds: kefu hangs up
    (event,) = wait_for(lambda: kefu.events(since, "ivr.voicemail"), timeout=10,
                        what="ivr.voicemail")
    assert (event[2]["reason"], event[2]["message_id"]) == ("silence", None), event
