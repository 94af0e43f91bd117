"""``GET /queues`` as the wallboard reads it: each waiting caller's wait, priority and
tier, and the queue's alert thresholds; staff only.  The real ACD over the fake switch
and clock (tests/fake_switch.py, tests/fake_clock.py)."""

from __future__ import annotations

import pytest
from fake_clock import FakeClock
from fake_switch import FakeSwitch, incoming, run

from kefu.acd.service import Acd
from kefu.config import QueueConfig


@pytest.fixture
def api(api):  # type: ignore[no-untyped-def]
    """Queue sales (gold callers +5, a long wait at 2 s, no not-ready alert), one caller
    waiting 4 s and a gold one 1 s."""
    api.ctx.settings = api.ctx.settings.model_copy(update={"queues": [
        QueueConfig(name="sales", number="8000", members={"agent": 1}, tiers={"gold": 5},
                    alert_wait=2, alert_not_ready=0)]})
    clock = FakeClock()
    switch = FakeSwitch({"8000": "queue:sales"}, bus=api.ctx.bus, clock=clock)
    api.ctx.acd = acd = Acd(api.ctx.settings, switch, api.ctx.bus, clock=clock)
    run(acd.start())
    for caller, data, wait in (("2001", None, 3), ("2002", {"tier": "gold"}, 1)):
        call = incoming(switch, caller, "8000", data)
        run(acd.take(call, switch.route(caller, "8000")))
        clock.advance(wait)
    return api


def test_the_wallboard_reads_waiting_callers_and_alert_thresholds(api):
    r = api.client.get("/api/v1/queues", headers=api.as_("supervisor"))
    assert r.status_code == 200, r.text
    (q,) = r.json()
    assert (q["alert_wait"], q["alert_not_ready"], q["alert_talk"]) == (2, 0, 900)
    assert [(c["caller"], c["position"], c["priority"], c["tier"], c["wait"])
            for c in q["calls"]] == [("2002", 1, 5, "gold", 1), ("2001", 2, 0, None, 4)]


def test_an_agent_reads_the_queues_too_and_an_inspector_does_not(api):
    assert api.client.get("/api/v1/queues/sales", headers=api.as_("agent")).status_code == 200
    assert api.client.get("/api/v1/queues", headers=api.as_("qa")).status_code == 403


def test_the_openapi_describes_the_new_fields(api):
    schemas = api.client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert {"priority", "tier"} <= set(schemas["WaitingCall"]["properties"])
    assert {"alert_wait", "alert_not_ready", "alert_talk"} <= set(schemas["QueueOut"]["properties"])
