"""Call control end to end: hold with music, blind and attended transfer, three-way
calls, conference rooms and supervision (listen, whisper, barge-in), with real
baresip phones; who hears whom is checked by FFT on what each phone received."""

from __future__ import annotations

import os
import shutil
import time

import numpy as np
import pytest

from . import audio
from .test_pbx import _connect

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(shutil.which("baresip") is None and not os.environ.get("CI"),
                                 reason="baresip not installed")]

TONES = {"1001": 440, "1002": 1000, "1003": 700, "1005": 1300}


class Listening:
    """What a phone received between two moments (monotonic seconds) of the test."""

    def __init__(self, phone, established: dict) -> None:
        self.phone = phone
        self.t0 = established["_t"]

    def window(self, start: float, end: float) -> tuple[np.ndarray, int]:
        (path,) = self.phone.received_wav_paths()[-1:]
        samples, rate, _ = audio.read_wav(path)
        a, b = int((start - self.t0) * rate), int((end - self.t0) * rate)
        assert b - a > rate // 4, "window too short"
        return samples[max(0, a):b], rate


def hears(samples, rate, freq) -> bool:
    return audio.tone_power_ratio(samples, rate, freq) > 0.15 and audio.rms(samples) > 0.005


def is_moh(samples, rate) -> bool:
    """kefu's built-in hold music: a melody on C4..G4 (261-392 Hz)."""
    return audio.rms(samples) > 0.005 and 250 <= audio.dominant_frequency(samples, rate) <= 400


def live_call(kefu, number: str) -> dict:
    status, calls = kefu.api("GET", "/live-calls")
    assert status == 200, calls
    found = [c for c in calls if any(m["number"] == number for m in c["members"])]
    assert found, calls
    return found[0]


def wait_member(kefu, call_id: str, number: str, timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, call = kefu.api("GET", f"/live-calls/{call_id}")
        if status == 200 and any(m["number"] == number for m in call["members"]):
            return call
        time.sleep(0.1)
    raise AssertionError(f"{number} never joined {call_id}")


def _phones(phone, *numbers):
    return [phone(n, tone=TONES[n]) for n in numbers]


def test_phone_hold_plays_music_and_resume_restores_audio(kefu, phone):
    a, b = _phones(phone, "1001", "1002")
    _connect(kefu, a, b, "1002")
    eb = b.events[[e["type"] for e in b.events].index("CALL_ESTABLISHED")]
    t_talk = time.monotonic()
    time.sleep(2.0)
    a.hold()
    t_hold = time.monotonic()
    time.sleep(2.5)
    a.resume()
    t_resume = time.monotonic()
    time.sleep(2.0)
    t_end = time.monotonic()
    a.hangup(); a.wait_closed(); b.wait_closed()
    rx = Listening(b, eb)
    talk, rate = rx.window(t_talk + 0.5, t_hold - 0.2)
    held, _ = rx.window(t_hold + 0.6, t_resume - 0.2)
    back, _ = rx.window(t_resume + 0.6, t_end - 0.2)
    assert hears(talk, rate, 440)
    assert not hears(held, rate, 440), "the holder is still heard"
    assert is_moh(held, rate), "no music on hold"
    assert hears(back, rate, 440)


def test_api_hold_and_resume(kefu, phone):
    a, b = _phones(phone, "1001", "1002")
    _connect(kefu, a, b, "1002")
    eb = b.events[[e["type"] for e in b.events].index("CALL_ESTABLISHED")]
    call = live_call(kefu, "1001")
    time.sleep(1.0)
    status, body = kefu.api("POST", f"/live-calls/{call['call_id']}/hold", {"by": "1001"})
    assert status == 204, body
    t_hold = time.monotonic()
    status, body = kefu.api("POST", f"/live-calls/{call['call_id']}/resume", {"by": "1002"})
    assert status == 409 and "held by 1001" in body["detail"], body   # not the holder
    time.sleep(2.0)
    status, _ = kefu.api("POST", f"/live-calls/{call['call_id']}/resume", {"by": "1001"})
    assert status == 204
    t_resume = time.monotonic()
    time.sleep(1.8)
    a.hangup(); a.wait_closed(); b.wait_closed()
    rx = Listening(b, eb)
    held, rate = rx.window(t_hold + 0.5, t_resume - 0.2)
    back, _ = rx.window(t_resume + 0.5, t_resume + 1.5)
    assert not hears(held, rate, 440) and is_moh(held, rate)
    assert hears(back, rate, 440)


def test_blind_transfer_from_the_phone(kefu, phone):
    a, b, c = _phones(phone, "1001", "1002", "1003")
    _connect(kefu, a, b, "1002")
    ea = a.events[[e["type"] for e in a.events].index("CALL_ESTABLISHED")]
    time.sleep(1.0)
    b.transfer(kefu.uri("1003"))
    b.wait_closed()
    c.wait_incoming()
    c.accept()
    ec = c.wait_established()
    t_joined = time.monotonic()
    time.sleep(2.5)
    c.hangup(); c.wait_closed(); a.wait_closed()
    heard_by_c, rate = Listening(c, ec).window(t_joined + 0.3, t_joined + 2.2)
    heard_by_a, _ = Listening(a, ea).window(t_joined + 0.3, t_joined + 2.2)
    assert hears(heard_by_c, rate, 440) and hears(heard_by_a, rate, 700)
    assert not hears(heard_by_a, rate, 1000)


def test_blind_transfer_through_the_api_plays_music_while_ringing(kefu, phone):
    a, b, c = _phones(phone, "1001", "1002", "1003")
    _connect(kefu, a, b, "1002")
    ea = a.events[[e["type"] for e in a.events].index("CALL_ESTABLISHED")]
    call = live_call(kefu, "1001")["call_id"]
    status, body = kefu.api("POST", f"/live-calls/{call}/transfer",
                            {"by": "1002", "target": "1003"})
    assert status == 202, body
    t_transfer = time.monotonic()
    b.wait_closed()
    c.wait_incoming()
    time.sleep(1.5)                                # 1001 waits with music
    c.accept()
    ec = c.wait_established()
    t_joined = time.monotonic()
    time.sleep(2.0)
    c.hangup(); c.wait_closed(); a.wait_closed()
    waiting, rate = Listening(a, ea).window(t_transfer + 0.5, t_joined - 0.2)
    assert is_moh(waiting, rate)
    heard_by_c, _ = Listening(c, ec).window(t_joined + 0.3, t_joined + 1.8)
    heard_by_a, _ = Listening(a, ea).window(t_joined + 0.3, t_joined + 1.8)
    assert hears(heard_by_c, rate, 440) and hears(heard_by_a, rate, 700)


def test_after_a_blind_transfer_the_transferor_takes_new_calls(kefu, phone):
    """B transferred A to C and left: B is in no call any more, so a call to B rings
    (it got 486 while A and C talked)."""
    a, b, c, d = _phones(phone, "1001", "1002", "1003", "1005")
    _connect(kefu, a, b, "1002")
    call = live_call(kefu, "1001")["call_id"]
    status, body = kefu.api("POST", f"/live-calls/{call}/transfer",
                            {"by": "1002", "target": "1003"})
    assert status == 202, body
    b.wait_closed()
    c.wait_incoming(); c.accept(); c.wait_established()
    wait_member(kefu, call, "1003")
    d.dial(kefu.uri("1002"))
    b.wait_incoming()                              # rings: not 486 Busy Here
    b.accept(); d.wait_established()
    for p in (d, a):
        p.hangup(); p.wait_closed()
    b.wait_closed(); c.wait_closed()


def test_a_transfer_to_no_such_number_is_404_and_the_call_goes_on(kefu, phone):
    a, b = _phones(phone, "1001", "1002")
    _connect(kefu, a, b, "1002")
    ea = a.events[[e["type"] for e in a.events].index("CALL_ESTABLISHED")]
    eb = b.events[[e["type"] for e in b.events].index("CALL_ESTABLISHED")]
    call = live_call(kefu, "1001")["call_id"]
    status, body = kefu.api("POST", f"/live-calls/{call}/transfer",
                            {"by": "1002", "target": "9999"})
    assert status == 404 and "9999" in body["detail"], body
    t_refused = time.monotonic()
    time.sleep(2.0)
    status, live = kefu.api("GET", f"/live-calls/{call}")
    assert status == 200 and [m["number"] for m in live["members"]] == ["1001", "1002"]
    a.hangup(); a.wait_closed(); b.wait_closed()
    heard_by_a, rate = Listening(a, ea).window(t_refused + 0.2, t_refused + 1.8)
    heard_by_b, _ = Listening(b, eb).window(t_refused + 0.2, t_refused + 1.8)
    assert hears(heard_by_a, rate, 1000) and hears(heard_by_b, rate, 440)


def test_attended_transfer_through_the_api(kefu, phone):
    a, b, c = _phones(phone, "1001", "1002", "1003")
    _connect(kefu, a, b, "1002")
    first = live_call(kefu, "1001")
    ea = a.events[[e["type"] for e in a.events].index("CALL_ESTABLISHED")]
    status, _ = kefu.api("POST", f"/live-calls/{first['call_id']}/hold", {"number": "1002"})
    assert status == 204
    b.dial(kefu.uri("1003"))                      # the consultation call
    c.wait_incoming(); c.accept()
    ec = c.wait_established()
    consult = live_call(kefu, "1003")
    status, body = kefu.api("POST", f"/live-calls/{first['call_id']}/transfer",
                            {"by": "1002", "consult_call_id": consult["call_id"]})
    assert status == 202, body
    t_joined = time.monotonic()
    b.wait_closed(); b.wait_closed()
    time.sleep(2.5)
    a.hangup(); a.wait_closed(); c.wait_closed()
    heard_by_c, rate = Listening(c, ec).window(t_joined + 0.4, t_joined + 2.3)
    heard_by_a, _ = Listening(a, ea).window(t_joined + 0.4, t_joined + 2.3)
    assert hears(heard_by_c, rate, 440) and hears(heard_by_a, rate, 700)


def test_three_way_call(kefu, phone):
    a, b, c = _phones(phone, "1001", "1002", "1003")
    _connect(kefu, a, b, "1002")
    call = live_call(kefu, "1001")
    status, body = kefu.api("POST", f"/live-calls/{call['call_id']}/parties", {"party": "1003"})
    assert status == 202, body
    c.wait_incoming(); c.accept()
    ec = c.wait_established()
    wait_member(kefu, call["call_id"], "1003")
    t_joined = time.monotonic()
    ea = a.events[[e["type"] for e in a.events].index("CALL_ESTABLISHED")]
    eb = b.events[[e["type"] for e in b.events].index("CALL_ESTABLISHED")]
    time.sleep(2.5)
    a.hangup(); a.wait_closed()
    for p in (b, c):
        p.hangup(); p.wait_closed()
    for p, ev, others in ((a, ea, (1000, 700)), (b, eb, (440, 700)), (c, ec, (440, 1000))):
        got, rate = Listening(p, ev).window(t_joined + 0.4, t_joined + 2.2)
        assert all(hears(got, rate, f) for f in others), (p.name, others)


def test_conference_room(kefu, phone):
    a, b, c = _phones(phone, "1001", "1002", "1003")
    for p in (a, b, c):
        p.dial(kefu.uri("*8100"))
        p.wait_established()
    t_all = time.monotonic()
    time.sleep(2.5)
    status, rooms = kefu.api("GET", "/rooms")
    assert status == 200, rooms
    assert [(r["room"], sorted(m["number"] for m in r["members"])) for r in rooms] == [
        ("100", ["1001", "1002", "1003"])]
    for p in (a, b, c):
        p.hangup(); p.wait_closed()
    for p, own, others in ((a, 440, (1000, 700)), (b, 1000, (440, 700)), (c, 700, (440, 1000))):
        ev = p.events[[e["type"] for e in p.events].index("CALL_ESTABLISHED")]
        got, rate = Listening(p, ev).window(t_all + 0.4, t_all + 2.2)
        assert all(hears(got, rate, f) for f in others), (p.name, others)
        assert not hears(got, rate, own), f"{p.name} hears itself"


def test_listen_whisper_barge(kefu, phone):
    a, b, s = _phones(phone, "1001", "1002", "1005")
    _connect(kefu, a, b, "1002")
    call = live_call(kefu, "1001")["call_id"]
    status, body = kefu.api("POST", f"/live-calls/{call}/monitor",
                            {"supervisor": "1005", "mode": "listen"})
    assert status == 202, body
    s.wait_incoming(); s.accept()
    es = s.wait_established()
    wait_member(kefu, call, "1005")
    ea = a.events[[e["type"] for e in a.events].index("CALL_ESTABLISHED")]
    eb = b.events[[e["type"] for e in b.events].index("CALL_ESTABLISHED")]
    marks = {"listen": time.monotonic()}
    time.sleep(2.0)
    for mode, extra in (("whisper", {"target": "1002"}), ("barge", {})):
        status, body = kefu.api("POST", f"/live-calls/{call}/monitor",
                                {"supervisor": "1005", "mode": mode, **extra})
        assert status == 202, body
        marks[mode] = time.monotonic()
        time.sleep(2.0)
        (sup,) = [m for m in kefu.api("GET", f"/live-calls/{call}")[1]["members"]
                  if m["number"] == "1005"]
        assert sup["mode"] == mode, sup
    end = time.monotonic()
    a.hangup(); a.wait_closed(); b.wait_closed(); s.wait_closed()
    rx_a, rx_b, rx_s = Listening(a, ea), Listening(b, eb), Listening(s, es)

    def seg(rx, mode):
        start = marks[mode] + 0.5
        stop = {"listen": marks["whisper"], "whisper": marks["barge"], "barge": end}[mode] - 0.2
        return rx.window(start, stop)

    for mode in ("listen", "whisper", "barge"):
        (sa, rate), (sb, _), (ss, _) = seg(rx_a, mode), seg(rx_b, mode), seg(rx_s, mode)
        assert hears(ss, rate, 440) and hears(ss, rate, 1000), f"{mode}: supervisor hears both"
        assert hears(sa, rate, 1000) and hears(sb, rate, 440), f"{mode}: the call goes on"
        assert hears(sb, rate, 1300) == (mode in ("whisper", "barge")), f"{mode}: agent"
        assert hears(sa, rate, 1300) == (mode == "barge"), f"{mode}: customer"


def test_call_control_roles_and_errors(kefu):
    for name, role in (("agent7", "agent"), ("super7", "supervisor")):
        status, body = kefu.api("POST", "/users", {"username": name, "password": "pw-long-enough",
                                                   "role": role})
        assert status == 201, body
    tokens = {}
    for name in ("agent7", "super7"):
        status, body = kefu.api("POST", "/auth/login", {"username": name,
                                                        "password": "pw-long-enough"})
        tokens[name] = body["token"]
    assert kefu.api("GET", "/live-calls", token=tokens["agent7"])[0] == 403
    assert kefu.api("GET", "/live-calls", token=tokens["super7"])[0] == 200
    assert kefu.api("POST", "/live-calls/nope/hold", {"number": "1001"},
                    token=tokens["agent7"])[0] == 403
    assert kefu.api("POST", "/live-calls/nope/hold", {"number": "1001"},
                    token=tokens["super7"])[0] == 404
    assert kefu.api("POST", "/live-calls/nope/hold", {"number": "not a number"},
                    token=tokens["super7"])[0] == 422
    assert kefu.api("POST", "/live-calls/nope/monitor", {"supervisor": "1005", "mode": "shout"},
                    token=tokens["super7"])[0] == 422
    assert kefu.api("DELETE", "/live-calls/nope", token="not-a-token")[0] == 401


@pytest.mark.parametrize("codec_a,codec_b", [("G722", "PCMA"), ("PCMU", "PCMA")])
def test_transcoding_between_codecs(kefu, phone, codec_a, codec_b):
    a = phone("1001", tone=440, codecs=codec_a)
    b = phone("1002", tone=1000, codecs=codec_b)
    _connect(kefu, a, b, "1002")
    time.sleep(2.5)
    a.hangup(); a.wait_closed(); b.wait_closed()
    for p, tone, codec in ((a, 1000, codec_a), (b, 440, codec_b)):
        (rx,) = p.received_wav_paths()
        samples, rate, _ = audio.read_wav(rx)
        assert rate == (16000 if codec == "G722" else 8000), "baresip decoded another codec"
        assert audio.has_tone(samples[rate // 2: 2 * rate], rate, tone), (p.name, rate)
