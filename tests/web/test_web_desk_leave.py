"""The desk's page-hide word and its return: POST /agents/{u}/leave and /back (the agent
itself or a supervisor; 409 when not logged in), and the reason of the ACD's last
log-out in GET /agents/{u}.  A real ACD, a stand-in for the switch (no SIP here)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from kefu.acd.service import Acd
from kefu.config import QueueConfig


@pytest.fixture
def api(api):  # type: ignore[no-untyped-def]
    api.ctx.settings = api.ctx.settings.model_copy(update={"queues": [
        QueueConfig(name="sales", number="8000", members={"agent": 1, "agent2": 1})]})
    switch = SimpleNamespace(calls={}, idle_line=lambda number: None,
                             is_extension=lambda number: number == "1001")
    api.ctx.acd = Acd(api.ctx.settings, switch, api.ctx.bus)  # type: ignore[arg-type]
    api.store.create_extension("1001", "secret-pw", "", "kefu")
    api.client.put("/api/v1/users/agent/extensions", json={"extensions": ["1001"]},
                   headers=api.as_("admin"))
    return api


def post(api, verb: str, role: str = "agent", who: str = "agent"):  # type: ignore[no-untyped-def]
    return api.client.post(f"/api/v1/agents/{who}/{verb}", headers=api.as_(role))


def test_leave_and_back(api) -> None:  # type: ignore[no-untyped-def]
    assert post(api, "leave").status_code == 409              # not logged in
    assert post(api, "back").status_code == 409
    r = api.client.post("/api/v1/agents/agent/login", json={"extension": "1001", "ready": True},
                        headers=api.as_("agent"))
    assert r.status_code == 200 and r.json()["state"] == "ready"
    r = post(api, "leave")
    assert r.status_code == 200
    assert r.json()["state"] == "not_ready" and r.json()["reason"] == "reconnecting"
    assert r.json()["absent"] == "leaving"
    r = post(api, "back")
    assert r.status_code == 200 and r.json()["state"] == "ready" and r.json()["absent"] is None
    assert post(api, "leave", role="supervisor").status_code == 200   # a supervisor may
    assert post(api, "back", role="supervisor").status_code == 200


def test_only_the_agent_itself_or_a_supervisor(api) -> None:  # type: ignore[no-untyped-def]
    api.client.post("/api/v1/agents/agent/login", json={"extension": "1001", "ready": True},
                    headers=api.as_("agent"))
    assert api.client.post("/api/v1/agents/agent/leave").status_code == 401
    other = api.users.create_user("agent2", "agent-password-2", "agent")
    headers = {"Authorization": f"Bearer {api.users.issue_token(other.id)}"}
    for verb in ("leave", "back"):
        r = api.client.post(f"/api/v1/agents/agent/{verb}", headers=headers)
        assert r.status_code == 403, r.text
    assert api.ctx.acd.agents["agent"].state.value == "ready"


def test_the_acds_reason_shows_in_the_agent(api) -> None:  # type: ignore[no-untyped-def]
    api.client.post("/api/v1/agents/agent/login", json={"extension": "1001"},
                    headers=api.as_("agent"))
    api.ctx.acd.logout("agent", by="acd", reason="line_lost")
    r = api.client.get("/api/v1/agents/agent", headers=api.as_("agent"))
    assert r.status_code == 200
    last = r.json()["last_logout"]
    assert last["reason"] == "line_lost" and last["by"] == "acd" and last["at"] > 0
