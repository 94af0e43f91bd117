"""Agent → self-service → the same agent (坐席与IVR互动) on real calls: a baresip caller
reaches a baresip agent through a queue; the agent (through the API, then from the desk in
Chromium) sends the caller into a flow that collects four digits and ``return``s; the caller
presses them; caller and agent hear each other again (each one's tone by FFT at the other
end), and the digits are the call's attached data.  While the caller is inside, neither
hears the other: the caller hears the prompt, the agent music.  The other endings, the
hang-ups inside and the API's roles are tested in process (tests/ivr/test_self_service.py).
"""

from __future__ import annotations

import os
import shutil
import time
import urllib.error
import urllib.request

import pytest

from . import audio
from .browser import BrowserSession, needs_browser
from .conftest import wait_for
from .test_desktop import agent_login, expect, sign_in
from .flows import AGENT_PW, at_node, serve_flow

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(shutil.which("baresip") is None and not os.environ.get("CI"),
                                 reason="baresip not installed"),
              pytest.mark.skipif(shutil.which("espeak-ng") is None and not os.environ.get("CI"),
                                 reason="espeak-ng not installed")]

AGENT_TONE, CALLER_TONE = 1000, 1300
CONFIG = """
[[queues]]
name = "service"
number = "8101"
members = { alice = 1 }
wrap_up = 0
"""
FLOW = {
    "name": "pin", "language": "zh", "start": "ask",
    "nodes": {
        "ask": {"type": "collect", "prompt": "请输入四位密码", "into": "pin",
                "min_digits": 4, "max_digits": 4, "first_timeout": 15, "next": "back"},
        "back": {"type": "return"},
    },
}


@pytest.fixture(scope="module")
def kefu(tmp_path_factory):
    yield from serve_flow(tmp_path_factory.mktemp("kefu-ivr-roundtrip"), CONFIG, FLOW)


def alice_token(kefu) -> str:
    status, body = kefu.api("POST", "/auth/login", {"username": "alice", "password": AGENT_PW},
                            token="-")
    assert status == 200, body
    return body["token"]


def connected(kefu, since: float) -> str:
    """The call id once the queue connected alice."""
    return wait_for(lambda: kefu.events(since, "queue.connect"), timeout=15,
                    what="queue.connect")[0][1]


def enter_pin(kefu, caller, since: float, pin: str) -> dict:
    """The caller hears the prompt, presses ``pin``; the ``ivr.back`` event that follows."""
    at_node(kefu, since, "ask")
    time.sleep(1.5)
    for key in pin:
        caller.send_dtmf(key)
        time.sleep(0.3)
    return wait_for(lambda: kefu.events(since, "ivr.back"), timeout=15, what="ivr.back")[0][2]


def window(samples, rate: int, start: float, end: float):
    return samples[int(max(start, 0) * rate): int(end * rate)]


def test_the_caller_walks_a_flow_and_comes_back_to_the_same_agent(kefu, phone):
    agent = phone("1001", tone=AGENT_TONE, answermode="manual")
    caller = phone("2001", tone=CALLER_TONE)
    token = alice_token(kefu)
    status, body = kefu.api("POST", "/agents/alice/login", {"extension": "1001", "ready": True})
    assert status == 200, body
    since = time.time()
    caller.dial(kefu.uri("8101"))
    caller.wait_established()
    t_caller = time.time()
    agent.wait_incoming(timeout=15)
    agent.accept()
    agent.wait_established()
    t_agent = time.time()
    call_id = connected(kefu, since)
    time.sleep(2.0)                                    # they talk

    t_sent = time.time()
    status, body = kefu.api("POST", f"/live-calls/{call_id}/ivr", {"flow": "pin"}, token=token)
    assert status == 202, body
    assert kefu.api("GET", "/agents/alice")[1]["state"] == "talking"   # reserved for the call
    back = enter_pin(kefu, caller, since, "2468")
    t_back = time.time()
    assert back == {"flow": "pin", "agent": "alice", "reason": "returned", "keys": ["pin"]}
    status, data = kefu.api("GET", f"/live-calls/{call_id}/data", token=token)
    assert status == 200 and data == {"pin": "2468"}, data
    sent = kefu.events(since, "ivr.sent")
    assert sent[0][1:] == (call_id, {"flow": "pin", "agent": "alice", "by": "1001"})
    time.sleep(2.5)                                    # they talk again
    t_end = time.time()
    caller.hangup()
    caller.wait_closed()
    agent.wait_closed()
    wait_for(lambda: kefu.api("GET", "/agents/alice")[1]["state"] == "ready",
             what="alice ready again")

    heard = {}
    for name, p, t0 in (("caller", caller, t_caller), ("agent", agent, t_agent)):
        samples, rate, _ = audio.read_wav(p.received_wav_paths()[0])
        heard[name] = (audio.to_mono(samples), rate, t0)

    def has(name: str, tone: int, start: float, end: float) -> bool:
        samples, rate, t0 = heard[name]
        return audio.has_tone(window(samples, rate, start - t0, end - t0), rate, tone)

    # before: each hears the other; inside: neither; after the return: each again
    assert has("caller", AGENT_TONE, t_sent - 1.5, t_sent - 0.3)
    assert has("agent", CALLER_TONE, t_sent - 1.5, t_sent - 0.3)
    assert not has("caller", AGENT_TONE, t_sent + 0.8, t_back - 0.5)
    assert not has("agent", CALLER_TONE, t_sent + 0.8, t_back - 0.5)
    samples, rate, t0 = heard["agent"]                 # the agent hears music meanwhile
    assert audio.rms(window(samples, rate, t_sent + 0.8 - t0, t_back - 0.5 - t0)) > 0.005
    samples, rate, t0 = heard["caller"]                # the caller the prompt
    assert audio.rms(window(samples, rate, t_sent + 0.3 - t0, t_sent + 1.3 - t0)) > 0.005
    assert has("caller", AGENT_TONE, t_back + 0.8, t_end - 0.3)
    assert has("agent", CALLER_TONE, t_back + 0.8, t_end - 0.3)
    assert agent.dtmf_received() == ""                 # no digit of the PIN reached the agent
    kefu.api("POST", "/agents/alice/logout")


@needs_browser
def test_the_desk_sends_the_caller_and_shows_what_the_flow_collected(kefu, phone, tmp_path):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{kefu.http_port}/", timeout=5).close()
    except urllib.error.HTTPError as err:
        pytest.fail(f"GET /: {err.code}; the web shell's packages: npm ci (scripts/frontend)")
    phone("1001", tone=AGENT_TONE, answermode="auto")   # the agent's desk phone
    caller = phone("2001", tone=CALLER_TONE)
    with BrowserSession(f"http://127.0.0.1:{kefu.http_port}") as browser:
        desk = browser.page()
        sign_in(desk, "/desk", "alice", AGENT_PW)
        agent_login(desk, "1001", ready=True, device="phone")
        since = time.time()
        caller.dial(kefu.uri("8101"))
        caller.wait_established()
        call_id = connected(kefu, since)
        expect()(desk.locator("#call-other")).to_have_text("2001", timeout=8000)
        expect()(desk.locator("#ivr-flow")).to_have_value("pin", timeout=5000)
        desk.click("#btn-ivr")
        expect()(desk.locator("#ivr-away")).to_contain_text("客户在自助流程中", timeout=5000)
        expect()(desk.locator("#btn-ivr")).to_be_disabled()
        back = enter_pin(kefu, caller, since, "1357")
        assert back["reason"] == "returned"
        expect()(desk.locator("#ivr-away")).to_be_hidden(timeout=5000)
        expect()(desk.locator("#call-data")).to_contain_text("1357", timeout=5000)
        expect()(desk.locator("#call-data")).to_contain_text("pin")
        assert kefu.events(since, "ivr.sent")[0][1] == call_id
        caller.hangup()
        caller.wait_closed()
        desk.click("#agent-logout")
        browser.check()
