"""Auto-answer end to end: a desk phone that honours kefu's ``Call-Info: …;answer-after=0``.

Debian's baresip ignores the auto-answer headers, so the agent's desk phone here is sipp
(tests/e2e/sipp/desk_phone.xml registers it, desk_phone_call.xml takes kefu's INVITE):
it answers by itself only when the INVITE asks for it, and then talks — a 1000 Hz tone
streamed as PCMU with sipp's ``rtp_stream``.  A baresip caller (440 Hz) dials the queue;
nobody presses anything.  With ``auto_answer: false`` the same phone only rings, the offer
times out and the caller never hears the phone.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from . import audio
from .conftest import add_user, extension_password, start_kefu, stop_kefu, wait_for
from .phones import find_free_ports, port_is_free
from .sipp import HERE, write_users_csv
from .sipp.carrier import Carrier, header, received

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif((shutil.which("sipp") is None or shutil.which("baresip") is None)
                                 and not os.environ.get("CI"),
                                 reason="sipp or baresip not installed")]

DESK_PHONE = HERE / "desk_phone.xml"            # REGISTER, idle, unregister (main scenario)
DESK_PHONE_CALL = HERE / "desk_phone_call.xml"  # kefu's INVITE (out-of-call scenario)
TONE_FILE = "desk_phone_tone.ulaw"              # the name desk_phone_call.xml plays

AGENT, EXTENSION, CALLER = "dana", "1003", "1001"
AGENT_PW = "agent-password-1"
QUEUE_NUMBER = "8101"
PHONE_TONE, CALLER_TONE = 1000, 440

QUEUE_TOML = f"""
[acd]
no_answer_limit = 1

[[queues]]
name = "desk"
number = "{QUEUE_NUMBER}"
strategy = "longest_idle"
members = {{ {AGENT} = 1 }}
ring_timeout = 3
retry = 0.5
wrap_up = 0
"""


@pytest.fixture(scope="module")
def kefu(tmp_path_factory):
    server = start_kefu(tmp_path_factory.mktemp("kefu-auto-answer"), extra=QUEUE_TOML)
    add_user(server, AGENT, AGENT_PW, extensions=[EXTENSION])
    yield server
    log = stop_kefu(server)
    assert "Traceback" not in log, log


# --- the desk phone (sipp) --------------------------------------------------------------------

def ulaw_encode(samples: np.ndarray) -> bytes:
    """G.711 u-law of float samples in [-1, 1) (the classic bias-and-segment encoder)."""
    pcm = np.clip(np.round(np.asarray(samples) * 32767.0), -32768, 32767).astype(np.int32)
    sign = np.where(pcm < 0, 0x80, 0)
    magnitude = np.minimum(np.abs(pcm), 32635) + 0x84
    exponent = np.clip(np.floor(np.log2(magnitude >> 7)), 0, 7).astype(np.int32)
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return (~(sign | (exponent << 4) | mantissa) & 0xFF).astype(np.uint8).tobytes()


def write_tone_ulaw(path: Path, freq: float, seconds: float = 1.0, rate: int = 8000,
                    amplitude: float = 0.3) -> Path:
    """Raw u-law (no header: sipp 3.6 streams the file's bytes as they are); a whole number
    of 20 ms packets and of tone periods, so the loop is seamless."""
    n = int(seconds * rate) // 160 * 160
    t = np.arange(n) / rate
    path.write_bytes(ulaw_encode(amplitude * np.sin(2 * np.pi * freq * t)))
    return path


class DeskPhone:
    """One sipp process: the agent's desk phone on its own SIP port and media ports."""

    def __init__(self, kefu, workdir: Path, number: str) -> None:
        self.number = number
        self.sip_port, = find_free_ports(1, step=2, span=2)
        self.media_port, = find_free_ports(1, step=4, span=4)     # sipp binds mp and mp+2
        workdir.mkdir(parents=True, exist_ok=True)
        write_tone_ulaw(workdir / TONE_FILE, PHONE_TONE)
        users = write_users_csv(workdir / "desk_phone_users.csv",
                                [(number, extension_password(number))])
        self.sipp = Carrier(DESK_PHONE, ip="127.0.0.1", port=self.sip_port, workdir=workdir,
                            target=kefu.registrar, media_port=self.media_port, timeout=40,
                            extra_args=["-oocsf", str(DESK_PHONE_CALL), "-inf", str(users)])

    def start(self) -> "DeskPhone":
        self.sipp.start(settle=0)
        wait_for(lambda: self.registered() or self.sipp.proc.poll() is not None,
                 what=f"the desk phone {self.number} to register")
        assert self.registered(), self.sipp.wait(timeout=5)
        return self

    def registered(self) -> bool:
        return f"registered {self.number}" in self.sipp.logs

    def logged(self, text: str) -> bool:
        return text in self.sipp.logs

    def finish(self):
        """Wait for sipp to end by itself (the call over, the phone unregistered)."""
        result = self.sipp.wait(timeout=15)
        assert result.ok, f"{result}\n--- logs ---\n{self.sipp.logs}"
        assert f"unregistered {self.number}" in self.sipp.logs, self.sipp.logs
        return result

    def stop(self) -> None:
        self.sipp.stop()
        for port in (self.sip_port, self.media_port, self.media_port + 2):
            wait_for(lambda: port_is_free(port), timeout=5, what=f"port {port} free")


@pytest.fixture
def desk_phone(kefu, tmp_path):
    """Factory: a registered sipp desk phone; every sipp is killed afterwards, its ports
    free again, and the agent logged out."""
    made: list[DeskPhone] = []

    def make(number: str = EXTENSION) -> DeskPhone:
        p = DeskPhone(kefu, tmp_path / f"desk{number}-{len(made)}", number)
        made.append(p)
        return p.start()

    yield make
    kefu.api("POST", f"/agents/{AGENT}/logout")
    for p in made:
        p.stop()


# --- helpers ----------------------------------------------------------------------------------

def login(kefu, auto_answer: bool) -> dict:
    status, body = kefu.api("POST", f"/agents/{AGENT}/login",
                            {"extension": EXTENSION, "auto_answer": auto_answer,
                             "ready": True, "queues": ["desk"]})
    assert status == 200, body
    assert body["device"] == "phone" and body["auto_answer"] is auto_answer, body
    return body


def agent(kefu) -> dict:
    status, body = kefu.api("GET", f"/agents/{AGENT}")
    assert status == 200, body
    return body


def tone_windows(path, freq: float) -> list[bool]:
    """For each quarter second of the recording (half overlapping): is it ``freq``?"""
    samples, rate, _ = audio.read_wav(path)
    step = rate // 4
    return [audio.has_tone(samples[i:i + step], rate, freq)
            for i in range(0, len(samples) - step, step // 2)]


# --- tests ------------------------------------------------------------------------------------

def test_desk_phone_answers_the_offer_by_itself(kefu, phone, desk_phone):
    desk = desk_phone()
    caller = phone(CALLER, tone=CALLER_TONE)
    since = time.time()
    login(kefu, auto_answer=True)
    caller.dial(kefu.uri(QUEUE_NUMBER))
    caller.wait_established()

    # nobody presses anything: the phone picks up and the agent talks to the caller
    wait_for(lambda: agent(kefu)["state"] == "talking", what="the agent talking")
    connect = wait_for(lambda: kefu.events(since, "queue.connect"), what="queue.connect")
    assert connect[0][2]["agent"] == AGENT and connect[0][2]["caller"] == CALLER, connect
    assert not kefu.events(since, "queue.ring_no_answer")
    assert desk.logged("auto-answered") and not desk.logged("ringing only"), desk.sipp.logs

    # the phone's tone reaches the caller: let two seconds of it flow (nothing to poll)
    time.sleep(2.0)
    caller.hangup()
    caller.wait_closed()
    wait_for(lambda: desk.logged("hung up by kefu"), what="kefu's BYE at the desk phone")
    result = desk.finish()

    (invite,) = received(result.message_log, "INVITE")
    assert invite.startswith(f"INVITE sip:{EXTENSION}@"), invite.split("\n")[0]
    assert header(invite, "Call-Info") == "<sip:127.0.0.1>;answer-after=0", invite
    assert header(invite, "Alert-Info") == "<http://127.0.0.1/>;info=alert-autoanswer", invite
    (ack,) = received(result.message_log, "ACK")
    assert header(ack, "Call-Info") is None and header(ack, "Alert-Info") is None, ack
    (bye,) = received(result.message_log, "BYE")
    assert header(bye, "Call-Info") is None, bye

    (rx,) = caller.received_wav_paths()
    heard = tone_windows(rx, PHONE_TONE)
    assert sum(heard) >= 4, heard                       # at least a second of the tone
    samples, rate, _ = audio.read_wav(rx)
    tail = samples[-int(1.25 * rate):-int(0.25 * rate)]
    assert audio.has_tone(tail, rate, PHONE_TONE), audio.dominant_frequency(tail, rate)

    complete = wait_for(lambda: kefu.events(since, "queue.complete"), what="queue.complete")
    assert complete[0][2]["agent"] == AGENT and complete[0][2]["by"] == "caller", complete
    wait_for(lambda: agent(kefu)["state"] == "ready", what="the agent ready again (wrap-up 0)")


def test_without_auto_answer_the_desk_phone_only_rings(kefu, phone, desk_phone):
    desk = desk_phone()
    caller = phone(CALLER, tone=CALLER_TONE)
    since = time.time()
    login(kefu, auto_answer=False)
    caller.dial(kefu.uri(QUEUE_NUMBER))
    caller.wait_established()

    wait_for(lambda: desk.logged("ringing only"), what="the desk phone ringing")
    missed = wait_for(lambda: kefu.events(since, "queue.ring_no_answer"), timeout=15,
                      what="queue.ring_no_answer")
    assert missed[0][2]["agent"] == AGENT, missed
    # no_answer_limit = 1: one unanswered offer pauses the agent
    state = wait_for(lambda: (lambda a: a if a["state"] == "not_ready" else None)(agent(kefu)),
                     what="the agent paused")
    assert state["reason"] == "no_answer", state
    wait_for(lambda: desk.logged("cancelled by kefu"), what="kefu's CANCEL at the desk phone")
    result = desk.finish()
    assert not desk.logged("auto-answered"), desk.sipp.logs

    (invite,) = received(result.message_log, "INVITE")
    assert header(invite, "Call-Info") is None and header(invite, "Alert-Info") is None, invite
    sent_codes = [m.split(" ", 2)[1] for m in received(result.message_log, "SIP/2.0", way="sent")]
    assert "180" in sent_codes and "487" in sent_codes, sent_codes
    assert not [m for m in received(result.message_log, "SIP/2.0 200", way="sent")
                if header(m, "CSeq").endswith("INVITE")], "the phone answered"

    assert not kefu.events(since, "queue.connect")
    assert agent(kefu)["state"] == "not_ready"
    caller.hangup()
    caller.wait_closed()
    abandon = wait_for(lambda: kefu.events(since, "queue.abandon"), what="queue.abandon")
    assert abandon[0][2]["caller"] == CALLER, abandon
    (rx,) = caller.received_wav_paths()
    samples, rate, _ = audio.read_wav(rx)
    assert len(samples) > 3 * rate                     # the caller waited through the offer
    assert audio.rms(samples) > 0.01                   # hearing the queue's music meanwhile
    heard = tone_windows(rx, PHONE_TONE)
    assert not any(heard), heard

