"""The reports from a live floor (issue 16): a real ``kefu serve``, two agents on baresip
phones logged in through the API, baresip callers to a queue; then the reports' API gives
the rows a person counting the calls by hand expects.

The scenario, in one queue (``service_level`` 3 s, ``[reports] short_abandon`` 1 s):

* caller 2001 is answered at once by alice (in the service level) and talks ~2 s;
* caller 2002 waits while alice talks (then does after-call work) and bob is not ready;
  bob made ready past 3 s of wait answers it (out of the service level) and talks ~1 s;
* caller 2003 hangs up after ~2.5 s of waiting: an abandon;
* caller 2004 hangs up as soon as kefu answers it: a short abandon (neither offered nor
  abandoned).

So the day has 4 entered, 3 offered, 2 answered, 1 abandoned, 1 short abandon, a service
level of 1 / (2 + 1), and the talk, waits and wrap-up measured here by the test's clock.

Then a report schedule's "send now" through the same server: the app's own wiring (the
reports' engine, ``[smtp]``) mails the Excel file to a local SMTP server (aiosmtpd).
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import time
import urllib.request
from datetime import datetime, timedelta, timezone

import openpyxl
import pytest

from .mailbox import local_smtp
from .conftest import add_user, start_kefu, stop_kefu, wait_for

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(shutil.which("baresip") is None and not os.environ.get("CI"),
                                 reason="baresip not installed")]

AGENTS = {"alice": "1001", "bob": "1002"}
CALLERS = ("2001", "2002", "2003", "2004")
AGENT_PW = "agent-password-1"
SL = 3.0
TOL = 0.8            # seconds: a phone's signalling seen from the test vs kefu's clock

CONFIG = f"""
[reports]
short_abandon = 1
timezone = "UTC"

[[queues]]
name = "sales"
number = "8001"
strategy = "longest_idle"
members = {{ alice = 1, bob = 1 }}
service_level = {SL}
ring_timeout = 5
wrap_up = 60
"""


@pytest.fixture(scope="module")
def inbox():
    with local_smtp() as box:
        yield box


@pytest.fixture(scope="module")
def kefu(tmp_path_factory, inbox):
    smtp = f'\n[smtp]\nhost = "127.0.0.1"\nport = {inbox.port}\nsender = "reports@kefu.test"\n'
    server = start_kefu(tmp_path_factory.mktemp("kefu-reports-live"), extra=CONFIG + smtp)
    for username, extension in AGENTS.items():
        add_user(server, username, AGENT_PW, extensions=[extension])
    for number in CALLERS:
        status, body = server.api("POST", "/extensions", {"number": number,
                                                          "password": f"pw-{number}-secret"})
        assert status == 201, body
    yield server
    log = stop_kefu(server)
    assert "Traceback" not in log, log


def ok(kefu, method: str, path: str, body: dict | None = None):
    status, out = kefu.api(method, path, body)
    assert status in (200, 204), (path, status, out)
    return out


def report(kefu, name: str, query: str) -> dict:
    return ok(kefu, "GET", f"/reports/{name}?{query}")


def csv_rows(kefu, name: str, query: str) -> list[list[str]]:
    req = urllib.request.Request(
        f"http://127.0.0.1:{kefu.http_port}/api/v1/reports/{name}.csv?{query}&lang=en",
        headers={"Authorization": f"Bearer {kefu.token}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.headers["Content-Type"].startswith("text/csv")
        text = resp.read().decode("utf-8")
    assert text.startswith("\ufeff")                       # Excel's BOM
    return list(csv.reader(io.StringIO(text[1:])))


def near(value: float | None, expected: float, tol: float = TOL) -> bool:
    return value is not None and abs(value - expected) <= tol


def test_a_live_floor_gives_the_expected_report_rows(kefu, phone):
    alice_phone = phone(AGENTS["alice"], tone=1000, answermode="auto")
    bob_phone = phone(AGENTS["bob"], tone=1000, answermode="auto")
    callers = {n: phone(n, tone=440) for n in CALLERS}
    day = datetime.now(timezone.utc).date().isoformat()
    ok(kefu, "POST", "/agents/alice/login", {"extension": "1001", "ready": True})
    ok(kefu, "POST", "/agents/bob/login", {"extension": "1002", "ready": False})

    # 2001 → alice at once
    callers["2001"].dial(kefu.uri("8001"))
    callers["2001"].wait_established()                    # kefu answers: the queue
    alice_phone.wait_established()
    talk1 = time.monotonic()
    # 2002 and 2003 wait (alice talking, bob not ready); 2004 gives up at once
    queued = {}
    for n in ("2002", "2003", "2004"):
        callers[n].dial(kefu.uri("8001"))
        callers[n].wait_established()
        queued[n] = time.monotonic()
    callers["2004"].hangup()
    callers["2004"].wait_closed()

    time.sleep(max(0.0, talk1 + 2.0 - time.monotonic()))
    callers["2001"].hangup()                              # alice: ~2 s talk, wrap-up
    talked1 = time.monotonic() - talk1
    wrap1 = time.monotonic()
    callers["2001"].wait_closed()
    alice_phone.wait_closed()

    time.sleep(max(0.0, queued["2003"] + 2.5 - time.monotonic()))
    callers["2003"].hangup()                              # ~2.5 s: an abandon
    abandoned_after = time.monotonic() - queued["2003"]
    callers["2003"].wait_closed()

    time.sleep(max(0.0, queued["2002"] + SL + 1.0 - time.monotonic()))
    ok(kefu, "POST", "/agents/bob/state", {"state": "ready"})      # past the SL: bob takes 2002
    bob_phone.wait_established()
    talk2 = time.monotonic()
    waited2 = talk2 - queued["2002"]
    time.sleep(1.0)
    callers["2002"].hangup()
    talked2 = time.monotonic() - talk2
    callers["2002"].wait_closed()
    bob_phone.wait_closed()

    ok(kefu, "POST", "/agents/alice/wrap-up/end")
    wrapped1 = time.monotonic() - wrap1
    for username in AGENTS:
        ok(kefu, "POST", f"/agents/{username}/logout")   # their states end: agent time counted

    query = f"from={day}&to={day}&queues=sales&interval=day"

    # -- agent traffic summary: one answer each, talk and wrap-up by the test's clock
    def agents_done():
        rows = {r["agent"]: r for r in report(kefu, "agent_summary", query)["rows"]}
        done = set(rows) == set(AGENTS) and all(r["login"] for r in rows.values()) \
            and rows["alice"]["wrap_up"]
        return rows if done else None
    rows = wait_for(agents_done, timeout=10, what="both agents' rows")
    alice, bob = rows["alice"], rows["bob"]
    assert (alice["agent_answered"], bob["agent_answered"]) == (1, 1)
    assert (alice["agent_offered"], bob["agent_offered"]) == (1, 1)
    assert (alice["ring_no_answer"], bob["ring_no_answer"]) == (0, 0)
    assert (alice["handled"], bob["handled"]) == (1, 1)
    assert near(alice["talk"], talked1), (alice["talk"], talked1)
    assert near(bob["talk"], talked2), (bob["talk"], talked2)
    assert near(alice["wrap_up"], wrapped1), (alice["wrap_up"], wrapped1)
    assert near(alice["aht"], alice["talk"] + alice["wrap_up"], 0.11)
    assert bob["paused"] >= SL            # not ready from login until made ready
    assert alice["paused"] < 0.1 and alice["ready"] > 0   # login passes through not ready
    for r in (alice, bob):
        assert r["login"] >= r["ready"] + r["paused"]
        assert 0 < r["occupancy"] <= 1 and "agent_detail" in r["drill"]

    # -- traffic by interval, one day
    (today,) = report(kefu, "traffic_by_interval", query)["rows"]
    assert today["period"] == day
    assert (today["entered"], today["offered"], today["answered"], today["abandoned"],
            today["short_abandoned"]) == (4, 3, 2, 1, 1), today
    assert today["answered_in_sl"] == 1 and today["service_level"] == round(1 / 3, 4)
    assert today["answer_rate"] == round(2 / 3, 4) and today["abandon_rate"] == round(1 / 3, 4)
    assert near(today["max_wait"], waited2), (today["max_wait"], waited2)
    assert near(today["asa"], today["wait_answered"] / 2, 0.051)
    assert today["wait_answered"] - today["max_wait"] <= SL   # 2001's wait: in the SL

    # -- caller abandon rate
    (sales,) = report(kefu, "abandon", query)["rows"]
    assert (sales["queue"], sales["period"]) == ("sales", day)
    assert (sales["offered"], sales["abandoned"], sales["short_abandoned"]) == (3, 1, 1)
    assert sales["abandon_rate"] == round(1 / 3, 4)
    assert near(sales["avg_abandon_wait"], abandoned_after), (sales, abandoned_after)
    assert sales["wait<=5"] == 2 and sum(v for k, v in sales.items()
                                         if k.startswith("wait<") or k.startswith("wait>")) == 2

    # -- agent detail: each agent's answer and completion, with its caller and talk
    detail = report(kefu, "agent_detail", f"from={day}&to={day}&agents=alice,bob")["rows"]
    connects = [(r["agent"], r["detail"]) for r in detail if r["what"] == "connect"]
    assert connects == [("alice", "2001"), ("bob", "2002")]
    completes = {r["agent"]: r["seconds"] for r in detail if r["what"] == "complete"}
    assert completes == {"alice": alice["talk"], "bob": bob["talk"]}
    states = [r["detail"] for r in detail if r["what"] == "state" and r["agent"] == "bob"]
    assert "not_ready → ready" in states and states[-1].endswith("→ logged_out")

    # -- extensions: each caller made one call (to the queue's number, not an extension).
    # The extension reports read the CDRs, whose callee is the queue's number: the queued
    # calls alice and bob answered are not on their extensions' rows (the agent reports
    # count them).
    ext = report(kefu, "extension_summary", f"from={day}&to={day}")
    by_number = {r["extension"]: r for r in ext["rows"]}
    for n in CALLERS:
        assert (by_number[n]["calls_out"], by_number[n]["calls_in"],
                by_number[n]["internal"]) == (1, 0, 0), by_number[n]
    assert near(by_number["2001"]["talk"], talked1, 1.5)

    # -- the CSV of the agent summary: the same figures, English labels
    header, *lines = csv_rows(kefu, "agent_summary", query)
    assert header[:3] == ["Agent", "Offered", "Answered"]
    body = {line[0]: line for line in lines if line and line[0] in AGENTS}
    assert body["alice"][2] == "1" and body["bob"][2] == "1"


def test_a_scheduled_report_is_mailed_by_the_running_server(kefu, inbox):
    """The schedule's engine and mailer as ``kefu serve`` wires them (the in-process tests
    inject a hand-made report): yesterday's agent summary, as Excel, at the local server."""
    status, made = kefu.api("POST", "/report-schedules", {
        "report": "agent_summary", "period": "yesterday", "frequency": "daily",
        "at": "07:30", "recipients": ["boss@cc.test"], "filters": {"queues": "sales"}})
    assert status == 201, made
    status, sent = kefu.api("POST", f"/report-schedules/{made['id']}/send-now")
    assert status == 200 and sent["ok"] and sent["size"] > 1000, sent
    (to, msg), = wait_for(lambda: inbox.mail, timeout=10, what="the mail")
    assert to == ["boss@cc.test"] and msg["From"] == "reports@kefu.test"
    yesterday = (datetime.now(timezone.utc) - timedelta(days=1)).date().isoformat()
    assert msg["Subject"] == f"座席话务统计报表 {yesterday}"
    (xlsx,) = msg.iter_attachments()
    assert xlsx.get_filename() == sent["filename"]
    wb = openpyxl.load_workbook(io.BytesIO(xlsx.get_content()))
    assert wb.worksheets[0]["A1"].value == "座席"
    f = {r[0]: r[1] for r in wb["筛选条件"].iter_rows(values_only=True) if r[0]}
    assert (f["开始"], f["结束"], f["队列"]) == (yesterday, yesterday, "sales")
    status, log = kefu.api("GET", f"/report-schedules/{made['id']}/deliveries")
    assert status == 200 and [(d["ok"], d["trigger"]) for d in log] == [(True, "manual")]
