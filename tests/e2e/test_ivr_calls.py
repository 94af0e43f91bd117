"""The IVR on real calls: a baresip caller dials the flow's number (``[[dialplan.numbers]]``
800 → ``flow:hotline``), hears the greeting (speech energy at the caller), walks a
three-level menu by DTMF and reaches the right queue; the agent's offer carries what the
flow collected; a wrong key plays the invalid-input prompt; the ``ivr.*`` events are in
``call_events``.  The variants of the walk are tested in process (tests/ivr/test_calls.py).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

import pytest

from . import audio
from .conftest import wait_for
from .flows import MARKS, at_node, serve_flow

pytestmark = MARKS

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

[[dialplan.numbers]]
number = "801"
destination = "flow:spoken"

[[dialplan.numbers]]
number = "802"
destination = "flow:amount"
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
    yield from serve_flow(tmp_path_factory.mktemp("kefu-ivr-calls"), CONFIG, FLOW)


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
        {"flow": "hotline", "node": "to_billing", "reason": "queue", "to": "billing"}]
    kefu.api("POST", "/agents/alice/logout")


SPOKEN = {
    "name": "spoken", "language": "en", "start": "main",
    "nodes": {
        "main": {"type": "menu", "prompt": "For billing say billing or press 1. "
                 "For the operator say operator or press 2.",
                 "choices": {"1": "billing", "2": "operator"},
                 "words": {"billing": "1", "operator": "2"}, "timeout": 10, "fallback": "bye"},
        "billing": {"type": "hangup", "prompt": "Billing. Goodbye."},
        "operator": {"type": "hangup", "prompt": "Operator. Goodbye."},
        "bye": {"type": "hangup"},
    },
}


def test_a_caller_who_says_a_menu_word_gets_its_choice(kefu, phone, tmp_path):
    """Speech input on a call: the caller's phone plays espeak-ng saying "operator" over
    the English menu's prompt; PocketSphinx hears it and the menu takes choice 2."""
    from kefu.ivr.tts import EspeakNg
    spoken = EspeakNg().synthesise("operator", "en-us").astype(np.float64) / 32768
    pause = np.zeros(int(1.5 * 8000))
    wav = Path(audio.write_samples_wav(tmp_path / "operator.wav",
                                       np.concatenate([pause, spoken, pause, pause, pause])))
    assert kefu.api("POST", "/ivr/flows", {"name": "spoken"})[0] == 201
    status, body = kefu.api("PUT", "/ivr/flows/spoken/draft", SPOKEN)
    assert status == 200 and not body["check"]["problems"], body
    assert kefu.api("POST", "/ivr/flows/spoken/publish")[0] == 200
    caller = phone("2001", wav=wav)
    since = time.time()
    caller.dial(kefu.uri("801"))
    caller.wait_established()
    heard = wait_for(lambda: kefu.events(since, "ivr.speech"), timeout=15, what="speech")
    assert heard[0][2]["heard"] == "operator", heard
    choice = wait_for(lambda: kefu.events(since, "ivr.choice"), timeout=5, what="choice")
    assert choice[0][2] == {"flow": "spoken", "node": "main", "key": "2", "to": "operator",
                               "said": "operator"}
    caller.wait_closed(timeout=20)                   # "Operator. Goodbye.", then kefu hangs up


def test_publishing_while_a_caller_is_inside_does_not_change_that_call(kefu, phone):
    """Version 2 of the hotline sends key 1 to goodbye; the caller who started on the
    published version before it still reaches the billing menu with key 1."""
    caller = phone("2001")
    since = time.time()
    caller.dial(kefu.uri("800"))
    caller.wait_established()
    at_node(kefu, since, "main")
    changed = {**FLOW, "nodes": {**FLOW["nodes"], "main": {
        **FLOW["nodes"]["main"], "choices": {"1": "bye", "2": "to_support", "3": "billing"}}}}
    status, body = kefu.api("PUT", "/ivr/flows/hotline/draft", changed)
    assert status == 200 and not body["check"]["problems"], body
    status, body = kefu.api("POST", "/ivr/flows/hotline/publish")
    assert status == 200, body
    new_version = body["number"]
    time.sleep(0.5)
    caller.send_dtmf("1")
    at_node(kefu, since, "billing")                  # the old version's choice 1
    starts = kefu.events(since, "ivr.start")
    assert starts[0][2]["version"] == new_version - 1
    caller.hangup()
    caller.wait_closed()

    later = time.time()                              # a new call takes version 2
    caller.dial(kefu.uri("800"))
    caller.wait_established()
    at_node(kefu, later, "main")
    time.sleep(0.5)
    caller.send_dtmf("1")
    at_node(kefu, later, "bye")
    assert kefu.events(later, "ivr.start")[0][2]["version"] == new_version
    caller.wait_closed(timeout=15)
    status, body = kefu.api("POST", f"/ivr/flows/hotline/rollback/{new_version - 1}")
    assert status == 201 and body["status"] == "published", body   # a new version, as before


AMOUNT = {
    "name": "amount", "language": "zh", "start": "read",
    "nodes": {
        "read": {"type": "say", "kind": "money", "value": "1234.56", "next": "bye"},
        "bye": {"type": "hangup"},
    },
}


def speech_span(samples: np.ndarray, rate: int, level: float = 0.01) -> float:
    """Seconds from the first to the last 20 ms frame louder than ``level`` (RMS)."""
    n = rate // 50
    loud = [i for i in range(0, len(samples) - n, n) if audio.rms(samples[i:i + n]) > level]
    return (loud[-1] - loud[0] + n) / rate if loud else 0.0


def test_a_read_out_reaches_the_caller_as_speech_of_its_length(kefu, phone):
    """智能报读 on a call: the amount is spelled out (logged in ivr.say) and the caller
    receives speech lasting as long as espeak-ng takes to say that text."""
    from kefu.ivr.tts import VOICES, EspeakNg
    assert kefu.api("POST", "/ivr/flows", {"name": "amount"})[0] == 201
    status, body = kefu.api("PUT", "/ivr/flows/amount/draft", AMOUNT)
    assert status == 200 and not body["check"]["problems"], body
    assert kefu.api("POST", "/ivr/flows/amount/publish")[0] == 200
    caller = phone("2001")
    since = time.time()
    caller.dial(kefu.uri("802"))
    caller.wait_established()
    caller.wait_closed(timeout=20)                    # said, then kefu hangs up
    said = wait_for(lambda: kefu.events(since, "ivr.say"), what="ivr.say")[0][2]
    assert said["text"] == "一千二百三十四元五角六分" and said["lang"] == "zh", said
    expected = len(EspeakNg().synthesise(said["text"], VOICES["zh"])) / 8000
    samples, rate, _ = audio.read_wav(caller.received_wav_paths()[0])
    heard = speech_span(audio.to_mono(samples), rate)
    assert abs(heard - expected) < 0.25 * expected + 0.2, (heard, expected)
