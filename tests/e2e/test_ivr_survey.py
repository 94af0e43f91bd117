"""A queue's post-call survey on real calls: a baresip caller dials the queue, a baresip
agent answers and hangs up first; the caller is not hung up but hears the survey flow's
prompt (speech energy at the caller, not the agent's tone), keys 4, and the score is on
the call's CDR (``/calls``) and in the customer's contact history, which the desk's
customer card shows when the customer calls again (a browser).  The variants (the
caller hanging up first, no survey, no such flow) are tested in process
(tests/acd/test_survey.py, tests/ivr/test_calls_survey.py)."""

from __future__ import annotations

import time

import pytest

from . import audio
from .browser import have_browser, session_on
from .conftest import wait_for
from .flows import MARKS, serve_flow
from .test_desktop import agent_login, expect, sign_in

pytestmark = MARKS

CONFIG = """
[[queues]]
name = "service"
number = "8201"
members = { alice = 1 }
wrap_up = 30
survey = "flow:csat"
"""
CSAT = {
    "name": "csat", "language": "zh", "start": "ask",
    "nodes": {
        "ask": {"type": "survey", "prompt": "请为本次服务打分，满意请按五，不满意请按一",
                "timeout": 15, "next": "thanks"},
        "thanks": {"type": "hangup", "prompt": "谢谢您的评价，再见"},
    },
}


@pytest.fixture(scope="module")
def kefu(tmp_path_factory):
    yield from serve_flow(tmp_path_factory.mktemp("kefu-ivr-survey"), CONFIG, CSAT)


def test_the_agent_hangs_up_and_the_caller_scores_the_call(kefu, phone):
    agent = phone("1001", tone=1000, answermode="manual")
    caller = phone("2001", tone=440)
    status, body = kefu.api("POST", "/agents/alice/login", {"extension": "1001", "ready": True})
    assert status == 200, body
    since = time.time()
    caller.dial(kefu.uri("8201"))
    caller.wait_established()
    agent.wait_incoming(timeout=15)
    agent.accept()
    agent.wait_established()
    call_id = wait_for(lambda: kefu.events(since, "queue.connect"), what="connect")[0][1]
    time.sleep(1.5)                                  # the caller hears the agent's tone
    agent.hangup()
    agent.wait_closed()
    hung_up = time.time()
    wait_for(lambda: [d for t, c, d in kefu.events(since, "ivr.node")
                      if c == call_id and d["node"] == "ask"], timeout=10, what="survey")
    status, body = kefu.api("GET", "/agents")
    alice = next(a for a in body if a["username"] == "alice")
    assert alice["state"] == "wrap_up", alice          # freed from the call as usual
    time.sleep(4.0)                                  # the prompt plays
    caller.send_dtmf("4")
    survey = wait_for(lambda: kefu.events(since, "ivr.survey"), timeout=10, what="score")
    assert [(c, d["score"]) for _, c, d in survey] == [(call_id, 4)]
    caller.wait_closed(timeout=15)                   # thanks, then the flow hangs up
    closed = time.time()

    # after the agent left, the caller heard speech from kefu, not the agent's tone
    samples, rate, _ = audio.read_wav(caller.received_wav_paths()[0])
    samples = audio.to_mono(samples)
    tail = samples[-int((closed - hung_up) * rate):]
    prompt = tail[int(0.5 * rate): int(3.5 * rate)]
    assert audio.rms(prompt) > 0.005, audio.rms(prompt)
    assert not audio.has_tone(prompt, rate, 1000)
    before = samples[: -int((closed - hung_up) * rate)]
    assert audio.has_tone(before[-int(1.0 * rate):], rate, 1000)   # the agent, earlier

    # the score is on the CDR and, once a wrap-up note names the call, in the history
    def cdr():
        status, page = kefu.api("GET", "/calls?number=2001")
        assert status == 200, page
        done = [c for c in page["items"] if c["call_id"] == call_id and c["end_ts"]]
        return done[0] if done else None
    record = wait_for(cdr, timeout=10, what="CDR")
    assert record["survey_score"] == 4 and record["disposition"] == "answered", record
    status, body = kefu.api("POST", f"/calls/{call_id}/notes",
                            {"number": "2001", "type": "inquiry", "result": "resolved"})
    assert status == 201, body
    status, history = kefu.api("GET", f"/customers/{body['customer']['id']}/history")
    assert status == 200 and [(n["call_id"], n["survey_score"]) for n in history] == [
        (call_id, 4)], history
    kefu.api("POST", "/agents/alice/logout")
    if have_browser():
        desk_shows_the_score(kefu, caller, call_id)


def desk_shows_the_score(kefu, caller, call_id: str) -> None:
    """The customer calls again: alice's desk pops the customer card, whose contact
    history shows the earlier call's score."""
    with session_on(kefu) as browser:
        desk = browser.page()
        sign_in(desk, "/desk", "alice", "agent-password-1")
        agent_login(desk, "1001", ready=True)
        caller.dial(kefu.uri("8201"))
        caller.wait_established()
        expect()(desk.locator("#offer-panel")).to_be_visible(timeout=10000)
        # the score twice: on the call's line and as the survey's own line
        call = desk.locator(f"#customer-history li.tl-item[data-kind=call][data-ref='{call_id}']")
        expect()(call).to_contain_text("满意度评分 4/5", timeout=10000)
        survey = desk.locator(f"#customer-history li.tl-item[data-kind=survey][data-ref='{call_id}']")
        expect()(survey).to_contain_text("满意度评分 4/5")
        expect()(desk.locator("#customer-history h3")).to_have_text("联系记录")
        caller.hangup()
        caller.wait_closed()
        kefu.api("POST", "/agents/alice/logout")
