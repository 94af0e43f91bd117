"""An agent uses only the extensions an admin bound to it: login and browser line are 403
elsewhere; admins bind (on create or with PUT /users/{u}/extensions); supervisors and
admins are not bound.  A real ACD and store, a stand-in for the switch (no SIP here)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from kefu.config import QueueConfig
from kefu.acd.service import Acd
from kefu.calls.call import Call

EXTENSIONS = ("1001", "1002", "1003")
PW = "agent-password-1"


@pytest.fixture
def api(api):  # type: ignore[no-untyped-def]
    """The app with an ACD: queue sales (members agent, carol — carol is no user, as a
    config file may name) and extensions 1001-1003; 1003 is in a call."""
    api.ctx.settings = api.ctx.settings.model_copy(update={"queues": [
        QueueConfig(name="sales", number="8000", members={"agent": 1, "carol": 1})]})
    switch = SimpleNamespace(calls={}, idle_line=lambda number: None,
                             is_extension=EXTENSIONS.__contains__)
    api.ctx.acd = Acd(api.ctx.settings, switch, api.ctx.bus)  # type: ignore[arg-type]
    api.ctx.control = SimpleNamespace(switch=switch, get=switch.calls.__getitem__)
    call = Call(caller="2001", callee="1003")
    switch.calls[call.id] = call
    api.call = call
    for number in EXTENSIONS:
        api.store.create_extension(number, "secret-pw", "", "kefu")
    return api


def login(api, username: str, extension: str, role: str = "agent", **extra):  # type: ignore[no-untyped-def]
    return api.client.post(f"/api/v1/agents/{username}/login",
                           json={"extension": extension, **extra}, headers=api.as_(role))


def bind(api, username: str, *numbers: str, role: str = "admin"):  # type: ignore[no-untyped-def]
    return api.client.put(f"/api/v1/users/{username}/extensions",
                          json={"extensions": list(numbers)}, headers=api.as_(role))


def test_agent_cannot_take_over_an_extension_not_bound_to_it(api) -> None:  # type: ignore[no-untyped-def]
    assert bind(api, "agent", "1001").status_code == 200
    r = login(api, "agent", "1003")
    assert r.status_code == 403
    assert "not bound" in r.json()["detail"] and "PUT /api/v1/users/agent/extensions" in \
        r.json()["detail"]
    # not logged in: 1003's call is neither visible nor reachable
    assert api.client.get("/api/v1/live-calls", headers=api.as_("agent")).status_code == 403
    r = api.client.delete(f"/api/v1/live-calls/{api.call.id}/parties/1003",
                          headers=api.as_("agent"))
    assert r.status_code == 403
    # its own extension works, and 1003's call stays out of its sight and reach
    r = login(api, "agent", "1001")
    assert r.status_code == 200 and r.json()["extension"] == "1001"
    assert api.client.get("/api/v1/live-calls", headers=api.as_("agent")).json() == []
    r = api.client.delete(f"/api/v1/live-calls/{api.call.id}/parties/1003",
                          headers=api.as_("agent"))
    assert r.status_code == 403


def test_without_any_binding_every_extension_is_refused(api) -> None:  # type: ignore[no-untyped-def]
    """An existing installation after the upgrade: strict until an admin binds."""
    r = login(api, "agent", "1001")
    assert r.status_code == 403 and "bound: none" in r.json()["detail"]
    r = login(api, "carol", "1002", role="supervisor")   # a queue member with no user
    assert r.status_code == 403 and "POST /api/v1/users" in r.json()["detail"]
    assert bind(api, "agent", "1001").status_code == 200
    assert login(api, "agent", "1001").status_code == 200


def test_supervisor_logs_an_agent_in_on_its_extensions_only(api) -> None:  # type: ignore[no-untyped-def]
    bind(api, "agent", "1002")
    assert login(api, "agent", "1001", role="supervisor").status_code == 403
    r = login(api, "agent", "1002", role="supervisor")
    assert r.status_code == 200 and r.json()["extension"] == "1002"


def test_supervisors_are_not_bound(api) -> None:  # type: ignore[no-untyped-def]
    api.ctx.acd._apply_skills("supervisor", {"sales": 1})    # a member by config
    r = login(api, "supervisor", "1003", role="supervisor")
    assert r.status_code == 200, r.text


def test_create_agent_with_extensions_and_skills_in_one_call(api) -> None:  # type: ignore[no-untyped-def]
    body = {"username": "dan", "password": PW, "role": "agent",
            "extensions": ["1002"], "skills": {"sales": 7}}
    r = api.client.post("/api/v1/users", json=body, headers=api.as_("admin"))
    assert r.status_code == 201, r.text
    assert r.json()["extensions"] == ["1002"]
    assert api.ctx.acd.agents["dan"].skills == {"sales": 7}
    skills = [e for e in api.events if e.type == "agent.skills"]
    assert skills[-1].data == {"agent": "dan", "skills": {"sales": 7}, "by": "admin"}
    listed = api.client.get("/api/v1/users", headers=api.as_("admin")).json()
    assert next(u for u in listed if u["username"] == "dan")["extensions"] == ["1002"]
    token = api.client.post("/api/v1/auth/login",
                            json={"username": "dan", "password": PW}).json()["token"]
    r = api.client.post("/api/v1/agents/dan/login", json={"extension": "1002"},
                        headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and r.json()["queues"] == ["sales"], r.text


@pytest.mark.parametrize("extra,status,word", [
    ({"extensions": ["1009"]}, 422, "1009"),              # no such extension
    ({"skills": {"nope": 1}}, 422, "nope"),               # no such queue
    ({"role": "qa", "extensions": ["1001"]}, 422, "takes no calls"),
    ({"role": "qa", "skills": {"sales": 1}}, 422, "skills are for agents"),
    ({"extensions": ["10x1"]}, 422, ""),
    ({"skills": {"sales": 101}}, 422, ""),
])
def test_create_with_bad_bindings_creates_nothing(api, extra: dict, status: int,  # type: ignore[no-untyped-def]
                                                  word: str) -> None:
    body = {"username": "eve", "password": PW, "role": "agent", **extra}
    r = api.client.post("/api/v1/users", json=body, headers=api.as_("admin"))
    assert r.status_code == status and word in r.text, r.text
    assert api.users.user_named("eve") is None
    assert "eve" not in api.ctx.acd.agents


def test_bindings_api(api) -> None:  # type: ignore[no-untyped-def]
    url = "/api/v1/users/agent/extensions"
    assert api.client.get(url, headers=api.as_("admin")).json() == \
        {"username": "agent", "extensions": []}
    for role in ("supervisor", "agent", "qa"):
        assert bind(api, "agent", "1001", role=role).status_code == 403
        assert api.client.get(url, headers=api.as_(role)).status_code == 403
    r = bind(api, "agent", "1003", "1001")
    assert r.status_code == 200 and r.json()["extensions"] == ["1001", "1003"]
    assert api.client.get(url, headers=api.as_("admin")).json()["extensions"] == ["1001", "1003"]
    assert bind(api, "ghost", "1001").status_code == 404
    assert bind(api, "agent", "1009").status_code == 422
    assert bind(api, "qa", "1001").status_code == 422                  # takes no calls
    assert api.client.put(url, json={"extensions": "1001"},
                          headers=api.as_("admin")).status_code == 422
    assert api.client.get(url, headers=api.as_("admin")).json()["extensions"] == ["1001", "1003"]


def test_unbinding_logs_the_agent_out(api) -> None:  # type: ignore[no-untyped-def]
    bind(api, "agent", "1001", "1002")
    assert login(api, "agent", "1001").status_code == 200
    bind(api, "agent", "1001")                       # still bound to where it is: stays
    assert api.ctx.acd.agents["agent"].logged_in
    bind(api, "agent", "1002")
    assert not api.ctx.acd.agents["agent"].logged_in
    logout = [e for e in api.events if e.type == "agent.logout"]
    assert logout[-1].data["by"] == "admin" and logout[-1].data["extension"] == "1001"


def test_browser_line_only_on_a_bound_extension(api) -> None:  # type: ignore[no-untyped-def]
    bind(api, "agent", "1001")
    assert login(api, "agent", "1001", device="webrtc").status_code == 200
    offer = {"type": "offer", "sdp": "v=0 an offer", "extension": "1003"}
    r = api.client.post("/api/v1/lines", json=offer, headers=api.as_("agent"))
    assert r.status_code == 403 and "own extension 1001" in r.json()["detail"]
    # a binding removed behind the ACD's back (another node): the line is refused too
    api.users.set_user_extensions("agent", [])
    r = api.client.post("/api/v1/lines", json={**offer, "extension": "1001"},
                        headers=api.as_("agent"))
    assert r.status_code == 403 and "not bound" in r.json()["detail"]


def test_a_supervisors_line_stands_for_its_own_bound_extension(api) -> None:  # type: ignore[no-untyped-def]
    from kefu.web.routers.lines import line_number
    offer = {"type": "offer", "sdp": "v=0 an offer"}
    r = api.client.post("/api/v1/lines", json=offer, headers=api.as_("supervisor"))
    assert r.status_code == 409 and "no extension of its own" in r.json()["detail"]
    assert bind(api, "supervisor", "1003").status_code == 200
    sup = api.users.user_named("supervisor")
    number = asyncio.run(line_number(sup, api.ctx.acd, None, lambda n: True, api.users))
    assert number == "1003"
    assert asyncio.run(line_number(sup, api.ctx.acd, "1001", lambda n: True, api.users)) == "1001"
