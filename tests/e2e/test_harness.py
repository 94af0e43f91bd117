"""Prove the e2e harness against reality, without kefu: baresip phones calling
each other peer-to-peer, a throw-away UDP registrar, sipp, malformed datagrams,
and the audio helpers on synthetic signals."""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
import wave

import numpy as np
import pytest

from . import audio, malformed
from .phones import Baresip, EventFailure, EventTimeout, NetstringDecoder, find_free_ports
from .sipp import OPTIONS, REGISTER, UAC_CALL, run_sipp, write_users_csv

need_baresip = pytest.mark.skipif(shutil.which("baresip") is None, reason="baresip not installed")
need_sipp = pytest.mark.skipif(shutil.which("sipp") is None, reason="sipp not installed")


# ----------------------------------------------------------------------------
# audio helpers on synthetic signals

RATE = 8000


def _sine(freq, seconds=1.0, rate=RATE, amp=0.3):
    t = np.arange(int(seconds * rate)) / rate
    return amp * np.sin(2 * np.pi * freq * t)


def test_tone_detected_and_frequency_measured():
    x = _sine(440)
    assert abs(audio.dominant_frequency(x, RATE) - 440) < 2
    assert audio.has_tone(x, RATE, 440)
    assert audio.tone_power_ratio(x, RATE, 440) > 0.95
    assert abs(audio.rms(x) - 0.3 / np.sqrt(2)) < 1e-3


def test_silence_and_wrong_tone_and_noise_fail():
    assert not audio.has_tone(np.zeros(8000), RATE, 440)
    assert audio.tone_power_ratio(np.zeros(8000), RATE, 440) == 0.0
    assert audio.rms(np.zeros(8000)) == 0.0
    # very quiet tone is "silence" for our purposes (below min_rms)
    assert not audio.has_tone(_sine(440, amp=0.001), RATE, 440)
    assert not audio.has_tone(_sine(1000), RATE, 440)
    noise = np.random.default_rng(1).normal(0, 0.2, 8000)
    assert not audio.has_tone(noise, RATE, 440)
    # DC offset alone is not a tone either
    assert not audio.has_tone(np.full(8000, 0.5), RATE, 440)


def test_tone_in_mixture_and_int16_input():
    mix = _sine(440) + 0.3 * _sine(1000)
    assert audio.has_tone(mix, RATE, 440)
    assert not audio.has_tone(mix, RATE, 1000)
    assert audio.has_tone(mix, RATE, 1000, min_ratio=0.05)
    pcm = (mix * 32767 / 2).astype(np.int16)
    assert abs(audio.dominant_frequency(pcm, RATE) - 440) < 2


def test_wav_roundtrip_mono_and_stereo(tmp_path):
    p = audio.write_tone_wav(tmp_path / "t.wav", 1000, 0.5, rate=16000, amplitude=0.5)
    x, rate, ch = audio.read_wav(p)
    assert (rate, ch, x.shape) == (16000, 1, (8000,))
    assert audio.has_tone(x, rate, 1000)
    assert abs(np.max(np.abs(x)) - 0.5) < 0.01

    left, right = _sine(440), _sine(1000)
    pcm = (np.stack([left, right], axis=1) * 32767).astype("<i2")
    with wave.open(str(tmp_path / "s.wav"), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm.tobytes())
    x, rate, ch = audio.read_wav(tmp_path / "s.wav")
    assert (rate, ch, x.shape) == (RATE, 2, (8000, 2))
    assert audio.has_tone(x[:, 0], rate, 440) and audio.has_tone(x[:, 1], rate, 1000)
    assert not audio.has_tone(x[:, 0], rate, 1000)

    audio.write_silence_wav(tmp_path / "z.wav", 0.2)
    z, _, _ = audio.read_wav(tmp_path / "z.wav")
    assert len(z) == 1600 and audio.rms(z) == 0.0


def test_netstring_decoder_handles_partial_input():
    d = NetstringDecoder()
    stream = b'5:hello,0:,10:{"a": "b"},'
    out = []
    for i in range(len(stream)):          # one byte at a time
        out += d.feed(stream[i:i + 1])
    assert out == [b"hello", b"", b'{"a": "b"}']
    with pytest.raises(ValueError):
        NetstringDecoder().feed(b"x5:hello,")


def test_malformed_set_is_complete():
    names = {n for n, _ in malformed.MALFORMED}
    for required in ("empty", "garbage_bytes", "binary_junk", "missing_call_id", "missing_cseq",
                     "missing_via", "missing_from", "missing_to", "content_length_too_long",
                     "content_length_too_short", "invite_broken_sdp", "cseq_not_numeric",
                     "huge_header"):
        assert required in names
    for n, d in malformed.MALFORMED:
        assert len(d) < 65507, n
    with pytest.raises(ValueError):
        malformed.send_datagrams("192.0.2.1", 5060, [b"x"])


# ----------------------------------------------------------------------------
# a throw-away registrar (answers every REGISTER with a fixed behaviour)

class FakeRegistrar:
    """mode: "ok" (200), "403", or "challenge" (401 unless Authorization present)."""

    def __init__(self, port: int, mode: str):
        self.mode = mode
        self.requests: list[str] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", port))
        self.sock.settimeout(0.1)
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                data, addr = self.sock.recvfrom(65535)
            except OSError:
                continue
            msg = data.decode(errors="replace")
            self.requests.append(msg)
            lines = msg.split("\r\n")
            copy = [ln for ln in lines[1:] if re.match(r"(?i)(via|from|to|call-id|cseq)\s*:", ln)]
            copy = [ln + ";tag=reg1" if ln.lower().startswith("to") and "tag=" not in ln else ln
                    for ln in copy]
            contact = [ln for ln in lines if ln.lower().startswith("contact")]
            authed = any(ln.lower().startswith("authorization") for ln in lines)
            extra: list[str] = []
            if self.mode == "403":
                status = "403 Forbidden"
            elif self.mode == "challenge" and not authed:
                status = "401 Unauthorized"
                extra = ['WWW-Authenticate: Digest realm="kefu-test", nonce="n0nce", algorithm=MD5']
            else:
                status = "200 OK"
                extra = contact[:1]
            resp = "\r\n".join([f"SIP/2.0 {status}", *copy, *extra, "Content-Length: 0", "", ""])
            self.sock.sendto(resp.encode(), addr)

    def close(self):
        self._stop.set()
        self._t.join(2)
        self.sock.close()


# ----------------------------------------------------------------------------
# real baresip phones

@pytest.fixture
def ports():
    """Fresh port blocks: each is 2 wide (baresip's SIP port and TLS port+1)."""
    return iter(find_free_ports(16))


@pytest.fixture
def phones(tmp_path):
    made: list[Baresip] = []

    def make(name, sip_port, ctrl_port, **kw):
        p = Baresip(name, tmp_path, sip_port, ctrl_port, **kw)
        made.append(p)
        return p.start()

    yield make
    for p in made:
        p.stop()
        assert not p.running


@pytest.mark.e2e
@need_baresip
def test_two_phones_call_each_other_with_audio_and_dtmf(tmp_path, ports, phones):
    wav_a = audio.write_tone_wav(tmp_path / "a440.wav", 440, 30)
    wav_b = audio.write_tone_wav(tmp_path / "b1000.wav", 1000, 30)
    a = phones("alice", next(ports), next(ports), audio_wav=wav_a,
               record_dir=tmp_path / "rec-a", register=False)
    b = phones("bob", next(ports), next(ports), audio_wav=wav_b,
               record_dir=tmp_path / "rec-b", register=False)

    a.dial(b.contact_uri)
    inc = b.wait_incoming(5)
    assert inc["direction"] == "incoming" and "alice" in inc["peeruri"]
    a.wait_event("CALL_RINGING", 5)
    b.accept()
    est_a = a.wait_established(5)
    est_b = b.wait_established(5)
    assert est_a["id"] == est_b["id"] == inc["id"]      # the SIP Call-ID
    b.wait_event("CALL_RTPESTAB", 5)

    time.sleep(1.0)
    a.send_dtmf("12#")
    for digit in "12#":
        ev = b.wait_event("CALL_DTMF_START", 5, fail_on="CALL_CLOSED")
        assert ev["param"] == digit
        b.wait_event("CALL_DTMF_END", 5)
    assert b.dtmf_received() == "12#"

    time.sleep(1.0)
    a.hangup()
    assert a.wait_closed(5)["param"] == "Connection reset by user"
    assert b.wait_closed(5)["param"] == "Connection reset by peer"

    (rec_a,) = a.received_wav_paths()
    (rec_b,) = b.received_wav_paths()
    xa, ra, _ = audio.read_wav(rec_a)
    xb, rb, _ = audio.read_wav(rec_b)
    assert ra == rb == 8000                       # PCMU
    assert len(xb) > 2.5 * rb and len(xa) > 2.5 * ra
    # the DTMF went as RFC 4733 events, so the audio stays a pure tone
    assert audio.has_tone(xb, rb, 440, min_ratio=0.9), audio.dominant_frequency(xb, rb)
    assert audio.has_tone(xa, ra, 1000, min_ratio=0.9), audio.dominant_frequency(xa, ra)
    assert not audio.has_tone(xb, rb, 1000) and not audio.has_tone(xa, ra, 440)
    assert audio.rms(xb) > 0.1
    # what each phone sent is recorded too
    (sent_a,) = a.sent_wav_paths()
    xs, rs, _ = audio.read_wav(sent_a)
    assert audio.has_tone(xs, rs, 440)


@pytest.mark.e2e
@need_baresip
def test_g722_call_records_16khz(tmp_path, ports, phones):
    wav = audio.write_tone_wav(tmp_path / "t.wav", 440, 30)          # 8 kHz, resampled
    a = phones("ga", next(ports), next(ports), audio_wav=wav, register=False, codecs="G722")
    b = phones("gb", next(ports), next(ports), record_dir=tmp_path / "rec", register=False,
               answermode="auto")
    a.dial(b.contact_uri)
    a.wait_established(5)
    b.wait_established(5)                 # auto answer: no CALL_INCOMING event
    time.sleep(1.5)
    b.hangup()
    a.wait_closed(5)
    b.wait_closed(5)
    (rec,) = b.received_wav_paths()
    x, rate, _ = audio.read_wav(rec)
    assert rate == 16000
    assert audio.has_tone(x, rate, 440, min_ratio=0.9)
    assert "CALL_INCOMING" not in b.event_types()


@pytest.mark.e2e
@need_baresip
def test_call_failures_are_reported(tmp_path, ports, phones):
    wav = audio.write_tone_wav(tmp_path / "t.wav", 440, 30)
    a = phones("fa", next(ports), next(ports), audio_wav=wav, register=False)
    b = phones("fb", next(ports), next(ports), audio_wav=wav, register=False)
    a.dial(f"sip:nobody@127.0.0.1:{b.sip_port}")         # no such user at b
    assert a.wait_closed(5)["param"] == "404 Not Found"
    a.dial(b.contact_uri)
    b.wait_incoming(5)
    b.hangup()                                             # reject
    assert a.wait_closed(5)["param"].startswith("486")
    with pytest.raises(EventFailure) as ei:               # fail_on short-circuits
        a.dial(b.contact_uri)
        b.wait_incoming(5)
        b.hangup()
        a.wait_established(5)
    assert ei.value.event["type"] == "CALL_CLOSED"
    with pytest.raises(EventTimeout):
        a.wait_event("CALL_DTMF_START", 0.2)


@pytest.mark.e2e
@need_baresip
def test_hold_resume_and_blind_transfer(tmp_path, ports, phones):
    wav = audio.write_tone_wav(tmp_path / "t.wav", 440, 30)
    a = phones("ta", next(ports), next(ports), audio_wav=wav, register=False)
    b = phones("tb", next(ports), next(ports), audio_wav=wav, register=False, answermode="auto")
    c = phones("tc", next(ports), next(ports), audio_wav=wav, register=False, answermode="auto")
    a.dial(b.contact_uri)
    first = a.wait_established(5)
    b.wait_established(5)
    b.drain()
    a.hold()                                  # re-INVITE: only SDP events, no hold event
    assert b.wait_event("CALL_REMOTE_SDP", 5)["param"] == "offer"
    a.resume()
    assert b.wait_event("CALL_REMOTE_SDP", 5)["param"] == "offer"

    b.transfer(c.contact_uri)                 # REFER; a follows it by itself
    assert a.wait_event("TRANSFER", 5)["param"] == c.contact_uri
    assert b.wait_closed(5)["param"] == "Call transfered"
    assert c.wait_established(5)["peeruri"] == a.contact_uri
    second = a.wait_established(5)
    assert second["id"] != first["id"]        # events carry the SIP Call-ID
    a.wait_event("CALL_CLOSED", 5, match={"id": first["id"]})
    a.hangup()
    c.wait_closed(5)


@pytest.mark.e2e
@need_baresip
def test_short_source_wav_ends_the_call(tmp_path, ports, phones):
    long = audio.write_tone_wav(tmp_path / "long.wav", 440, 30)
    short = audio.write_tone_wav(tmp_path / "short.wav", 1000, 0.5)
    a = phones("sa", next(ports), next(ports), audio_wav=long, register=False)
    b = phones("sb", next(ports), next(ports), audio_wav=short, register=False,
               answermode="auto")
    a.dial(b.contact_uri)
    a.wait_established(5)
    ev = b.wait_event("AUDIO_ERROR", 5)
    assert "end of file" in ev["param"]
    assert b.wait_closed(5)["param"] == "end of file"
    a.wait_closed(5)


@pytest.mark.e2e
@need_baresip
def test_registration_ok_and_refused(tmp_path, ports, phones):
    reg_ok = FakeRegistrar(next(ports), "ok")
    reg_no = FakeRegistrar(next(ports), "403")
    try:
        p = phones("r1", next(ports), next(ports), user="1001", password="pw",
                   registrar=f"127.0.0.1:{reg_ok.sock.getsockname()[1]}", regint=60)
        ev = p.wait_registered(5)
        assert ev["param"] == "200 OK" and ev["accountaor"] == p.aor
        first = reg_ok.requests[0]
        assert first.startswith(f"REGISTER sip:127.0.0.1:{reg_ok.sock.getsockname()[1]} SIP/2.0")
        assert re.search(r"Contact: <sip:1001-0x[0-9a-f]+@127\.0\.0\.1:%d>;expires=60" % p.sip_port,
                         first), first

        q = phones("r2", next(ports), next(ports), user="1002", password="pw",
                   registrar=f"127.0.0.1:{reg_no.sock.getsockname()[1]}")
        with pytest.raises(EventFailure) as ei:
            q.wait_registered(5)
        assert ei.value.event["type"] == "REGISTER_FAIL"
        assert ei.value.event["param"] == "403 Forbidden"
        p.stop()
        # on quit baresip unregisters (Expires 0)
        assert any("expires=0" in r for r in reg_ok.requests[1:])
    finally:
        reg_ok.close()
        reg_no.close()


@pytest.mark.e2e
@need_baresip
@need_sipp
def test_sipp_and_malformed_against_baresip(tmp_path, ports, phones):
    b = phones("target", next(ports), next(ports), register=False, answermode="auto")
    # the whole barrage from one socket, then a liveness probe
    malformed.send_datagrams("127.0.0.1", b.sip_port, malformed.MALFORMED, wait=0.3,
                             ruser="target")
    assert b.running
    resp = malformed.send_datagrams("127.0.0.1", b.sip_port, [malformed.valid_options()],
                                    ruser="target")
    assert [malformed.status_code(r) for r in resp] == [200]

    r = run_sipp(OPTIONS, b.sip_port, local_port=next(ports), workdir=tmp_path / "sipp",
                 service="target", timeout=10)
    assert r.ok, str(r)
    r = run_sipp(UAC_CALL, b.sip_port, local_port=next(ports), workdir=tmp_path / "sipp",
                 service="target", calls=2, pause_ms=300, timeout=15)
    assert r.ok, str(r)
    for _ in range(2):      # sipp may exit before baresip has reported the BYE
        b.wait_event("CALL_CLOSED", 5, match=lambda e: "sipp@" in e.get("peeruri", ""))

    reg = FakeRegistrar(next(ports), "challenge")
    try:
        users = write_users_csv(tmp_path / "users.csv", [("1001", "secret")])
        r = run_sipp(REGISTER, reg.sock.getsockname()[1], local_port=next(ports),
                     workdir=tmp_path / "sipp", inject_file=users, timeout=10)
        assert r.ok, str(r)
        assert 'Authorization: Digest username="1001"' in reg.requests[-1]
        assert 'realm="kefu-test"' in reg.requests[-1]
    finally:
        reg.close()
