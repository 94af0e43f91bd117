"""The IVR on real calls: a baresip caller dials the flow's number (``[[dialplan.numbers]]``
800 → ``flow:hotline``), hears the greeting (speech energy at the caller), walks a
three-level menu by DTMF and reaches the right queue; the agent's offer carries what the
flow collected; a wrong key plays the invalid-input prompt; the ``ivr.*`` events are in
``call_events``.  The variants of the walk are tested in process (tests/ivr/test_calls.py).
"""

from __future__ import annotations

import os
import shutil
import time

import pytest

from . import audio
from .conftest import add_user, publish_flow, start_kefu, stop_kefu, wait_for

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(shutil.which("baresip") is None and not os.environ.get("CI"),
                                 reason="baresip not installed"),
              pytest.mark.skipif(shutil.which("espeak-ng") is None and not os.environ.get("CI"),
                                 reason="espeak-ng not installed")]

AGENT_PW = "agent-password-1"
CONFIG = """
[[queues]]
name = "billing"
number = "8101"
members = { alice = 1 }
wrap_up = 0

[[queues]]
name = "support"
number = "8102"
members = { alice = 1 }
wrap_up = 0

[[dialplan.numbers]]
number = "800"
destination = "flow:hotline"
"""
FLOW = {
    "name": "hotline", "language": "zh", "start": "greet",
    "nodes": {
        "greet": {"type": "play", "prompt": "欢迎致电客服热线", "next": "main"},
        "main": {"type": "menu", "prompt": "账单请按1，技术支持请按2", "into": "choice",
                 "choices": {"1": "billing", "2": "to_support"},
                 "invalid_prompt": "输入有误，请重新输入", "timeout": 8, "fallback": "bye"},
        "billing": {"type": "menu", "prompt": "查询余额请按1，返回请按9", "into": "sub",
                    "choices": {"1": "account", "9": "main"}, "timeout": 8, "fallback": "bye"},
        "account": {"type": "collect", "prompt": "请输入四位账号", "into": "account",
                    "min_digits": 4, "max_digits": 4, "first_timeout": 8, "next": "to_billing"},
        "to_billing": {"type": "queue", "queue": "billing", "priority": 3,
                       "data": {"account": "${account}", "path": "${choice}${sub}"}},
        "to_support": {"type": "queue", "queue": "support"},
        "bye": {"type": "hangup", "prompt": "再见"},
    },
}


@pytest.fixture(scope="module")
def kefu(tmp_path_factory):
    server = start_kefu(tmp_path_factory.mktemp("kefu-ivr-calls"), extra=CONFIG)
    add_user(server, "alice", AGENT_PW, extensions=["1001"])
    status, body = server.api("POST", "/extensions", {"number": "2001",
                                                      "password": "pw-2001-secret"})
    assert status == 201, body
    publish_flow(server, FLOW)
    yield server
    log = stop_kefu(server)
    assert "Traceback" not in log, log


def at_node(kefu, since: float, node: str, n: int = 1) -> None:
    wait_for(lambda: len([d for _, _, d in kefu.events(since, "ivr.node")
                          if d["node"] == node]) >= n, timeout=20, what=f"node {node}")


def test_a_caller_walks_the_menu_to_the_right_queue(kefu, phone):
    agent = phone("1001", tone=1000, answermode="manual")
    caller = phone("2001", tone=440)
    status, body = kefu.api("POST", "/agents/alice/login", {"extension": "1001", "ready": True})
    assert status == 200, body
    since = time.time()
    caller.dial(kefu.uri("800"))
    caller.wait_established()
    at_node(kefu, since, "main")
    caller.send_dtmf("7")                            # not a choice: the invalid prompt
    invalid = wait_for(lambda: kefu.events(since, "ivr.invalid"), timeout=10, what="invalid")
    assert invalid[0][2]["digits"] == "7"
    at_node(kefu, since, "main")
    time.sleep(1.0)
    caller.send_dtmf("1")
    at_node(kefu, since, "billing")
    time.sleep(0.5)
    caller.send_dtmf("1")
    at_node(kefu, since, "account")
    time.sleep(0.5)
    for key in "2468":
        caller.send_dtmf(key)
        time.sleep(0.3)
    agent.wait_incoming(timeout=15)                  # the billing queue offers alice the call
    entered = wait_for(lambda: kefu.events(since, "queue.entered"), what="entered")
    call_id = entered[0][1]
    assert entered[0][2]["queue"] == "billing" and entered[0][2]["priority"] == 3
    status, data = kefu.api("GET", f"/live-calls/{call_id}/data")
    assert status == 200 and data == {"account": "2468", "path": "11"}, data
    offer = kefu.events(since, "queue.offer")[0][2]
    assert sorted(offer["attached_keys"]) == ["account", "path"]
    agent.accept()
    agent.wait_established()
    time.sleep(1.5)
    caller.hangup()
    caller.wait_closed()

    # the caller heard speech from the IVR before any agent: the greeting and the menus
    samples, rate, _ = audio.read_wav(caller.received_wav_paths()[0])
    samples = audio.to_mono(samples)
    assert audio.rms(samples[: rate * 2]) > 0.005, audio.rms(samples[: rate * 2])
    assert not audio.has_tone(samples[: rate * 2], rate, 1000)   # not the agent's tone yet

    types = [t for t, c, _ in kefu.events(since, "ivr.") if c == call_id]
    assert types[0] == "ivr.start" and "ivr.choice" in types and "ivr.digits" in types
    assert [d for t, c, d in kefu.events(since, "ivr.exit") if c == call_id] == [
        {"flow": "hotline", "node": "to_billing", "reason": "queue"}]
    kefu.api("POST", "/agents/alice/logout")
