"""The ACD end to end: real baresip agents and callers, a real ``kefu serve``.

Agents log in and change state through the HTTP API; callers dial queue numbers.  The
order of offers, abandons, overflow, callbacks and the no-answer pause are read back
from the event log (``call_events``, the table reports are built on), audio by FFT.

Each feature's signalling and audio path is here; the variants of its logic (the order
of every strategy, fewest calls and least talk, ring timeout then the next agent, VIP
tiers) are tested in process, over a fake switch and clock, in ``tests/acd/``.
"""

from __future__ import annotations

import os
import shutil
import time

import pytest

from . import audio
from .conftest import add_user, start_kefu, stop_kefu, wait_for

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(shutil.which("baresip") is None and not os.environ.get("CI"),
                                 reason="baresip not installed")]

AGENTS = {"alice": "1001", "bob": "1002", "carol": "1003"}
CALLERS = [str(n) for n in range(2001, 2011)]
FRESH_CALLERS = ["2011", "2012"]         # callers no agent has served before (customer test)
AGENT_PW = "agent-password-1"

QUEUES = """
[acd]
no_answer_limit = 2
busy_backoff = 1

[[queues]]
name = "sales"
number = "8001"
strategy = "longest_idle"
members = { alice = 5, bob = 5, carol = 5 }
ring_timeout = 4
retry = 0.5
wrap_up = 0

[[queues]]
name = "support"
number = "8002"
strategy = "top_down"
members = { alice = 1, bob = 1 }
ring_timeout = 2
retry = 0.2
wrap_up = 1
max_wait = 2
overflow = "1005"

[[queues]]
name = "callback"
number = "8003"
strategy = "longest_idle"
members = { carol = 1 }
callback_key = "9"
leave_key = "0"
ring_timeout = 5
wrap_up = 0
overflow = "1004"
callback_attempts = 2
callback_retry = 1

[[queues]]
name = "info"
number = "8004"
members = { bob = 1 }
announce_interval = 2
leave_key = "0"
overflow = "1005"
wrap_up = 0
"""
# the announcement prompts are tones, so what the caller hears can be told apart by FFT
PROMPT_TONES = {"position": 600, "1": 1500, "2": 1700}


MORE_QUEUES = """
[[queues]]
name = "personal"
number = "8005"
strategy = "customer"
prefer_timeout = 3
members = {{ alice = 1, bob = 1 }}
wrap_up = 0

[[queues]]
name = "tiny"
number = "8006"
members = {{ carol = 1 }}
max_length = 1
join_empty = false
leave_empty = true
wrap_up = 1
moh_file = "{moh}"

[[queues]]
name = "all"
number = "8008"
strategy = "ring_all"
members = {{ alice = 1, bob = 1, carol = 1 }}
wrap_up = 0

"""
MOH_TONE = 1300


@pytest.fixture(scope="module")
def kefu(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("kefu-acd")
    moh = audio.write_tone_wav(tmp / "moh.wav", MOH_TONE, 5)
    server = start_kefu(tmp, extra=QUEUES + MORE_QUEUES.format(moh=moh))
    for username, extension in AGENTS.items():
        add_user(server, username, AGENT_PW, extensions=[extension])
    for number in CALLERS + FRESH_CALLERS:
        status, body = server.api("POST", "/extensions", {"number": number,
                                                          "password": f"pw-{number}-secret"})
        assert status == 201, body
    yield server
    log = stop_kefu(server)
    assert "Traceback" not in log, log


@pytest.fixture
def agent_token(kefu):
    def token(username: str) -> str:
        status, body = kefu.api("POST", "/auth/login", {"username": username,
                                                        "password": AGENT_PW})
        assert status == 200, body
        return body["token"]
    return token


@pytest.fixture
def phones(kefu, phone):
    """The conftest's baresip factory; afterwards every agent is logged out, so each test
    starts from the same floor."""
    yield phone
    for username in AGENTS:
        kefu.api("POST", f"/agents/{username}/logout")


def login(kefu, username: str, ready: bool = True, queues=None) -> dict:
    body = {"extension": AGENTS[username], "ready": ready}
    if queues is not None:
        body["queues"] = queues
    status, out = kefu.api("POST", f"/agents/{username}/login", body)
    assert status == 200, out
    return out


def queue(kefu, name: str) -> dict:
    status, body = kefu.api("GET", f"/queues/{name}")
    assert status == 200, body
    return body


def test_longest_idle_offers_fifo_abandon_and_audio(kefu, phones):
    agents = {u: phones(n, tone=1000, answermode="auto") for u, n in AGENTS.items()}
    callers = [phones(n, tone=440) for n in CALLERS]
    since = time.time()
    for username in ("alice", "bob", "carol"):      # idle order: alice, bob, carol
        login(kefu, username, queues=["sales"])
        time.sleep(0.3)

    for c in callers:
        c.dial(kefu.uri("8001"))
        c.wait_established()
        time.sleep(0.25)
    wait_for(lambda: queue(kefu, "sales")["waiting"] == 7, what="seven waiting")
    status = queue(kefu, "sales")
    assert [w["position"] for w in status["calls"]] == [1, 2, 3, 4, 5, 6, 7]
    assert [w["caller"] for w in status["calls"]] == CALLERS[3:]
    assert status["agents_talking"] == 3

    # the first three callers went to the agents, longest idle first
    connects = wait_for(lambda: [e for e in kefu.events(since, "queue.connect")], what="connects")
    assert [e[2]["agent"] for e in connects] == ["alice", "bob", "carol"]
    assert [e[2]["caller"] for e in connects] == CALLERS[:3]

    # the agent hears the caller's tone and the caller the agent's
    time.sleep(2.0)
    callers[0].hangup()
    callers[0].wait_closed()
    agents["alice"].wait_closed()
    samples, rate, _ = audio.read_wav(callers[0].received_wav_paths()[0])
    assert audio.has_tone(samples[-12000:], rate, 1000), audio.dominant_frequency(samples, rate)
    samples, rate, _ = audio.read_wav(agents["alice"].received_wav_paths()[0])
    assert audio.has_tone(samples[-12000:], rate, 440), audio.dominant_frequency(samples, rate)

    # alice is free again (wrap-up 0) and takes the oldest waiting caller
    wait_for(lambda: len(kefu.events(since, "queue.connect")) == 4, what="4th connect")
    # the last caller, now sixth in line, gives up
    callers[9].hangup()
    callers[9].wait_closed()
    abandon = wait_for(lambda: kefu.events(since, "queue.abandon"), what="abandon")
    assert abandon[0][2]["caller"] == CALLERS[9]
    assert abandon[0][2]["position"] == 6 and abandon[0][2]["entry_position"] == 7
    assert abandon[0][2]["wait"] > 1.0
    # bob and carol hang up in turn: callers are served in the order they came
    for username in ("carol", "bob"):
        agents[username].hangup()
        time.sleep(0.6)
    connects = wait_for(lambda: (lambda c: c if len(c) == 6 else None)(
        kefu.events(since, "queue.connect")), what="6 connects")
    assert [e[2]["caller"] for e in connects] == CALLERS[:6]
    assert [e[2]["agent"] for e in connects] == ["alice", "bob", "carol", "alice", "carol", "bob"]
    completes = kefu.events(since, "queue.complete")
    assert completes[0][2]["by"] == "caller" and completes[0][2]["agent"] == "alice"
    assert {e[2]["by"] for e in completes[1:]} == {"agent"}
    status = queue(kefu, "sales")
    assert status["abandoned"] + status["short_abandoned"] >= 1 and status["answered"] >= 6


def test_no_answer_pauses_agent_and_overflow_after_max_wait(kefu, phones):
    phones("1001", answermode="manual")               # alice: rings, nobody answers
    overflow = phones("1005", tone=1000)
    caller = phones("2001", tone=440)
    since = time.time()
    login(kefu, "alice", queues=["support"])
    caller.dial(kefu.uri("8002"))
    caller.wait_established()
    # support's max_wait (2 s) is shorter than two offers to alice (2 × 2 s ring): the
    # caller leaves for 1005 once alice's ringing ends
    overflow.wait_incoming(timeout=15)
    overflow.accept()
    overflow.wait_established()
    time.sleep(1.5)
    caller.hangup()
    overflow.wait_closed()
    samples, rate, _ = audio.read_wav(overflow.received_wav_paths()[0])
    assert audio.has_tone(samples[-8000:], rate, 440)
    ev = kefu.events(since)
    types = [t for t, _, _ in ev]
    assert "queue.ring_no_answer" in types
    over = next(d for t, _, d in ev if t == "queue.overflow")
    assert over["reason"] == "max_wait" and over["destination"] == "1005" and over["wait"] >= 2

    # a second call: alice's second unanswered offer pauses her with reason no_answer
    caller2 = phones("2002")
    caller2.dial(kefu.uri("8002"))
    caller2.wait_established()
    paused = wait_for(lambda: [d for t, _, d in kefu.events(since, "agent.pause")
                               if d.get("reason") == "no_answer"], timeout=15, what="pause")
    assert paused[0]["agent"] == "alice" and paused[0]["by"] == "acd"
    status, agent = kefu.api("GET", "/agents/alice")
    assert agent["state"] == "not_ready" and agent["reason"] == "no_answer"
    caller2.hangup()


def test_callback_keeps_the_callers_place(kefu, phones):
    phones("1003", tone=1000, answermode="auto")          # carol
    first = phones("2003", tone=440, answermode="auto")     # answers the callback itself
    second = phones("2004", tone=440)
    since = time.time()
    login(kefu, "carol", ready=False, queues=["callback"])   # logged in, not ready yet
    # the module's server is shared: count from what carol and the queue have so far
    before = kefu.api("GET", "/agents/carol")[1]["answered"]
    figures = queue(kefu, "callback")
    counts = (figures["callbacks"], figures["callbacks_connected"], figures["answered"])
    first.dial(kefu.uri("8003"))
    first.wait_established()
    time.sleep(0.3)
    second.dial(kefu.uri("8003"))
    second.wait_established()
    wait_for(lambda: queue(kefu, "callback")["waiting"] == 2, what="two waiting")
    time.sleep(1.0)                     # DTMF needs media flowing
    first.send_dtmf("9")
    first.wait_closed()                 # kefu hangs up: the place is kept
    cb = wait_for(lambda: kefu.events(since, "queue.callback"), what="callback event")
    assert cb[0][2]["number"] == "2003" and cb[0][2]["position"] == 1
    status = queue(kefu, "callback")
    assert status["waiting"] == 2 and status["callbacks_waiting"] == 1
    assert [c["callback"] for c in status["calls"]] == [True, False]

    # carol gets ready: first the callback (carol's phone, then 2003), not the live caller
    status, _ = kefu.api("POST", "/agents/carol/state", {"state": "ready"})
    assert status == 200
    first.wait_event("CALL_ESTABLISHED", timeout=15)
    connected = wait_for(lambda: kefu.events(since, "queue.callback_connect"), what="cb connect")
    assert connected[0][2]["agent"] == "carol" and connected[0][2]["number"] == "2003"
    answered = wait_for(lambda: kefu.events(since, "queue.callback_answered"), what="cb answered")
    assert answered[0][2]["agent"] == "carol"
    # a connected callback is one of carol's answered calls (fewest-calls routing counts it)
    assert kefu.api("GET", "/agents/carol")[1]["answered"] == before + 1
    status = queue(kefu, "callback")
    assert (status["callbacks"], status["callbacks_connected"], status["answered"]) == (
        counts[0] + 1, counts[1] + 1, counts[2])
    time.sleep(1.5)
    first.hangup()
    wait_for(lambda: kefu.events(since, "queue.connect"), timeout=15, what="second connected")
    assert kefu.api("GET", "/agents/carol")[1]["answered"] == before + 2
    second.hangup()


def _ask_for_callback(kefu, customer) -> None:
    customer.dial(kefu.uri("8003"))
    customer.wait_established()
    time.sleep(1.0)                     # DTMF needs media flowing
    customer.send_dtmf("9")
    customer.wait_closed()


def test_a_missed_callback_is_tried_again_then_given_up(kefu, phones):
    """callback_attempts = 2, callback_retry = 1 s: a customer who is busy the first time
    is called again and answers; one busy both times is given up (queue.callback_failed)."""
    phones("1003", tone=1000, answermode="auto")          # carol
    customer = phones("2007", tone=440)                     # answers by hand
    since = time.time()
    login(kefu, "carol", ready=False, queues=["callback"])
    _ask_for_callback(kefu, customer)
    kefu.api("POST", "/agents/carol/state", {"state": "ready"})
    customer.wait_incoming(timeout=15)
    customer.hangup()                                       # busy (486)
    customer.wait_closed()
    retry = wait_for(lambda: kefu.events(since, "queue.callback_retry"), what="a retry")
    assert retry[0][2]["number"] == "2007" and retry[0][2]["attempt"] == 1, retry
    assert retry[0][2]["code"] == 486 and retry[0][2]["retry_in"] == 1, retry
    customer.wait_incoming(timeout=15)                      # 1 s later, carol first again
    customer.accept()
    customer.wait_established()
    connects = wait_for(lambda: (lambda c: c if len(c) == 2 else None)(
        kefu.events(since, "queue.callback_connect")), what="two callback connects")
    assert {c[2]["number"] for c in connects} == {"2007"}
    assert not kefu.events(since, "queue.callback_failed")
    customer.hangup()

    stubborn = phones("2008", tone=440)
    wait_for(lambda: kefu.api("GET", "/agents/carol")[1]["state"] == "ready", what="carol free")
    kefu.api("POST", "/agents/carol/state", {"state": "not_ready", "reason": "break"})
    _ask_for_callback(kefu, stubborn)
    kefu.api("POST", "/agents/carol/state", {"state": "ready"})
    for _ in range(2):
        stubborn.wait_incoming(timeout=15)
        stubborn.hangup()
        stubborn.wait_closed()
    failed = wait_for(lambda: kefu.events(since, "queue.callback_failed"), what="given up")
    assert failed[0][2]["number"] == "2008" and failed[0][2]["attempt"] == 2, failed
    time.sleep(1.5)                                         # no third try
    assert queue(kefu, "callback")["callbacks_waiting"] == 0
    assert len([e for e in kefu.events(since, "queue.callback_retry")
                if e[2]["number"] == "2008"]) == 1


def test_agent_api_roles_and_call_data(kefu, phones, agent_token):
    alice = phones("1001", tone=1000, answermode="auto")
    caller = phones("2005", tone=440)
    alice_token, bob_token = agent_token("alice"), agent_token("bob")
    # an agent acts on itself only
    status, body = kefu.api("POST", "/agents/bob/login", {"extension": "1002"}, token=alice_token)
    assert status == 403, body
    status, body = kefu.api("POST", "/agents/alice/login",
                            {"extension": "1001", "queues": ["sales"]}, token=alice_token)
    assert status == 200 and body["state"] == "not_ready", body
    status, body = kefu.api("POST", "/agents/alice/state", {"state": "not_ready",
                                                            "reason": "nap"}, token=alice_token)
    assert status == 422 and "reason" in body["detail"][0]["msg"], body
    status, body = kefu.api("POST", "/agents/alice/state", {"state": "ready"}, token=alice_token)
    assert status == 200 and body["state"] == "ready"
    caller.dial(kefu.uri("8001"))
    caller.wait_established()
    alice.wait_established()
    live = wait_for(lambda: kefu.api("GET", "/live-calls", token=alice_token)[1], what="live")
    call_id = live[0]["call_id"]
    # call-attached data: set, merged, refused when over 1 MiB, hidden from other agents
    status, data = kefu.api("PATCH", f"/live-calls/{call_id}/data", {"order": "A-17"},
                            token=alice_token)
    assert status == 200 and data == {"order": "A-17"}
    status, body = kefu.api("PATCH", f"/live-calls/{call_id}/data", {"blob": "x" * (1 << 20)},
                            token=alice_token)
    assert status == 413 and "limit" in body["detail"], body
    status, data = kefu.api("GET", f"/live-calls/{call_id}/data", token=alice_token)
    assert data == {"order": "A-17"}
    status, _ = kefu.api("GET", f"/live-calls/{call_id}", token=bob_token)
    assert status == 403
    # supervisor-only actions are refused to agents
    status, _ = kefu.api("DELETE", f"/live-calls/{call_id}", token=alice_token)
    assert status == 403
    status, _ = kefu.api("POST", f"/live-calls/{call_id}/monitor", {"supervisor": "1004"},
                         token=alice_token)
    assert status == 403
    # an agent may not act as another party of its own call
    status, _ = kefu.api("POST", f"/live-calls/{call_id}/hold", {"number": "2005"},
                         token=alice_token)
    assert status == 403
    status, _ = kefu.api("POST", f"/live-calls/{call_id}/hold", {}, token=alice_token)
    assert status == 204
    status, body = kefu.api("GET", "/agents/alice", token=alice_token)
    assert body["state"] == "on_hold"
    status, _ = kefu.api("POST", f"/live-calls/{call_id}/resume", {}, token=alice_token)
    assert status == 204
    status, _ = kefu.api("POST", f"/live-calls/{call_id}/dtmf", {"digits": "42"},
                         token=alice_token)
    assert status == 202
    wait_for(lambda: caller.dtmf_received() == "42", what="dtmf at the caller")
    # the agent hangs up its own party; the call ends and wrap-up (0 s) makes it ready
    status, _ = kefu.api("DELETE", f"/live-calls/{call_id}/parties/1001", token=alice_token)
    assert status == 204
    caller.wait_closed()
    wait_for(lambda: kefu.api("GET", "/agents/alice")[1]["state"] == "ready", what="ready")
    # a supervisor (admin here) logs the agent out
    status, _ = kefu.api("POST", "/agents/alice/logout")
    assert status == 204
    status, body = kefu.api("GET", "/agents/alice", token=alice_token)
    assert body["state"] == "logged_out"
    logged = wait_for(lambda: [d for t, _, d in kefu.events(kefu.mark, "agent.logout")],
                      what="logout event")
    assert logged[-1].get("by") == "admin"


def test_agent_cannot_take_over_another_extension(kefu, phones, agent_token):
    """bob is bound to 1002: logging in on 1003 (in a call) is refused, so 1003's call
    stays out of bob's sight and reach; on its own extension bob logs in."""
    callee = phones("1003", tone=1000, answermode="auto")
    caller = phones("2009", tone=440)
    caller.dial(kefu.uri("1003"))
    caller.wait_established()
    callee.wait_established()
    (call,) = wait_for(lambda: kefu.api("GET", "/live-calls")[1], what="the call, for admin")
    bob = agent_token("bob")
    status, body = kefu.api("POST", "/agents/bob/login", {"extension": "1003"}, token=bob)
    assert status == 403 and "not bound to bob" in body["detail"], body
    assert kefu.api("GET", "/live-calls", token=bob)[0] == 403
    status, body = kefu.api("POST", "/agents/bob/login", {"extension": "1002"}, token=bob)
    assert status == 200 and body["extension"] == "1002", body
    assert kefu.api("GET", "/live-calls", token=bob) == (200, [])
    for method, path, body in (("DELETE", f"/live-calls/{call['call_id']}/parties/1003", None),
                               ("POST", f"/live-calls/{call['call_id']}/dtmf",
                                {"number": "1003", "digits": "1"}),
                               ("POST", "/live-calls", {"from": "1003", "to": "1005"})):
        assert kefu.api(method, path, body, token=bob)[0] == 403, (method, path)
    assert kefu.api("GET", f"/live-calls/{call['call_id']}")[0] == 200   # still up
    caller.hangup()
    callee.wait_closed()


ROLE_MATRIX = [
    # (method, path, body, allowed role, refused role)
    ("GET", "/agents/alice", None, "sue", "bob"),
    ("POST", "/agents/alice/login", {"extension": "1001"}, "sue", "bob"),
    ("POST", "/agents/alice/state", {"state": "ready"}, "sue", "bob"),
    ("POST", "/agents/alice/state", {"state": "not_ready", "reason": "lunch"}, "sue", "quinn"),
    ("POST", "/agents/alice/wrap-up/end", None, "sue", "bob"),
    ("POST", "/agents/alice/wrap-up/extend", {"seconds": 10}, "sue", "bob"),
    ("POST", "/agents/alice/logout", None, "sue", "bob"),
    ("PUT", "/agents/nobody/skills", {"skills": {"sales": 1}}, "sue", "bob"),  # 404: no user
    ("GET", "/agents", None, "bob", "quinn"),
    ("GET", "/queues", None, "bob", "quinn"),
    ("GET", "/queues/sales", None, "bob", "quinn"),
    ("GET", "/live-calls", None, "sue", "quinn"),
    ("POST", "/live-calls", {"from": "1004", "to": "1005"}, "sue", "quinn"),
    ("POST", "/live-calls", {"from": "1004", "to": "1005"}, "sue", "bob"),   # not its phone
    ("GET", "/live-calls/nope", None, "sue", "quinn"),
    ("POST", "/live-calls/nope/hold", {"number": "1004"}, "sue", "quinn"),
    ("POST", "/live-calls/nope/resume", {"number": "1004"}, "sue", "quinn"),
    ("POST", "/live-calls/nope/transfer", {"number": "1004", "target": "1005"}, "sue", "quinn"),
    ("POST", "/live-calls/nope/parties", {"number": "1005"}, "sue", "quinn"),
    ("POST", "/live-calls/nope/dtmf", {"number": "1004", "digits": "1"}, "sue", "quinn"),
    ("GET", "/live-calls/nope/data", None, "sue", "quinn"),
    ("PATCH", "/live-calls/nope/data", {"a": 1}, "sue", "quinn"),
    ("PUT", "/live-calls/nope/data", {"a": 1}, "sue", "quinn"),
    ("POST", "/live-calls/nope/monitor", {"supervisor": "1004"}, "sue", "bob"),
    ("DELETE", "/live-calls/nope/monitor", None, "sue", "bob"),
    ("DELETE", "/live-calls/nope", None, "sue", "bob"),
    ("DELETE", "/live-calls/nope/parties/1004", None, "sue", "quinn"),
    ("POST", "/agents/alice/answer", None, "sue", "bob"),
    ("POST", "/agents/alice/reject", None, "sue", "bob"),
    ("POST", "/live-calls/nope/consult", {"number": "1004", "target": "1005"}, "sue", "quinn"),
    ("POST", "/live-calls/nope/consult/transfer", {"number": "1004"}, "sue", "quinn"),
    ("POST", "/live-calls/nope/consult/cancel", {"number": "1004"}, "sue", "quinn"),
]


def test_every_action_checks_the_callers_role(kefu):
    """Each ACD and call-control route: the allowed role gets past the role check (its
    answer is about the request: 200, 204, 404, 409…), the refused role gets 403."""
    tokens = {}
    for username, role in (("sue", "supervisor"), ("quinn", "qa")):
        kefu.api("POST", "/users", {"username": username, "password": AGENT_PW, "role": role})
    for username in ("sue", "quinn", "bob"):
        status, body = kefu.api("POST", "/auth/login", {"username": username,
                                                        "password": AGENT_PW})
        assert status == 200, body
        tokens[username] = body["token"]
    status, body = kefu.api("POST", "/agents/bob/login", {"extension": "1002"},
                            token=tokens["bob"])
    assert status == 200, body
    try:
        for method, path, body, allowed, refused in ROLE_MATRIX:
            status, out = kefu.api(method, path, body, token=tokens[refused])
            assert status == 403, (method, path, refused, status, out)
            status, out = kefu.api(method, path, body, token=tokens[allowed])
            assert status not in (401, 403, 422, 500), (method, path, allowed, status, out)
        status, _ = kefu.api("GET", "/agents/alice", token="not-a-token")
        assert status == 401
    finally:
        kefu.api("POST", "/agents/bob/logout")


def _heard(path, freq: float) -> bool:
    """Some quarter second of the recording is dominated by ``freq``."""
    samples, rate, _ = audio.read_wav(path)
    step = rate // 4
    return any(audio.has_tone(samples[i:i + step], rate, freq)
               for i in range(0, len(samples) - step, step // 2))


def test_announcements_leave_key_and_overflow(kefu, phones):
    prompts = kefu.data_dir / "prompts" / "queue"
    (prompts / "digits").mkdir(parents=True, exist_ok=True)
    audio.write_tone_wav(prompts / "position.wav", PROMPT_TONES["position"], 0.6)
    for digit in ("1", "2"):
        audio.write_tone_wav(prompts / "digits" / f"{digit}.wav", PROMPT_TONES[digit], 0.6)
    first = phones("2006", tone=440)
    second = phones("2007", tone=440)
    overflow = phones("1005", tone=1000)
    since = time.time()
    first.dial(kefu.uri("8004"))            # nobody logged in: join_empty lets them wait
    first.wait_established()
    time.sleep(0.3)
    second.dial(kefu.uri("8004"))
    second.wait_established()
    said = wait_for(lambda: [d for t, c, d in kefu.events(since, "queue.announce")
                             if d["position"] == 2], timeout=8, what="announcement")
    assert said[0]["queue"] == "info"
    time.sleep(2.0)                          # the prompts play out
    second.send_dtmf("0")                    # leave the queue: to overflow (1005)
    overflow.wait_incoming(timeout=10)
    overflow.accept()
    overflow.wait_established()
    time.sleep(2.0)
    second.hangup()
    second.wait_closed()
    first.hangup()
    first.wait_closed()
    rx = second.received_wav_paths()[0]
    assert _heard(rx, PROMPT_TONES["position"]) and _heard(rx, PROMPT_TONES["2"])
    assert _heard(rx, 1000)                  # then the overflow destination's voice
    assert _heard(first.received_wav_paths()[0], PROMPT_TONES["1"])
    over = [d for t, _, d in kefu.events(since, "queue.overflow")]
    assert over[0]["reason"] == "leave_key" and over[0]["position"] == 2


def test_transfer_to_queue_carries_data_and_click_to_call(kefu, phones, agent_token):
    alice = phones("1001", tone=1000, answermode="auto")
    bob = phones("1002", tone=700, answermode="auto")
    caller = phones("2008", tone=440)
    since = time.time()
    login(kefu, "alice", queues=["sales"])
    login(kefu, "bob", queues=["info"])
    caller.dial(kefu.uri("8001"))
    caller.wait_established()
    alice.wait_established()
    token = agent_token("alice")
    (call,) = wait_for(lambda: kefu.api("GET", "/live-calls", token=token)[1], what="call")
    status, _ = kefu.api("PATCH", f"/live-calls/{call['call_id']}/data",
                         {"verified": True, "order": "A-1"}, token=token)
    assert status == 200
    status, body = kefu.api("POST", f"/live-calls/{call['call_id']}/transfer", {"queue": "info"},
                            token=token)
    assert status == 202, body
    alice.wait_closed()
    bob.wait_established(timeout=10)
    offer = wait_for(lambda: [d for t, c, d in kefu.events(since, "queue.offer")
                              if d["queue"] == "info"], what="offer to bob")
    assert offer[0]["agents"] == ["bob"] and offer[0]["attached_keys"] == ["order", "verified"]
    status, data = kefu.api("GET", f"/live-calls/{call['call_id']}/data",
                            token=agent_token("bob"))
    assert status == 200 and data == {"verified": True, "order": "A-1"}
    time.sleep(1.5)
    caller.hangup()
    caller.wait_closed()
    assert _heard(caller.received_wav_paths()[0], 700)          # bob, after the transfer
    done = wait_for(lambda: (lambda d: d if len(d) == 2 else None)(
        [d for t, _, d in kefu.events(since, "queue.complete")]), what="two completions")
    assert [(d["agent"], d["by"]) for d in done] == [("alice", "transfer"), ("bob", "caller")]

    # click-to-call: the agent's own phone rings first, then the customer
    customer = phones("2009", tone=440)
    status, body = kefu.api("POST", "/live-calls", {"to": "2009"}, token=token)
    assert status == 201, body
    alice.wait_established(timeout=10)
    customer.wait_incoming()
    customer.accept()
    customer.wait_established()
    time.sleep(2.0)
    customer.hangup()
    customer.wait_closed()
    assert _heard(customer.received_wav_paths()[0], 1000)


def test_persistent_line_answer_reject_and_click_to_call(kefu, phones, agent_token):
    """An agent on a persistent line (常连接): its phone is called once at log-in; offers
    do not ring it, the agent answers or rejects through the API and is connected at once;
    calls end, the line stays."""
    alice = phones("1001", tone=1000, answermode="auto")
    token = agent_token("alice")
    since = time.time()
    status, body = kefu.api("POST", "/agents/alice/login", {"extension": "1001", "ready": True,
                                                            "persistent": True,
                                                            "queues": ["sales"]}, token=token)
    assert status == 200 and body["state"] == "not_ready", body
    alice.wait_established()                       # kefu called the phone: the line is up
    wait_for(lambda: kefu.api("GET", "/agents/alice")[1]["state"] == "ready", what="ready")

    def offered(n: int):
        return wait_for(lambda: (lambda o: o if len(o) >= n else None)(
            [d for t, _, d in kefu.events(since, "queue.offer")]), what=f"offer {n}")

    # 1: answer through the API; the caller hears the agent at once
    caller = phones("2001", tone=440)
    caller.dial(kefu.uri("8001"))
    caller.wait_established()
    offered(1)
    assert "CALL_INCOMING" not in alice.event_types()[1:]     # nothing rang the phone
    status, body = kefu.api("POST", "/agents/alice/answer", token=token)
    assert status == 200 and body["state"] == "talking", body
    time.sleep(2.0)
    caller.hangup()
    caller.wait_closed()
    assert _heard(caller.received_wav_paths()[0], 1000)
    wait_for(lambda: kefu.api("GET", "/agents/alice")[1]["state"] == "ready", what="ready again")
    assert "CALL_CLOSED" not in alice.event_types()              # the line stays up

    # 2: reject, then (after the back-off) answer, then hang up from the API
    caller2 = phones("2002", tone=440)
    caller2.dial(kefu.uri("8001"))
    caller2.wait_established()
    offered(2)
    status, body = kefu.api("POST", "/agents/alice/reject", token=token)
    assert status == 200, body
    offered(3)                                                    # offered again after 1 s
    status, _ = kefu.api("POST", "/agents/alice/answer", token=token)
    assert status == 200
    (call,) = wait_for(lambda: kefu.api("GET", "/live-calls", token=token)[1] and [
        c for c in kefu.api("GET", "/live-calls", token=token)[1] if c["caller"] == "2002"],
        what="live call")
    time.sleep(1.0)
    status, _ = kefu.api("DELETE", f"/live-calls/{call['call_id']}/parties/1001", token=token)
    assert status == 204
    caller2.wait_closed()
    rejected = [d for t, _, d in kefu.events(since, "queue.ring_no_answer")]
    assert rejected[0]["code"] == 603 and rejected[0]["agent"] == "alice"

    # 3: click-to-call from the line: nothing rings the agent, the customer rings
    customer = phones("2003", tone=440)
    wait_for(lambda: kefu.api("GET", "/agents/alice")[1]["state"] == "ready", what="ready")
    status, body = kefu.api("POST", "/live-calls", {"to": "2003"}, token=token)
    assert status == 201, body
    customer.wait_incoming()
    assert kefu.api("GET", "/agents/alice")[1]["state"] == "talking"
    customer.accept()
    customer.wait_established()
    time.sleep(2.0)
    customer.hangup()
    customer.wait_closed()
    assert _heard(customer.received_wav_paths()[0], 1000)
    wait_for(lambda: kefu.api("GET", "/agents/alice")[1]["state"] == "ready", what="ready")
    assert "CALL_CLOSED" not in alice.event_types()

    # logging out closes the line
    status, _ = kefu.api("POST", "/agents/alice/logout", token=token)
    assert status == 204
    alice.wait_closed()
    assert _heard(alice.received_wav_paths()[0], 440)            # the callers, over the line
    lines = [d["state"] for t, _, d in kefu.events(since, "agent.line")]
    assert lines[0] == "open"


def test_customer_based_routing_prefers_the_last_agent(kefu, phones):
    for u in ("alice", "bob"):
        phones(AGENTS[u], tone=1000, answermode="auto")
    caller = phones("2011", tone=440)
    other = phones("2012", tone=440)
    since = time.time()
    login(kefu, "bob", queues=["personal"])
    time.sleep(0.3)
    login(kefu, "alice", queues=["personal"])

    def connects(n: int):
        return wait_for(lambda: (lambda c: c if len(c) >= n else None)(
            [d for t, _, d in kefu.events(since, "queue.connect")]), what=f"connect {n}")

    caller.dial(kefu.uri("8005"))             # bob is longest idle: he serves 2001
    caller.wait_established()
    assert connects(1)[0]["agent"] == "bob"
    caller.hangup()
    caller.wait_closed()
    time.sleep(0.5)
    caller.dial(kefu.uri("8005"))             # alice is longest idle now, but 2001 is bob's
    caller.wait_established()
    assert connects(2)[1]["agent"] == "bob"
    other.dial(kefu.uri("8005"))              # a new caller gets alice
    other.wait_established()
    assert connects(3)[2]["agent"] == "alice"
    other.hangup()
    other.wait_closed()
    caller.hangup()
    caller.wait_closed()
    # bob takes a break: 2001 waits for bob (prefer_timeout 3 s), then alice answers
    wait_for(lambda: kefu.api("GET", "/agents/bob")[1]["state"] == "ready", what="bob ready")
    status, _ = kefu.api("POST", "/agents/bob/state", {"state": "not_ready", "reason": "break"})
    assert status == 200
    caller.dial(kefu.uri("8005"))
    caller.wait_established()
    c = connects(4)[3]                        # (the log is written asynchronously)
    entered = [d for t, _, d in kefu.events(since, "queue.entered")]
    assert entered[-1]["preferred"] == "bob"
    assert c["agent"] == "alice" and c["caller"] == "2011" and c["wait"] >= 2.9
    caller.hangup()
    caller.wait_closed()


def test_queue_limits_music_and_wrap_up(kefu, phones):
    """join_empty = false refuses callers while nobody is logged in; max_length refuses
    the second caller; the queue plays its own music; wrap-up can be extended and ended."""
    carol = phones("1003", tone=1000)
    first = phones("2004", tone=440)
    second = phones("2005", tone=440)
    since = time.time()
    first.dial(kefu.uri("8006"))
    closed = first.wait_closed()
    assert "480" in closed.get("param", ""), closed
    login(kefu, "carol", ready=False, queues=["tiny"])
    first.dial(kefu.uri("8006"))
    first.wait_established()
    second.dial(kefu.uri("8006"))
    closed = second.wait_closed()
    assert "486" in closed.get("param", ""), closed
    refused = wait_for(lambda: (lambda r: r if len(r) >= 2 else None)(
        [d["reason"] for t, _, d in kefu.events(since, "queue.refused")]), what="refusals")
    assert refused == ["empty", "full"]
    time.sleep(2.0)                                   # the queue's music (a 1300 Hz tone)
    status, _ = kefu.api("POST", "/agents/carol/state", {"state": "ready"})
    carol.wait_incoming()
    carol.accept()
    carol.wait_established()
    time.sleep(1.0)
    first.hangup()
    first.wait_closed()
    assert _heard(first.received_wav_paths()[0], MOH_TONE)
    wait_for(lambda: kefu.api("GET", "/agents/carol")[1]["state"] == "wrap_up", what="wrap-up")
    status, body = kefu.api("POST", "/agents/carol/wrap-up/extend", {"seconds": 5})
    assert status == 200 and body["wrap_up_until"] > time.time() + 4
    time.sleep(1.5)                                   # past the queue's 1 s: still wrapping up
    assert kefu.api("GET", "/agents/carol")[1]["state"] == "wrap_up"
    status, body = kefu.api("POST", "/agents/carol/wrap-up/end")
    assert status == 200 and body["state"] == "ready"
    status, body = kefu.api("POST", "/agents/carol/wrap-up/end")
    assert status == 409
    kinds = wait_for(lambda: (lambda k: k if "agent.wrap_up_end" in k else None)(
        [t for t, _, _ in kefu.events(since, "agent.")]), what="wrap-up events")
    assert "agent.wrap_up_start" in kinds and "agent.wrap_up_extended" in kinds
    # leave_empty: when the last agent logs out, waiting callers leave (no overflow: 486)
    kefu.api("POST", "/agents/carol/state", {"state": "not_ready", "reason": "break"})
    second.dial(kefu.uri("8006"))
    second.wait_established()
    wait_for(lambda: queue(kefu, "tiny")["waiting"] == 1, what="waiting")
    status, _ = kefu.api("POST", "/agents/carol/logout")
    assert status == 204
    second.wait_closed()
    over = wait_for(lambda: [d for t, _, d in kefu.events(since, "queue.overflow")],
                    what="overflow")
    assert over[0]["reason"] == "empty" and over[0]["destination"] is None


def test_offer_reaches_the_agents_websocket_with_its_data(kefu, phones, agent_token):
    """The desktop's feed: the agent's own state and offer (with the call-attached data)
    arrive on /api/v1/events; another agent sees neither; the token never reaches the log."""
    import json

    from websockets.sync.client import connect

    phones("1001", tone=1000)                     # alice's phone rings; nobody answers
    caller = phones("2005", tone=440)
    alice, bob = agent_token("alice"), agent_token("bob")
    base = f"ws://127.0.0.1:{kefu.http_port}/api/v1/events"
    with connect(f"{base}?token={alice}&types=agent.,queue.", open_timeout=5) as ws_a, \
            connect(f"{base}?token={bob}", open_timeout=5) as ws_b:
        assert json.loads(ws_a.recv(timeout=5))["type"] == "hello"
        assert json.loads(ws_b.recv(timeout=5))["type"] == "hello"
        login(kefu, "alice", queues=["sales"])
        caller.dial(kefu.uri("8001"))
        caller.wait_established()

        skipped: list[dict] = []

        def next_of(ws, kind: str) -> dict:
            while True:
                msg = json.loads(ws.recv(timeout=10))
                if msg["type"] == kind:
                    return msg
                skipped.append(msg)

        offer = next_of(ws_a, "queue.offer")
        assert offer["data"]["agents"] == ["alice"] and offer["data"]["caller"] == "2005"
        assert offer["data"]["attached"] == {}
        state = next_of(ws_a, "agent.state")
        assert state["data"]["agent"] == "alice"
        caller.hangup()
        caller.wait_closed()
        kefu.api("POST", "/agents/bob/login", {"extension": "1002"})
        skipped.clear()
        seen_by_bob = next_of(ws_b, "agent.state")      # bob's own state, not alice's
        assert seen_by_bob["data"]["agent"] == "bob"
        assert not [m for m in skipped if m["type"] in ("queue.offer", "agent.state")
                    or m.get("data", {}).get("agent") == "alice"], skipped
    assert alice not in kefu.log_path.read_text(errors="replace")


def test_ring_all_rings_every_ready_agent_and_the_first_answer_wins(kefu, phones):
    agents = {u: phones(n, tone=1000) for u, n in AGENTS.items()}
    caller = phones("2006", tone=440)
    since = time.time()
    for username in AGENTS:
        login(kefu, username, queues=["all"])
    caller.dial(kefu.uri("8008"))
    caller.wait_established()
    for phone in agents.values():
        phone.wait_incoming()
    agents["bob"].accept()
    agents["bob"].wait_established()
    for username in ("alice", "carol"):                 # the others stop ringing
        agents[username].wait_closed()
    offer = wait_for(lambda: kefu.events(since, "queue.offer"), what="offer")
    assert sorted(offer[0][2]["agents"]) == ["alice", "bob", "carol"]
    connect = wait_for(lambda: kefu.events(since, "queue.connect"), what="connect")
    assert connect[0][2]["agent"] == "bob"
    for username in ("alice", "carol"):                 # released without a penalty
        wait_for(lambda: kefu.api("GET", f"/agents/{username}")[1]["state"] == "ready",
                 what=f"{username} ready")
    assert not kefu.events(since, "queue.ring_no_answer")
    time.sleep(1.0)
    caller.hangup()
    agents["bob"].wait_closed()


def test_consult_then_cancel_then_transfer(kefu, phones, agent_token):
    """Consultation (咨询) through the API: the caller waits with music while the agent
    talks to the consulted party; cancel brings the caller back, transfer hands it over."""
    alice = phones("1001", tone=1000, answermode="auto")
    bob = phones("1002", tone=700)
    caller = phones("2007", tone=440)
    since = time.time()
    token = agent_token("alice")
    login(kefu, "alice", queues=["sales"])
    caller.dial(kefu.uri("8001"))
    caller.wait_established()
    alice.wait_established()
    (call,) = wait_for(lambda: kefu.api("GET", "/live-calls", token=token)[1], what="call")
    cid = call["call_id"]
    status, body = kefu.api("POST", f"/live-calls/{cid}/consult/transfer", {}, token=token)
    assert status == 409, body                       # nothing to transfer yet

    # 1: consult bob and cancel: bob hangs up, caller and alice talk again
    status, body = kefu.api("POST", f"/live-calls/{cid}/consult", {"target": "1002"},
                            token=token)
    assert status == 202, body
    bob.wait_incoming()
    bob.accept()
    bob.wait_established()
    members = {m["number"]: m for m in kefu.api("GET", f"/live-calls/{cid}")[1]["members"]}
    assert members["2007"]["held"] and members["1002"]["role"] == "consult"
    status, body = kefu.api("POST", f"/live-calls/{cid}/consult", {"target": "1003"},
                            token=token)
    assert status == 409, body                       # one consultation at a time
    time.sleep(1.5)
    status, _ = kefu.api("POST", f"/live-calls/{cid}/consult/cancel", {}, token=token)
    assert status == 204
    bob.wait_closed()
    (first_rx,) = bob.received_wav_paths()
    samples, rate, _ = audio.read_wav(first_rx)
    consulting = samples[int(0.3 * rate):int(1.3 * rate)]
    assert audio.has_tone(consulting, rate, 1000) and not audio.has_tone(consulting, rate, 440)

    # 2: consult again and transfer: alice leaves, the caller talks to bob
    status, body = kefu.api("POST", f"/live-calls/{cid}/consult", {"target": "1002"},
                            token=token)
    assert status == 202, body
    bob.wait_incoming()
    bob.accept()
    bob.wait_established()
    time.sleep(1.0)
    status, _ = kefu.api("POST", f"/live-calls/{cid}/consult/transfer", {}, token=token)
    assert status == 204
    alice.wait_closed()
    time.sleep(2.0)
    caller.hangup()
    bob.wait_closed()
    rx = [p for p in bob.received_wav_paths() if p != first_rx][0]
    samples, rate, _ = audio.read_wav(rx)
    assert audio.has_tone(samples[-int(1.5 * rate):], rate, 440)     # the caller, at last
    done = wait_for(lambda: [d for t, _, d in kefu.events(since, "queue.complete")],
                    what="completion")
    assert done[0]["agent"] == "alice" and done[0]["by"] == "transfer"
    ends = [d["how"] for t, _, d in kefu.events(since, "call.consult_end")]
    assert ends == ["cancel", "transfer"]


def test_logging_out_while_offered_stops_the_ringing_and_keeps_the_call(kefu, phones):
    alice = phones("1001", tone=1000)                  # rings, nobody answers
    bob = phones("1002", tone=700, answermode="auto")
    caller = phones("2009", tone=440)
    since = time.time()
    login(kefu, "alice", queues=["sales"])
    caller.dial(kefu.uri("8001"))
    caller.wait_established()
    alice.wait_incoming()
    status, _ = kefu.api("POST", "/agents/alice/logout")   # a supervisor logs her out
    assert status == 204
    alice.wait_closed()
    assert wait_for(lambda: queue(kefu, "sales")["waiting"] == 1, what="still waiting")
    login(kefu, "bob", queues=["sales"])
    bob.wait_established()
    connect = wait_for(lambda: kefu.events(since, "queue.connect"), what="connect")
    assert connect[0][2]["agent"] == "bob" and connect[0][2]["caller"] == "2009"
    caller.hangup()
    bob.wait_closed()
