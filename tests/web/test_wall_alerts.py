"""The wallboard's alert rule (``screens/wallalerts.js``, a pure ES module) run by Node on
made-up lists: which waits, not-ready agents and calls are alerts, since when, and which
threshold applies to an agent in several queues.  Skipped where Node is not installed
(the browser test tests/e2e/test_wall_data.py shows the waits and not-ready ones)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

MODULE = Path(__file__).resolve().parents[2] / "src/kefu/web/static/shell/screens/wallalerts.js"
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="node not installed")

NOW = 1_750_000_000_000          # ms


def alerts(queues: list, agents: list, calls: list) -> list[dict]:
    script = (f"import({json.dumps(MODULE.as_uri())}).then((m) => console.log(JSON.stringify("
              f"m.alertsOf({json.dumps(queues)}, {json.dumps(agents)}, {json.dumps(calls)}, {NOW}))))")
    out = subprocess.run([NODE, "--input-type=module", "-e", script], capture_output=True,
                         text=True, timeout=30, check=True)
    return json.loads(out.stdout)


def queue(name: str, wait: float = 0, not_ready: float = 0, talk: float = 0, calls=()) -> dict:
    return {"name": name, "alert_wait": wait, "alert_not_ready": not_ready, "alert_talk": talk,
            "fetched": NOW, "calls": list(calls)}


def test_a_caller_past_the_queues_wait_is_an_alert_since_it_crossed():
    q = queue("sales", wait=60, calls=[
        {"call_id": "a", "caller": "2001", "wait": 90, "position": 1},
        {"call_id": "b", "caller": "2002", "wait": 30, "position": 2},
        {"call_id": "c", "caller": "2003", "wait": 99, "position": 0}])    # being answered
    assert alerts([q, queue("off", calls=[{"call_id": "d", "caller": "2004", "wait": 999,
                                           "position": 1}])], [], []) == [
        {"kind": "wait", "key": "wait:a", "since": NOW - 30_000, "limit": 60, "queue": "sales",
         "caller": "2001"}]


def test_not_ready_takes_the_smallest_threshold_set_on_the_agents_queues():
    qs = [queue("sales", not_ready=300), queue("vip", not_ready=120), queue("off")]
    agent = {"username": "alice", "state": "not_ready", "queues": ["sales", "vip", "off"],
             "skills": {}, "localSince": NOW - 200_000}
    (alert,) = alerts(qs, [agent], [])
    assert (alert["key"], alert["limit"], alert["since"]) == ("not_ready:alice", 120, NOW - 80_000)
    # logged out of vip: sales' 300 s, not reached yet; logged in nowhere: its memberships
    assert alerts(qs, [{**agent, "queues": ["sales", "off"]}], []) == []
    assert len(alerts(qs, [{**agent, "queues": [], "skills": {"vip": 1}}], [])) == 1
    assert alerts(qs, [{**agent, "state": "away"}], []) == []


def test_a_long_call_uses_its_queues_threshold_or_for_no_queue_the_agents():
    qs = [queue("sales", talk=600), queue("vip", talk=60)]
    agents = [{"username": "bob", "state": "talking", "queues": ["sales", "vip"], "skills": {},
               "localSince": NOW}]
    started = NOW / 1000 - 100
    long_direct = {"call_id": "x", "caller": "1009", "agent": "bob", "queue": None, "started": started}
    in_sales = {**long_direct, "call_id": "y", "queue": "sales"}
    assert [a["key"] for a in alerts(qs, agents, [long_direct, in_sales])] == ["talk:x"]
    on_hold = [{**agents[0], "state": "on_hold"}]
    assert alerts(qs, on_hold, [{**in_sales, "started": started - 600}])[0]["since"] == NOW - 100_000
    assert alerts(qs, [{**agents[0], "state": "wrap_up"}], [long_direct]) == []
