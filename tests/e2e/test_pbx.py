"""kefu as a PBX, end to end: real baresip phones register to a real ``kefu serve``
and call each other through it.  Audio is checked by what arrives (FFT), the event
log and CDRs through the HTTP API and the store."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from kefu.store import Store

from . import audio, malformed
from .phones import EventFailure

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(shutil.which("baresip") is None and not os.environ.get("CI"),
                                 reason="baresip not installed")]


def _connect(kefu, a, b, number: str):
    a.dial(kefu.uri(number))
    b.wait_incoming()
    b.accept()
    a.wait_established()
    b.wait_established()


def _events(kefu, call_id: str):
    store = Store(f"sqlite:///{kefu.data_dir / 'kefu.db'}")
    try:
        return store.events_for_call(call_id)
    finally:
        store.close()


def _tail(samples, rate, seconds=1.5):
    """The middle of a recording: skip set-up and tear-down edges."""
    n = len(samples)
    cut = int(0.5 * rate)
    return samples[cut:max(cut + 1, n - cut)] if n > 3 * cut else samples


def test_registration_right_and_wrong_passwords(kefu, phone):
    a = phone("1001")
    b = phone("1002")
    assert a.running and b.running
    bad = phone("1003", password="not-the-password", wait=False)
    with pytest.raises(EventFailure) as err:
        bad.wait_registered()
    assert "403" in str(err.value.event.get("param", "")) or "401" in str(err.value.event.get("param", ""))
    status, health = kefu.api("GET", "/health")
    assert status == 200
    assert health["sip"]["registrations"] >= 2


def test_call_audio_recording_dtmf_and_cdr(kefu, phone):
    a = phone("1001", tone=440)
    b = phone("1002", tone=1000)
    _connect(kefu, a, b, "1002")
    t0 = time.monotonic()
    time.sleep(1.5)
    a.send_dtmf("12#")
    time.sleep(2.5)
    a.hangup()
    a.wait_closed()
    b.wait_closed()
    talked = time.monotonic() - t0

    # each phone heard the other's tone, not silence
    (a_rx,), (b_rx,) = a.received_wav_paths(), b.received_wav_paths()
    for path, tone in ((a_rx, 1000), (b_rx, 440)):
        samples, rate, _ = audio.read_wav(path)
        assert audio.has_tone(_tail(samples, rate), rate, tone), (path, audio.dominant_frequency(samples, rate))
    # the callee's phone received the digits kefu relayed
    assert b.dtmf_received() == "12#"

    (cdr,) = kefu.cdr("1002")
    assert (cdr["caller"], cdr["callee"]) == ("1001", "1002")
    assert cdr["disposition"] == "answered" and cdr["hangup_by"] == "caller"
    assert abs(cdr["duration"] - talked) <= 1.0, (cdr["duration"], talked)
    rec = Path(cdr["recording_path"])
    assert rec.is_file() and rec.is_relative_to(kefu.data_dir)
    assert abs(cdr["recording_duration"] - cdr["duration"]) <= 1.0
    stereo, rate, channels = audio.read_wav(rec)
    assert channels == 2
    assert audio.has_tone(_tail(stereo[:, 0], rate), rate, 440), "left = caller"
    assert audio.has_tone(_tail(stereo[:, 1], rate), rate, 1000), "right = callee"

    events = _events(kefu, cdr["call_id"])
    types = [e.type for e in events]
    assert types[0] == "call.started" and types[-1] == "call.ended"
    assert "call.answered" in types and "call.recording" in types
    digits = "".join(e.data["digit"] for e in events if e.type == "call.dtmf")
    assert digits == "12#"
    assert all(e.data["leg"] == "caller" for e in events if e.type == "call.dtmf")


def test_callee_hangs_up(kefu, phone):
    a = phone("1001", tone=440)
    b = phone("1002", tone=1000)
    _connect(kefu, a, b, "1002")
    time.sleep(1.0)
    b.hangup()
    b.wait_closed()
    a.wait_closed()
    (cdr,) = kefu.cdr("1002")
    assert cdr["hangup_by"] == "callee" and cdr["disposition"] == "answered"
    assert 0.5 <= cdr["duration"] <= 3.0


def _closed_with(p, code: str) -> dict:
    ev = p.wait_event("CALL_CLOSED", timeout=15)
    assert ev.get("param", "").startswith(code), ev
    return ev


def test_busy_unknown_unregistered(kefu, phone):
    a = phone("1001")
    b = phone("1002")
    c = phone("1003")
    _connect(kefu, a, b, "1002")
    c.dial(kefu.uri("1002"))
    _closed_with(c, "486")
    c.dial(kefu.uri("1999"))
    _closed_with(c, "404")
    c.dial(kefu.uri("1004"))          # a known extension, not registered
    _closed_with(c, "480")
    a.hangup()
    a.wait_closed()
    b.wait_closed()
    outcomes = {(x["callee"], x["disposition"], x["sip_code"]) for x in kefu.cdr("1003", expect=3)}
    assert outcomes == {("1002", "busy", 486), ("1999", "not_found", 404),
                        ("1004", "unavailable", 480)}


def test_caller_cancels_while_ringing(kefu, phone):
    a = phone("1001")
    b = phone("1002")
    a.dial(kefu.uri("1002"))
    b.wait_incoming()
    time.sleep(0.5)
    a.hangup()
    a.wait_closed()
    b.wait_closed()
    (cdr,) = kefu.cdr("1002")
    assert cdr["disposition"] == "cancelled" and cdr["hangup_by"] == "caller"
    assert cdr["answer_ts"] is None and cdr["duration"] == 0


def test_ring_timeout(kefu, phone):
    a = phone("1001")
    b = phone("1002")
    a.dial(kefu.uri("1002"))
    b.wait_incoming()
    _closed_with(a, "480")          # ring_timeout = 6 s in the test config
    b.wait_closed()
    (cdr,) = kefu.cdr("1002")
    assert cdr["disposition"] == "no_answer"
    assert 5.0 <= cdr["end_ts"] - cdr["start_ts"] <= 9.0


def test_prompt_player(kefu, phone):
    prompts = kefu.data_dir / "prompts"
    prompts.mkdir(exist_ok=True)
    audio.write_tone_wav(prompts / "test.wav", 700, 3.0, rate=16000)
    a = phone("1001")
    a.dial(kefu.uri("*97"))
    a.wait_established()
    a.wait_closed(timeout=10)        # kefu hangs up when the prompt has played
    (rx,) = a.received_wav_paths()
    samples, rate, _ = audio.read_wav(rx)
    assert audio.has_tone(_tail(samples, rate), rate, 700)


def _fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_twenty_calls_leak_nothing(kefu, phone):
    a = phone("1001")
    b = phone("1002")
    _connect(kefu, a, b, "1002")     # warm up lazily created resources
    a.hangup(); a.wait_closed(); b.wait_closed()
    time.sleep(0.5)
    _, before = kefu.api("GET", "/health")
    fds_before = _fds(kefu.proc.pid)
    for _ in range(20):
        _connect(kefu, a, b, "1002")
        time.sleep(0.3)
        a.hangup()
        a.wait_closed()
        b.wait_closed()
    time.sleep(1.0)
    _, after = kefu.api("GET", "/health")
    assert after["media"]["ports_in_use"] == 0
    assert after["calls"]["active"] == 0
    assert after["tasks"] <= before["tasks"]
    deadline = time.monotonic() + 3.0       # a closing HTTP socket may still be counted
    while _fds(kefu.proc.pid) > fds_before and time.monotonic() < deadline:
        time.sleep(0.2)
    # a leak per call would add 20 or more; allow what one pooled database connection or
    # socket opened between the two counts adds (seen once in CI: 23 after 22)
    assert _fds(kefu.proc.pid) <= fds_before + 2, os.listdir(f"/proc/{kefu.proc.pid}/fd")
    assert len(kefu.cdr("1002", expect=20)) == 20


# Damaged but recoverable datagrams that kefu (with sippy) accepts on purpose.
LENIENT = {
    # RFC 3261 §18.3: over UDP the bytes past Content-Length are discarded; the rest
    # is a valid OPTIONS
    "content_length_too_short",
    # over UDP the datagram's end also ends the header block
    "headers_not_terminated",
    # RFC 3261 §16.3: an OPTIONS with Max-Forwards 0 is a ping of this very server
    "max_forwards_zero",
    # bytes that are not UTF-8 are read as ISO-8859-1 (kefu.sip.sippy_fixes): a phone's
    # Latin-1 display name or User-Agent does not cost it its message
    "invalid_utf8_in_headers",
}


def test_malformed_sip_is_refused_and_calls_still_work(kefu, phone):
    _, before = kefu.api("GET", "/health")
    results = malformed.send_each("127.0.0.1", kefu.sip_port, malformed.MALFORMED)
    for name, responses in results:
        codes = [malformed.status_code(r) for r in responses]
        if name in LENIENT:
            assert codes == [200], (name, codes)
            continue
        if name == "bad_sip_version":                      # SIP/3.0
            assert codes == [505], (name, codes)
            continue
        assert all(c is None or 400 <= c < 500 for c in codes), (name, codes)
    _, after = kefu.api("GET", "/health")
    assert after["sip"]["bad_requests"] - before["sip"]["bad_requests"] >= len(results) // 2
    assert kefu.proc.poll() is None
    ok = malformed.send_datagrams("127.0.0.1", kefu.sip_port, [malformed.valid_options()])
    assert [malformed.status_code(r) for r in ok] == [200]
    log = kefu.log_path.read_text(errors="replace")
    assert "can't parse SIP request" in log and "(missing call-id)" in log
    a = phone("1001")
    b = phone("1002")
    _connect(kefu, a, b, "1002")
    a.hangup()
    a.wait_closed()
    b.wait_closed()


def test_extension_managed_through_the_api_registers(kefu, phone):
    status, body = kefu.api("POST", "/extensions",
                            {"number": "2001", "password": "api-made-pw", "display_name": "API"})
    assert status == 201, body
    assert "password" not in body and "ha1_md5" not in body
    p = phone("2001", password="api-made-pw")
    p.stop()
    status, _ = kefu.api("PATCH", "/extensions/2001", {"password": "changed-pw-2"})
    assert status == 200
    old = phone("2001", password="api-made-pw", wait=False)
    with pytest.raises(EventFailure):
        old.wait_registered()
    phone("2001", password="changed-pw-2").stop()
    status, _ = kefu.api("DELETE", "/extensions/2001")
    assert status == 204
    gone = phone("2001", password="changed-pw-2", wait=False)
    with pytest.raises(EventFailure):
        gone.wait_registered()
