"""Recording policies in real calls (baresip): each rule decides (recorded, skipped, the
rule's name in the event log and on the CDR's recording), the announcement heard by both
sides of a recorded call only; a pause through the API is
silence in the WAV exactly where the caller's tone was; a blind transfer goes on in a
second segment of the same call, in order, each with its own party on the right; an agent's
queued call is decided at connect by a rule on queue and agent, and the desk's buttons
pause, resume and stop it (headless Chromium)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from . import audio
from .browser import BrowserSession, needs_browser
from .conftest import add_user, start_kefu, stop_kefu, wait_for
from .test_desktop import agent_login, expect, sign_in

pytestmark = pytest.mark.timeout(120)

NOTICE = 1800          # Hz: the announcement's tone (a WAV under data_dir/prompts)
RULES = """
[recording]
default = "never"
announce = "notice.wav"

[[recording.rules]]
name = "hr"
record = "never"
callee = "1003"

[[recording.rules]]
name = "from-1001"
record = "always"
caller = "100[1]"

[[recording.rules]]
name = "to-1005"
record = "always"
callee = "1005"

[[recording.rules]]
name = "sales-alice"
record = "always"
queue = "sales"
agent = "alice"

[[queues]]
name = "sales"
number = "8001"
members = { alice = 5 }
wrap_up = 0
"""
AGENT = ("alice", "agent-password-1", "1002")


@pytest.fixture(scope="module")
def kefu(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("kefu-rec")
    (tmp / "data" / "prompts").mkdir(parents=True)
    audio.write_tone_wav(tmp / "data" / "prompts" / "notice.wav", NOTICE, 1.0)
    server = start_kefu(tmp, extra=RULES)
    add_user(server, AGENT[0], AGENT[1], extensions=[AGENT[2]])
    yield server
    log = stop_kefu(server)
    assert "Traceback" not in log, log


def _connect(kefu, a, b, number: str) -> tuple[dict, dict]:
    a.dial(kefu.uri(number))
    b.wait_incoming()
    b.accept()
    return a.wait_established(), b.wait_established()


def _heard_notice(phone, established: dict) -> bool:
    """The phone's latest call, its first second: the announcement's tone?"""
    (path,) = phone.received_wav_paths()[-1:]
    samples, rate, _ = audio.read_wav(path)
    first = samples[int(0.1 * rate):int(0.8 * rate)]
    return audio.tone_power_ratio(first, rate, NOTICE) > 0.15


def _live(kefu, caller: str) -> str:
    def find():
        status, calls = kefu.api("GET", "/live-calls")
        return next((c["call_id"] for c in calls or []
                     if c["caller"] == caller and c["state"] == "connected"), None)
    return wait_for(find, what=f"a connected call from {caller}")


def _recording_events(kefu, call_id: str, ended: bool = True) -> list[tuple[str, dict]]:
    def got():
        evs = [(t, d) for t, c, d in kefu.events(kefu.mark - 1) if c == call_id]
        return evs if not ended or any(t == "call.ended" for t, _ in evs) else None
    return [(t, d) for t, d in wait_for(got, what=f"call {call_id} to end")
            if t.startswith("call.recording")]


def _hang_up(*phones) -> None:
    phones[0].hangup()
    for p in phones:
        p.wait_closed()


def test_each_rule_decides_and_names_itself(kefu, phone):
    a, b, c = phone("1001", tone=440), phone("1002", tone=1000), phone("1003", tone=700)
    calls, notice = {}, {}
    for caller, callee in ((a, b), (b, c), (b, a)):     # from-1001, hr, the default (never)
        established = _connect(kefu, caller, callee, callee.user)
        calls[(caller.user, callee.user)] = _live(kefu, caller.user)
        time.sleep(1.2)
        _hang_up(caller, callee)
        notice[(caller.user, callee.user)] = [_heard_notice(p, e) for p, e in
                                              zip((caller, callee), established)]
    decided = {}
    for pair, call_id in calls.items():
        evs = _recording_events(kefu, call_id)
        decided[pair] = [(t, d.get("policy")) for t, d in evs]
    assert decided == {
        ("1001", "1002"): [("call.recording_started", "from-1001"), ("call.recording", None)],
        ("1002", "1003"): [("call.recording_skipped", "hr")],
        ("1002", "1001"): [("call.recording_skipped", "default")],
    }
    # the announcement: both sides hear it when the call is recorded, nobody otherwise
    assert notice == {("1001", "1002"): [True, True], ("1002", "1003"): [False, False],
                      ("1002", "1001"): [False, False]}
    cdrs = {(r["caller"], r["callee"]): r for r in kefu.cdr("1002", expect=3)}
    assert Path(cdrs["1001", "1002"]["recording_path"]).is_file()
    assert cdrs["1002", "1003"]["recording_path"] is None
    assert cdrs["1002", "1001"]["recording_path"] is None


def _band(samples, rate: int, t0: float, t1: float, freq: float) -> float:
    part = samples[int(t0 * rate):int(t1 * rate)]
    return audio.tone_power_ratio(part, rate, freq) if len(part) else 0.0


def test_a_pause_is_silence_where_the_callers_tone_was(kefu, phone):
    a, b = phone("1001", tone=440), phone("1002", tone=1000)
    _connect(kefu, a, b, "1002")
    call_id = _live(kefu, "1001")
    path = f"/live-calls/{call_id}/recording"
    time.sleep(1.5)
    assert kefu.api("POST", path, {"action": "pause"})[0] == 204
    status, body = kefu.api("POST", path, {"action": "pause"})
    assert status == 409 and "already paused" in body["detail"]
    time.sleep(1.5)
    assert kefu.api("POST", path, {"action": "resume"})[0] == 204
    time.sleep(1.5)
    _hang_up(a, b)
    evs = dict(_recording_events(kefu, call_id))
    paused, resumed, closed = (evs[t] for t in ("call.recording_paused",
                                                 "call.recording_resumed", "call.recording"))
    assert paused["by"] == resumed["by"] == "admin"
    t0, t1 = paused["at"], resumed["at"]
    assert closed["paused"] == [[t0, t1]] and 1.2 <= t1 - t0 <= 2.0
    stereo, rate, _ = audio.read_wav(closed["path"])
    for ch, freq in ((0, 440), (1, 1000)):
        x = stereo[:, ch]
        assert _band(x, rate, t0 - 0.8, t0 - 0.1, freq) > 0.5, "the tone before the pause"
        assert _band(x, rate, t1 + 0.2, t1 + 0.9, freq) > 0.5, "and after it"
        inside = x[int((t0 + 0.05) * rate):int((t1 - 0.05) * rate)]
        assert audio.rms(inside) < 1.0, "silence inside"


def test_a_blind_transfer_goes_on_in_the_next_segment(kefu, phone):
    a, b, c = phone("1001", tone=440), phone("1002", tone=1000), phone("1005", tone=1300)
    _connect(kefu, a, b, "1002")
    call_id = _live(kefu, "1001")
    time.sleep(1.0)
    status, body = kefu.api("POST", f"/live-calls/{call_id}/transfer",
                            {"by": "1002", "target": "1005"})
    assert status == 202, body
    b.wait_closed()
    c.wait_incoming()
    c.accept()
    c.wait_established()
    time.sleep(1.5)
    _hang_up(a, c)
    evs = _recording_events(kefu, call_id)
    assert [(t, d["segment"]) for t, d in evs] == [
        ("call.recording_started", 1), ("call.recording", 1),
        ("call.recording_started", 2), ("call.recording", 2)]
    first, second = evs[1][1], evs[3][1]
    assert evs[0][1]["parties"] == ["1002"] and evs[2][1]["parties"] == ["1005"]
    assert first["path"] != second["path"] and Path(second["path"]).name == f"{call_id}-2.wav"
    for rec, right in ((first, 1000), (second, 1300)):
        stereo, rate, _ = audio.read_wav(rec["path"])
        mid = stereo[int(0.3 * rate):int((rec["duration"] - 0.2) * rate)]
        assert audio.has_tone(mid[:, 0], rate, 440), "left: the caller in both"
        assert audio.has_tone(mid[:, 1], rate, right), "right: the party of that segment"


def test_an_attended_transfer_links_the_consultation_and_goes_on_in_segment_2(kefu, phone):
    a, b, c = phone("1001", tone=440), phone("1002", tone=1000), phone("1005", tone=1300)
    _connect(kefu, a, b, "1002")
    first = _live(kefu, "1001")
    assert kefu.api("POST", f"/live-calls/{first}/hold", {"by": "1002"})[0] == 204
    _connect(kefu, b, c, "1005")                       # the consultation call
    consult = _live(kefu, "1002")
    time.sleep(0.5)
    status, body = kefu.api("POST", f"/live-calls/{first}/transfer",
                            {"by": "1002", "consult_call_id": consult})
    assert status == 202, body
    b.wait_closed()
    time.sleep(1.5)
    _hang_up(a, c)
    asked = _recording_events(kefu, consult)
    assert [t for t, _ in asked] == ["call.recording_started", "call.recording"]
    assert (asked[0][1]["policy"], asked[0][1]["linked_to"]) == ("to-1005", first)
    # segment 1's file is closed on the I/O thread while segment 2 starts: by segment
    journey = sorted(_recording_events(kefu, first), key=lambda e: e[1]["segment"])
    assert [(t, d["segment"]) for t, d in journey] == [
        ("call.recording_started", 1), ("call.recording", 1),
        ("call.recording_started", 2), ("call.recording", 2)]
    assert journey[2][1]["parties"] == ["1005"] and journey[2][1]["linked_to"] is None
    stereo, rate, _ = audio.read_wav(journey[3][1]["path"])
    mid = stereo[int(0.3 * rate):int((journey[3][1]["duration"] - 0.2) * rate)]
    assert audio.has_tone(mid[:, 0], rate, 440) and audio.has_tone(mid[:, 1], rate, 1300)


@needs_browser
def test_a_queue_and_agent_rule_then_the_desk_pauses_and_stops(kefu, phone, tmp_path):
    agent_phone, caller = phone(AGENT[2], tone=1000), phone("1004", tone=440)
    wav = audio.write_tone_wav(tmp_path / "mic.wav", 700, 60, rate=48000)
    browser = BrowserSession(f"http://127.0.0.1:{kefu.http_port}", wav).start()
    try:
        desk = browser.page()
        sign_in(desk, "/desk", AGENT[0], AGENT[1])
        agent_login(desk, AGENT[2], ready=True, device="phone", queues=["sales"])
        caller.dial(kefu.uri("8001"))
        agent_phone.wait_incoming(timeout=10)
        agent_phone.accept()
        agent_phone.wait_established()
        call_id = _live(kefu, "1004")
        state = desk.locator("#rec-state")
        expect()(state).to_have_text("录音中", timeout=8000)
        desk.click("#btn-rec-pause")
        expect()(state).to_have_text("录音已暂停", timeout=5000)
        desk.click("#btn-rec-pause")
        expect()(state).to_have_text("录音中", timeout=5000)
        desk.click("#btn-rec")
        expect()(state).to_have_text("未录音", timeout=5000)
        browser.check()
    finally:
        browser.close()
        kefu.api("POST", f"/agents/{AGENT[0]}/logout")
    _hang_up(caller, agent_phone)
    evs = _recording_events(kefu, call_id)
    assert [(t, d.get("by")) for t, d in evs] == [
        ("call.recording_started", None), ("call.recording_paused", "alice"),
        ("call.recording_resumed", "alice"), ("call.recording", "alice")]
    started = evs[0][1]
    assert (started["policy"], started["agent"], started["parties"]) == (
        "sales-alice", "alice", [AGENT[2]])
