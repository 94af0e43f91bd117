"""The IVR on real calls, the parts tests/e2e/test_ivr_calls.py leaves out: a look-up in
PostgreSQL read out to the caller, a look-up in a database that is down (the caller hears
the error prompt), the language menu (English is another voice: the caller hears the
English rendering, the events say ``en``), and barge-in (a key cuts a long prompt short).

One kefu for the module; each test dials its own flow's number from a baresip phone and
checks what the phone received (energy and loudness contour against the rendering kefu's
TTS cache holds, FFT for a tone) and the ``ivr.*`` events in ``call_events``.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from dbkit import PG_URL, require_postgres

from kefu.store.engine import normalise_url

from . import audio
from .conftest import publish_flow, start_kefu, stop_kefu, wait_for
from .flows import MARKS, at_node, rendering, upload_prompt
from .phones import find_free_ports

pytestmark = MARKS

CALLERS = ("2001", "2002")
NUMBERS = {"pg": "801", "down": "802", "languages": "803", "barge": "804"}
CONFIG = "".join(f'\n[[dialplan.numbers]]\nnumber = "{n}"\ndestination = "flow:{f}"\n'
                 for f, n in NUMBERS.items())
LONG = ("感谢您致电客服中心。为了更好地为您服务，本次通话可能会被录音。我们的服务时间是每天早上八点到"
        "晚上十点。如需查询账单，请按一；如需办理业务，请按二；如需人工服务，请按零。")
TONE_HZ = 1000


@pytest.fixture(scope="module")
def accounts():
    """A table of balances in a fresh schema of the PostgreSQL test database."""
    require_postgres()
    schema = f"kefu_ivr_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(normalise_url(PG_URL))
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        conn.execute(sa.text(f'CREATE TABLE "{schema}".accounts (account text PRIMARY KEY, '
                             "balance numeric(12, 2) NOT NULL)"))
        conn.execute(sa.text(f'INSERT INTO "{schema}".accounts VALUES (:a, :b)'),
                     [{"a": "2468", "b": "1234.50"}, {"a": "1357", "b": "8.00"}])
    yield schema
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


def flows(schema: str, closed_port: int) -> list[dict]:
    pg = normalise_url(PG_URL).render_as_string(hide_password=False)
    return [
        {"name": "pg", "language": "zh", "start": "account", "nodes": {
            "account": {"type": "collect", "prompt": "请输入四位账号", "into": "account",
                        "min_digits": 4, "max_digits": 4, "first_timeout": 10,
                        "next": "balance"},
            "balance": {"type": "lookup", "timeout": 5, "into": {"balance": "balance"},
                        "sql": {"url": pg, "params": {"acct": "${account}"},
                                "query": f'SELECT balance FROM "{schema}".accounts '
                                         "WHERE account = :acct"},
                        "next": "say", "error": "bye"},
            "say": {"type": "say", "kind": "money", "value": "${balance}", "next": "bye"},
            "bye": {"type": "hangup"}}},
        {"name": "down", "language": "zh", "start": "balance", "nodes": {
            "balance": {"type": "lookup", "timeout": 3, "into": {"one": "one"},
                        "sql": {"url": f"postgresql+psycopg://kefu@127.0.0.1:{closed_port}/x",
                                "query": "SELECT 1 AS one"},
                        "next": "found", "error": "bye"},
            "found": {"type": "hangup", "prompt": "查询成功"},
            "bye": {"type": "hangup"}}},
        {"name": "languages", "language": "zh", "start": "pick", "nodes": {
            "pick": {"type": "menu", "prompt": "普通话请按1。For English, press 2.",
                     "choices": {"1": "amount", "2": "english"}, "timeout": 10},
            "english": {"type": "set", "values": {"language": "en"}, "next": "amount"},
            "amount": {"type": "say", "kind": "number", "value": "4096", "next": "bye"},
            "bye": {"type": "hangup"}}},
        {"name": "barge", "language": "zh", "start": "long", "nodes": {
            "long": {"type": "menu", "prompt": LONG, "choices": {"5": "tone"}, "timeout": 10,
                     "retries": 0, "fallback": "bye"},
            "tone": {"type": "play", "prompt": {"file": "beep"}, "next": "bye"},
            "bye": {"type": "hangup"}}},
    ]


@pytest.fixture(scope="module")
def kefu(tmp_path_factory, accounts):
    tmp = tmp_path_factory.mktemp("kefu-ivr-more")
    server = start_kefu(tmp, extra=CONFIG)
    for number in CALLERS:
        status, body = server.api("POST", "/extensions", {"number": number,
                                                          "password": f"pw-{number}-secret"})
        assert status == 201, body
    upload_prompt(server, "beep", "zh",
                  Path(audio.write_tone_wav(tmp / "beep.wav", TONE_HZ, 1.5)))
    (closed,) = find_free_ports(1)          # nothing listens there: the database is down
    for flow in flows(accounts, closed):
        publish_flow(server, flow)
    yield server
    log = stop_kefu(server)
    assert "Traceback" not in log, log


def heard(phone) -> tuple:
    """What the phone received on its (ended) call: mono samples and their rate."""
    samples, rate, _ = audio.read_wav(phone.received_wav_paths()[0])
    return audio.to_mono(samples), rate


def call_of(kefu, since: float, caller: str) -> str:
    """The id of ``caller``'s call into a flow since ``since``."""
    return wait_for(lambda: next((c for _, c, d in kefu.events(since, "ivr.start")
                                  if d["caller"] == caller), None), what=f"{caller}'s call")


def of_call(kefu, since: float, type_: str, call_id: str) -> list[dict]:
    return [d for _, c, d in kefu.events(since, type_) if c == call_id]


def dial(kefu, phone, flow: str, node: str | None = None):
    """2001 calls ``flow``'s number (and waits for it to reach ``node``): the phone and
    when it dialled."""
    caller = phone("2001")
    since = time.time()
    caller.dial(kefu.uri(NUMBERS[flow]))
    caller.wait_established()
    if node:
        at_node(kefu, since, node)
    return caller, since


def test_a_balance_looked_up_in_postgresql_is_read_out(kefu, phone):
    caller, since = dial(kefu, phone, "pg", "account")
    time.sleep(0.5)
    for key in "2468":
        caller.send_dtmf(key)
        time.sleep(0.3)
    caller.wait_closed(timeout=20)              # read out, then the flow hangs up
    call_id = call_of(kefu, since, "2001")
    assert of_call(kefu, since, "ivr.lookup", call_id) == [
        {"flow": "pg", "node": "balance", "ok": True, "fields": ["balance"]}]
    (said,) = of_call(kefu, since, "ivr.say", call_id)
    assert said["text"] == "一千二百三十四元五角" and said["lang"] == "zh", said
    samples, rate = heard(caller)
    spoken, srate, _ = audio.read_wav(rendering(kefu, said["text"], "zh"))
    assert audio.envelope_match(samples, rate, spoken, srate) > 0.8


def test_a_database_that_is_down_takes_the_error_branch_and_the_caller_hears_why(kefu, phone):
    caller, since = dial(kefu, phone, "down")
    caller.wait_closed(timeout=20)              # the error prompt, then the error branch
    call_id = call_of(kefu, since, "2001")
    (looked,) = of_call(kefu, since, "ivr.lookup", call_id)
    assert not looked["ok"] and looked["error"].startswith("refused"), looked
    assert of_call(kefu, since, "ivr.exit", call_id) == [
        {"flow": "down", "node": "bye", "reason": "hangup"}]
    samples, rate = heard(caller)
    prompt, prate, _ = audio.read_wav(rendering(kefu, "系统繁忙，请稍后再试。", "zh"))
    assert audio.envelope_match(samples, rate, prompt, prate) > 0.8
    # the caller hears it at once (the refused connect is quick), for as long as it lasts
    loud = audio.envelope(samples, rate) > 0.01
    first = loud.argmax() * 0.02
    spoken = loud.sum() * 0.02
    full = (audio.envelope(prompt, prate) > 0.01).sum() * 0.02
    assert loud.any() and first < 1.5 and abs(spoken - full) < 0.3 * full, (first, spoken, full)


def test_pressing_2_switches_the_voice_to_english(kefu, phone):
    zh, en = phone("2001"), phone("2002")
    since = time.time()
    for p in (zh, en):
        p.dial(kefu.uri(NUMBERS["languages"]))
    for p in (zh, en):
        p.wait_established()
    at_node(kefu, since, "pick", n=2)
    time.sleep(0.5)
    zh.send_dtmf("1")
    en.send_dtmf("2")
    for p in (zh, en):
        p.wait_closed(timeout=20)
    said = {}
    for number in CALLERS:
        call_id = call_of(kefu, since, number)
        (said[number],) = of_call(kefu, since, "ivr.say", call_id)
    assert said["2001"] == {"flow": "languages", "node": "amount", "kind": "number",
                            "text": "四千零九十六", "lang": "zh"}
    assert said["2002"] == {"flow": "languages", "node": "amount", "kind": "number",
                            "text": "four thousand ninety-six", "lang": "en"}
    renders = {lang: audio.read_wav(rendering(kefu, said[n]["text"], lang))[:2]
               for n, lang in (("2001", "zh"), ("2002", "en"))}
    for p, own, other in ((zh, "zh", "en"), (en, "en", "zh")):
        samples, rate = heard(p)
        mine = audio.envelope_match(samples, rate, *renders[own])
        theirs = audio.envelope_match(samples, rate, *renders[other])
        assert mine > 0.8 and mine > theirs + 0.1, (own, mine, theirs)


def test_a_key_during_a_long_prompt_stops_it_and_enters_the_next_node(kefu, phone):
    caller, since = dial(kefu, phone, "barge", "long")
    time.sleep(2.5)                              # well inside the prompt
    t_key = time.monotonic()
    caller.send_dtmf("5")
    caller.wait_closed(timeout=15)               # the tone (1.5 s), then the hang-up
    t_end = time.monotonic()
    call_id = call_of(kefu, since, "2001")
    assert [d["key"] for d in of_call(kefu, since, "ivr.choice", call_id)] == ["5"]
    assert "tone" in [d["node"] for d in of_call(kefu, since, "ivr.node", call_id)]

    samples, rate = heard(caller)
    full = audio.read_wav(rendering(kefu, LONG, "zh"))
    assert len(samples) / rate < len(full[0]) / full[1] - 5   # cut well short
    frames = audio.envelope(samples, rate)
    n = int(rate * 0.02)
    tone = [audio.has_tone(samples[k * n:(k + 1) * n], rate, TONE_HZ) for k in range(len(frames))]
    assert any(tone)
    tone_at = tone.index(True)
    speech = [k for k in range(tone_at) if frames[k] > 0.01]
    assert speech and speech[-1] * 0.02 > 1.5           # the prompt played until the key …
    # … and stopped within 800 ms of it.  The key's time in the recording: its end is the
    # hang-up, t_end - t_key before it (the wall clock and the recording share that span)
    key_at = len(samples) / rate - (t_end - t_key)
    stopped = (speech[-1] + 1) * 0.02
    assert stopped - key_at < 0.8, (stopped, key_at)
    assert (tone_at - speech[-1]) * 0.02 < 0.3         # the next node's prompt at once
