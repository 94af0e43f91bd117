"""The follow-ups API over SQLite: role checks, the contract's shapes, visibility (404 for
what a caller does not see, 403 for a change they may not make), bad input as 422/409, the
events on the bus and a reschedule's timeline."""

from __future__ import annotations

import time

import pytest

from kefu.followups.service import Followups
from webkit import Api

GROUPS = {"agent": ("sales",), "supervisor": ("sales",)}


@pytest.fixture
def scoped(api: Api) -> Api:
    """The follow-ups with a group scope: agent and supervisor in "sales"."""
    api.ctx.followups = Followups(api.store.db, api.ctx.crm, api.users,
                                  scope=lambda u, r: GROUPS.get(u), publish=api.ctx.bus.publish)
    return api


def new(api: Api, role: str = "agent", **body: object) -> dict:
    payload = {"kind": "callback", "number": "13800138000", "due_at": time.time() + 3600}
    payload.update(body)
    r = api.client.post("/api/v1/followups", json=payload, headers=api.as_(role))
    assert r.status_code == 201, r.text
    return r.json()


def test_every_route_checks_the_role(api: Api) -> None:
    f = new(api)
    routes = [("GET", "/followups", None), ("GET", f"/followups/{f['id']}", None),
              ("POST", "/followups", {"kind": "visit", "number": "1001", "due_at": 1e9}),
              ("PATCH", f"/followups/{f['id']}", {"note": "x"}),
              ("POST", f"/followups/{f['id']}/start", None),
              ("POST", f"/followups/{f['id']}/outcome", {"outcome": "reached"}),
              ("POST", f"/followups/{f['id']}/cancel", None)]
    for method, path, body in routes:
        assert api.client.request(method, "/api/v1" + path, json=body).status_code == 401
        r = api.client.request(method, "/api/v1" + path, json=body, headers=api.as_("qa"))
        assert r.status_code == 403, path


def test_the_contract_shape_and_a_full_round(api: Api) -> None:
    c, agent = api.client, api.as_("agent")
    customer = api.ctx.crm.create_customer("13800138000", name="王芳")
    f = new(api, note="问发票")
    assert {k: f[k] for k in ("kind", "customer_id", "customer_name", "number", "assignee",
                              "group", "state", "attempts", "outcome", "note", "ticket_id",
                              "call_id", "created_by", "overdue")} == {
        "kind": "callback", "customer_id": customer.id, "customer_name": "王芳",
        "number": "+8613800138000", "assignee": "agent", "group": "", "state": "pending",
        "attempts": 0, "outcome": "", "note": "问发票", "ticket_id": None, "call_id": None,
        "created_by": "agent", "overdue": False}
    started = c.post(f"/api/v1/followups/{f['id']}/start", headers=agent).json()
    assert started["number"] == "+8613800138000"
    assert (started["followup"]["state"], started["followup"]["attempts"]) == ("in_progress", 1)
    assert c.patch(f"/api/v1/followups/{f['id']}", json={"call_id": "call-9"},
                   headers=agent).json()["call_id"] == "call-9"
    done = c.post(f"/api/v1/followups/{f['id']}/outcome",
                  json={"outcome": "reached", "note": "已解决"}, headers=agent).json()
    assert (done["state"], done["outcome"]) == ("done", "reached")
    [line] = api.ctx.crm.timeline(customer.id, kinds=["followup"])
    assert (line.ref, line.data["call_id"]) == (str(f["id"]), "call-9")
    page = c.get("/api/v1/followups", params={"state": "done"}, headers=agent).json()
    assert (page["total"], [i["id"] for i in page["items"]]) == (1, [f["id"]])
    assert [(e.type, e.data.get("action")) for e in api.events
            if e.type.startswith("followup.")] == [
        ("followup.changed", "created"), ("followup.changed", "started"),
        ("followup.changed", "changed"), ("followup.changed", "outcome:reached")]


def test_bad_input_is_a_4xx_with_a_reason(api: Api) -> None:
    c, agent = api.client, api.as_("agent")
    for body, status in (({"kind": "x", "number": "1001", "due_at": 1e9}, 422),
                         ({"kind": "visit", "number": "not a number", "due_at": 1e9}, 422),
                         ({"kind": "visit", "number": "1001", "due_at": -1}, 422),
                         ({"kind": "visit", "number": "1001", "due_at": 1e9, "x": 1}, 422),
                         ({"kind": "visit", "number": "1001", "due_at": 1e9,
                           "customer_id": 42}, 422),
                         ({"kind": "visit", "number": "1001", "due_at": 1e9,
                           "assignee": "admin"}, 403)):
        r = c.post("/api/v1/followups", json=body, headers=agent)
        assert r.status_code == status, (body, r.text)
        assert r.json()["detail"]
    f = new(api)
    r = c.post(f"/api/v1/followups/{f['id']}/outcome", json={"outcome": "reached"},
               headers=agent)
    assert r.status_code == 409 and "cannot" in r.json()["detail"]
    assert c.post(f"/api/v1/followups/{f['id']}/outcome", json={"outcome": "maybe"},
                  headers=agent).status_code == 422
    assert c.get("/api/v1/followups/999", headers=agent).status_code == 404
    assert c.get("/api/v1/followups", params={"state": "open"}, headers=agent).status_code == 422
    n = len(c.get("/api/v1/followups", headers=api.as_("admin")).json()["items"])
    assert n == 1                                     # nothing half-written


def test_visibility_through_the_group_scope(scoped: Api) -> None:
    api = scoped
    c = api.client
    own = new(api, "admin", assignee="agent")
    sales = new(api, "admin", group="sales")
    support = new(api, "admin", group="support")

    def ids(role: str, **params: object) -> list[int]:
        return [i["id"] for i in c.get("/api/v1/followups", params=params,
                                       headers=api.as_(role)).json()["items"]]

    assert ids("agent") == [own["id"], sales["id"]]
    assert ids("agent", mine="true") == [own["id"]]
    assert ids("supervisor") == [sales["id"]]
    assert ids("admin") == [own["id"], sales["id"], support["id"]]
    assert c.get(f"/api/v1/followups/{support['id']}",
                 headers=api.as_("agent")).status_code == 404
    assert c.post(f"/api/v1/followups/{support['id']}/start",
                  headers=api.as_("supervisor")).status_code == 404
    r = c.patch(f"/api/v1/followups/{sales['id']}", json={"group": "support"},
                headers=api.as_("supervisor"))
    assert r.status_code == 403 and "support" in r.json()["detail"]
    started = c.post(f"/api/v1/followups/{sales['id']}/start", headers=api.as_("agent")).json()
    assert started["followup"]["assignee"] == "agent"     # claimed by starting it


def test_no_answer_reschedules_and_cancel(api: Api) -> None:
    c, agent = api.client, api.as_("agent")
    f = new(api)
    c.post(f"/api/v1/followups/{f['id']}/start", headers=agent)
    later = time.time() + 7200
    again = c.post(f"/api/v1/followups/{f['id']}/outcome",
                   json={"outcome": "no_answer", "reschedule_at": later}, headers=agent).json()
    assert (again["state"], again["due_at"], again["attempts"]) == ("pending", later, 1)
    gone = c.post(f"/api/v1/followups/{f['id']}/cancel", headers=agent).json()
    assert gone["state"] == "cancelled"
    assert c.post(f"/api/v1/followups/{f['id']}/cancel", headers=agent).status_code == 409
