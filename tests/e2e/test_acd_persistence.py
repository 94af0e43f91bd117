"""What the ACD keeps across a restart of ``kefu serve``, rebuilt from ``call_events``:
today's queue and agent figures, and agents' queues and skill levels set through the API.

A baresip agent answers one queue call, another caller gives up while waiting; the
wallboard's figures (answered, abandoned, service level, the agent's answered calls and
talk time) are the same after kefu restarts.  A supervisor adds the agent to a second
queue while a call waits there: the call is offered at once, and the membership is still
there after the restart.  A caller who asked to be called back before the restart is
called back after it.
"""

from __future__ import annotations

import os
import shutil
import time

import pytest

from .conftest import add_user, restart_kefu, start_kefu, stop_kefu, wait_for

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(shutil.which("baresip") is None and not os.environ.get("CI"),
                                 reason="baresip not installed")]

QUEUE = """
[[queues]]
name = "sales"
number = "8001"
members = { alice = 1 }
ring_timeout = 10
wrap_up = 0
service_level = 30

[[queues]]
name = "support"
number = "8002"
wrap_up = 0

[[queues]]
name = "later"
number = "8003"
members = { alice = 1 }
callback_key = "9"
wrap_up = 0
"""


@pytest.fixture(scope="module")
def kefu(tmp_path_factory):
    server = start_kefu(tmp_path_factory.mktemp("kefu-figures"), extra=QUEUE)
    add_user(server, "alice", "agent-password-1", extensions=["1001"])
    yield server
    log = stop_kefu(server)
    assert "Traceback" not in log, log


def _figures(kefu) -> tuple[dict, dict]:
    status, queue = kefu.api("GET", "/queues/sales")
    assert status == 200, queue
    status, agent = kefu.api("GET", "/agents/alice")
    assert status == 200, agent
    return ({k: queue[k] for k in ("entered", "answered", "abandoned", "short_abandoned",
                                   "service_level", "service_level_seconds")},
            {k: agent[k] for k in ("answered", "talk_time")})


def test_todays_figures_survive_a_restart(kefu, phone):
    agent = phone("1001", tone=1000, answermode="auto")
    caller, quitter = phone("1002", tone=440), phone("1003", tone=440)
    status, body = kefu.api("POST", "/agents/alice/login", {"extension": "1001",
                                                            "ready": True})
    assert status == 200, body
    caller.dial(kefu.uri("8001"))
    agent.wait_established()
    wait_for(lambda: kefu.api("GET", "/agents/alice")[1]["state"] == "talking", what="talking")
    quitter.dial(kefu.uri("8001"))                   # waits: alice is busy
    wait_for(lambda: kefu.api("GET", "/queues/sales")[1]["waiting"] == 1, what="waiting")
    quitter.hangup()                                   # ... and gives up
    time.sleep(1.0)
    caller.hangup()
    agent.wait_closed()
    # the quitter waited a moment: an abandon, or a short abandon under [reports]
    # short_abandon (5 s), which is left out of the service level (docs/kpis.md)
    before = wait_for(lambda: (lambda f: f if f[0]["abandoned"] + f[0]["short_abandoned"] == 1
                               and f[1]["talk_time"] > 0 else None)(_figures(kefu)),
                      what="the figures")
    queue, alice = before
    assert (queue["entered"], queue["answered"]) == (2, 1), queue
    assert queue["service_level"] == (0.5 if queue["abandoned"] else 1.0), queue
    assert queue["service_level_seconds"] == 30, queue
    assert alice["answered"] == 1 and alice["talk_time"] >= 1.0, alice
    time.sleep(0.5)                                    # the event log writes in batches

    restart_kefu(kefu)
    assert _figures(kefu) == before
    assert "logged events replayed" in kefu.log_tail(400)


def test_skills_set_by_a_supervisor_act_at_once_and_survive_a_restart(kefu, phone):
    agent = phone("1001", tone=1000, answermode="auto")
    caller = phone("1004", tone=440)
    status, body = kefu.api("POST", "/agents/alice/login", {"extension": "1001",
                                                            "queues": ["sales"],
                                                            "ready": True})
    assert status == 200 and body["queues"] == ["sales"], body
    caller.dial(kefu.uri("8002"))                    # support: nobody serves it yet
    wait_for(lambda: kefu.api("GET", "/queues/support")[1]["waiting"] == 1, what="waiting")
    time.sleep(0.5)
    assert kefu.api("GET", "/agents/alice")[1]["state"] == "ready"
    skills = {"sales": 1, "support": 7, "later": 1}
    status, body = kefu.api("PUT", "/agents/alice/skills", {"skills": skills})
    assert status == 200 and body["skills"] == skills, body
    agent.wait_established()                          # offered at once, auto-answered
    wait_for(lambda: kefu.api("GET", "/agents/alice")[1]["queue"] == "support", what="support")
    assert kefu.api("GET", "/queues/support")[1]["answered"] == 1
    caller.hangup()
    agent.wait_closed()
    # bad requests change nothing
    assert kefu.api("PUT", "/agents/alice/skills", {"skills": {"nope": 1}})[0] == 422
    assert kefu.api("PUT", "/agents/alice/skills", {"skills": {"sales": 101}})[0] == 422
    assert kefu.api("PUT", "/agents/nobody/skills", {"skills": {"sales": 1}})[0] == 404
    assert kefu.api("GET", "/agents/alice")[1]["skills"] == skills
    kefu.api("POST", "/agents/alice/logout")
    time.sleep(0.5)                                    # the event log writes in batches

    restart_kefu(kefu)
    status, body = kefu.api("GET", "/agents/alice")
    assert status == 200 and body["skills"] == skills, body
    status, body = kefu.api("POST", "/agents/alice/login", {"extension": "1001"})
    assert status == 200 and body["queues"] == ["later", "sales", "support"], body
    kefu.api("POST", "/agents/alice/logout")


def test_a_callback_asked_for_before_a_restart_is_made_after_it(kefu, phone):
    customer = phone("1005", tone=440)
    customer.dial(kefu.uri("8003"))                   # nobody logged in: it waits
    customer.wait_established()
    time.sleep(1.0)                                    # DTMF needs media flowing
    customer.send_dtmf("9")
    customer.wait_closed()
    wait_for(lambda: kefu.api("GET", "/queues/later")[1]["callbacks_waiting"] == 1,
             what="the callback waiting")
    original = kefu.events(0, "queue.callback")[-1][1]
    customer.stop()
    time.sleep(0.5)                                    # the event log writes in batches

    restart_kefu(kefu)
    assert kefu.api("GET", "/queues/later")[1]["callbacks_waiting"] == 1
    agent = phone("1001", tone=1000, answermode="auto")
    customer = phone("1005", tone=440, answermode="auto")
    since = time.time()
    status, body = kefu.api("POST", "/agents/alice/login", {"extension": "1001",
                                                            "queues": ["later"],
                                                            "ready": True})
    assert status == 200, body
    agent.wait_established(timeout=15)
    customer.wait_established(timeout=15)             # called back
    connect = wait_for(lambda: kefu.events(since, "queue.callback_connect"), what="connect")
    assert connect[0][2]["original_call"] == original and connect[0][2]["number"] == "1005"
    assert kefu.api("GET", "/queues/later")[1]["callbacks_waiting"] == 0
    customer.hangup()
    agent.wait_closed()
    kefu.api("POST", "/agents/alice/logout")
