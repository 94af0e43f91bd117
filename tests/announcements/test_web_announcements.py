"""/announcements (公告): who posts, who sees what (agents, groups), acknowledgements,
bus events and what reaches agents' WebSockets."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest

from kefu.config import QueueConfig
from kefu.acd.service import Acd

URL = "/api/v1/announcements"


@pytest.fixture
def api(api):  # type: ignore[no-untyped-def]
    """Two more agents, and three queues (groups): sales = ann + agent, support = bob,
    empty = nobody."""
    for name in ("ann", "bob"):
        user = api.users.create_user(name, api.password, "agent")
        api.tokens[name] = api.users.issue_token(user.id)
    api.ctx.settings = api.ctx.settings.model_copy(update={"queues": [
        QueueConfig("sales", "8001", members={"ann": 5, "agent": 3}),
        QueueConfig("support", "8002", members={"bob": 5}),
        QueueConfig("empty", "8003"),
    ]})
    return api


def _post(api, title: str = "系统维护", role: str = "supervisor", **fields):  # type: ignore[no-untyped-def]
    return api.client.post(URL, json={"title": title, "body": "今晚 22:00", **fields},
                           headers=api.as_(role))


def _count(api) -> int:  # type: ignore[no-untyped-def]
    with api.store._engine.connect() as conn:
        return conn.exec_driver_sql("SELECT count(*) FROM announcements").scalar_one()


@pytest.mark.parametrize("role", ["admin", "supervisor"])
def test_post_publishes(api, role: str) -> None:  # type: ignore[no-untyped-def]
    r = _post(api, role=role)
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["title"], body["author"], body["audience"], body["groups"],
            body["recipients"], body["acked"], body["acks"]) == (
        "系统维护", role, [], [], [], False, 0)
    r2 = _post(api, "for ann", role=role, audience=["ann"])
    assert [(e.type, e.data) for e in api.events] == [
        ("announcement.posted", {"id": body["id"], "title": "系统维护", "agents": None,
                                 "groups": []}),
        ("announcement.posted", {"id": r2.json()["id"], "title": "for ann", "agents": ["ann"],
                                 "groups": []}),
    ]


@pytest.mark.parametrize("role", ["agent", "qa"])
def test_post_refused(api, role: str) -> None:  # type: ignore[no-untyped-def]
    assert _post(api, role=role).status_code == 403
    assert _post(api, role=role, groups=["sales"]).status_code == 403
    assert _count(api) == 0 and api.events == []


@pytest.mark.parametrize("body", [
    {}, {"title": ""}, {"title": "   "}, {"title": "t" * 201}, {"title": "t", "body": None},
    {"title": "t", "body": "b" * 20_001}, {"title": "t", "audience": "ann"},
    {"title": "t", "audience": ["nobody"]}, {"title": "t", "audience": [""]},
    {"title": "t", "author": "ann"}, {"title": "t", "audience": ["ann"] * 1001},
    {"title": "t", "groups": "sales"}, {"title": "t", "groups": [""]},
    {"title": "t", "groups": ["s" * 65]}, {"title": "t", "groups": ["sales"] * 101},
    {"title": "t", "groups": ["sales", "nope"]}, {"title": "t", "groups": ["empty"]},
    {"title": "t", "groups": ["sales"], "audience": ["nobody"]}, {"title": "t", "groups": None},
])
def test_post_bad_bodies(api, body: dict) -> None:  # type: ignore[no-untyped-def]
    r = api.client.post(URL, json=body, headers=api.as_("admin"))
    assert 400 <= r.status_code < 500
    assert _count(api) == 0 and api.events == []


def test_audience_filtering_and_acks(api) -> None:  # type: ignore[no-untyped-def]
    everyone = _post(api, "all").json()
    for_ann = _post(api, "for ann", audience=["ann"]).json()
    _post(api, "for bob", audience=["bob"])
    api.events.clear()

    def listing(who: str) -> list[tuple]:
        r = api.client.get(URL, headers=api.as_(who))
        assert r.status_code == 200
        return [(a["title"], a["acked"], a["acks"]) for a in r.json()]

    assert listing("ann") == [("for ann", False, None), ("all", False, None)]
    assert listing("agent") == [("all", False, None)]
    assert api.client.post(f"{URL}/{for_ann['id']}/ack",
                           headers=api.as_("ann")).status_code == 204
    assert api.client.post(f"{URL}/{for_ann['id']}/ack",
                           headers=api.as_("ann")).status_code == 204     # idempotent
    assert api.client.post(f"{URL}/{everyone['id']}/ack",
                           headers=api.as_("supervisor")).status_code == 204
    assert [(e.type, e.data) for e in api.events] == [      # the first ack only
        ("announcement.acked", {"id": for_ann["id"], "agent": "ann"}),
        ("announcement.acked", {"id": everyone["id"], "agent": "supervisor"}),
    ]
    assert listing("ann") == [("for ann", True, None), ("all", False, None)]
    for staff in ("admin", "supervisor"):
        assert [t for t, _, _ in listing(staff)] == ["for bob", "for ann", "all"]
    assert listing("supervisor") == [("for bob", False, 0), ("for ann", False, 1),
                                     ("all", True, 1)]
    one = api.client.get(URL, params={"limit": 1}, headers=api.as_("admin"))
    assert [a["title"] for a in one.json()] == ["for bob"]


def test_list_refused_for_qa(api) -> None:  # type: ignore[no-untyped-def]
    _post(api)
    assert api.client.get(URL, headers=api.as_("qa")).status_code == 403
    assert api.client.get(URL).status_code == 401


def test_ack_refused(api) -> None:  # type: ignore[no-untyped-def]
    for_ann = _post(api, "for ann", audience=["ann"]).json()
    api.events.clear()
    ack = f"{URL}/{for_ann['id']}/ack"
    assert api.client.post(ack, headers=api.as_("bob")).status_code == 404   # not for bob
    assert api.client.post(ack, headers=api.as_("qa")).status_code == 403
    assert api.client.post(f"{URL}/4040/ack", headers=api.as_("ann")).status_code == 404
    assert api.client.post(f"{URL}/0/ack", headers=api.as_("ann")).status_code == 422
    assert api.events == []
    assert [a["acks"] for a in api.client.get(URL, headers=api.as_("admin")).json()] == [0]


# ---------------------------------------------------------------------- groups (技能组)

def _titles(api, who: str) -> list[str]:  # type: ignore[no-untyped-def]
    r = api.client.get(URL, headers=api.as_(who))
    assert r.status_code == 200, r.text
    return [a["title"] for a in r.json()]


def test_group_reaches_its_members_only(api) -> None:  # type: ignore[no-untyped-def]
    r = _post(api, "to sales", groups=["sales"])
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["audience"], body["groups"], body["recipients"]) == (
        [], ["sales"], ["ann", "agent"])
    assert [(e.type, e.data) for e in api.events] == [
        ("announcement.posted", {"id": body["id"], "title": "to sales",
                                 "agents": ["ann", "agent"], "groups": ["sales"]})]
    assert _titles(api, "ann") == _titles(api, "agent") == ["to sales"]
    assert _titles(api, "bob") == []
    assert _titles(api, "supervisor") == ["to sales"]
    ack = f"{URL}/{body['id']}/ack"
    assert api.client.post(ack, headers=api.as_("bob")).status_code == 404
    assert api.client.post(ack, headers=api.as_("ann")).status_code == 204
    mine = api.client.get(URL, headers=api.as_("ann")).json()
    assert [(a["groups"], a["recipients"], a["acked"], a["acks"]) for a in mine] == [
        (["sales"], None, True, None)]          # agents are not told who else got it


def test_groups_and_agents_combined(api) -> None:  # type: ignore[no-untyped-def]
    body = _post(api, "mixed", groups=["support", "sales", "support"],
                 audience=["bob", "supervisor"]).json()
    assert (body["audience"], body["groups"], body["recipients"]) == (
        ["bob", "supervisor"], ["support", "sales"], ["bob", "supervisor", "ann", "agent"])
    assert api.events[-1].data["agents"] == ["bob", "supervisor", "ann", "agent"]
    _post(api, "support only", groups=["support"], audience=["ann"])
    assert _titles(api, "ann") == ["support only", "mixed"]
    assert _titles(api, "bob") == ["support only", "mixed"]
    assert _titles(api, "agent") == ["mixed"]


def test_everyone_when_no_agents_and_no_groups(api) -> None:  # type: ignore[no-untyped-def]
    body = _post(api, "all", audience=[], groups=[]).json()
    assert (body["audience"], body["groups"], body["recipients"]) == ([], [], [])
    assert api.events[-1].data == {"id": body["id"], "title": "all", "agents": None,
                                   "groups": []}
    for who in ("ann", "bob", "agent"):
        assert _titles(api, who) == ["all"]


def test_unknown_group_is_422_and_nothing_stored(api) -> None:  # type: ignore[no-untyped-def]
    r = _post(api, groups=["sales", "nope", "nix"])
    assert r.status_code == 422
    assert "unknown queues: nope, nix" in r.text
    r = _post(api, groups=["empty"])
    assert r.status_code == 422 and "reach nobody" in r.text
    assert _count(api) == 0 and api.events == []


def test_empty_group_with_agents_reaches_the_agents(api) -> None:  # type: ignore[no-untyped-def]
    body = _post(api, "empty+bob", groups=["empty"], audience=["bob"]).json()
    assert (body["groups"], body["recipients"]) == (["empty"], ["bob"])
    assert _titles(api, "bob") == ["empty+bob"] and _titles(api, "ann") == []


def test_membership_is_resolved_when_posted(api) -> None:  # type: ignore[no-untyped-def]
    _post(api, "old", groups=["sales"])
    queues = api.ctx.settings.queues                      # ann leaves sales, bob joins
    queues = [queues[0].model_copy(update={"members": {"bob": 1}}), *queues[1:]]
    api.ctx.settings = api.ctx.settings.model_copy(update={"queues": queues})
    _post(api, "new", groups=["sales"])
    assert _titles(api, "ann") == ["old"]
    assert _titles(api, "bob") == ["new"]


def test_running_acd_queues_are_the_groups(api) -> None:  # type: ignore[no-untyped-def]
    api.ctx.acd = Acd(api.ctx.settings, None, api.ctx.bus)  # type: ignore[arg-type]
    api.ctx.acd.queues["vip"] = QueueConfig("vip", "8009", members={"bob": 1})
    body = _post(api, "vip", groups=["vip"]).json()
    assert body["recipients"] == ["bob"]


# ---------------------------------------------------------------------- the WebSocket

def _connect(api, who: str):  # type: ignore[no-untyped-def]
    return api.client.websocket_connect(
        f"/api/v1/events?{urlencode({'token': api.tokens[who], 'types': 'announcement.'})}")


def _next(conn: Any) -> tuple[str, str]:
    message = conn.receive_json()
    return message["type"], message["data"].get("title", "")


@pytest.mark.parametrize("rule", ["default", "acd"])
def test_websocket_reaches_group_members_only(api, rule: str) -> None:  # type: ignore[no-untyped-def]
    """Absence without timeouts: each hidden event is followed by a visible one, which must
    be the next message."""
    if rule == "acd":       # what `kefu serve` installs
        acd = Acd(api.ctx.settings, None, api.ctx.bus)  # type: ignore[arg-type]
        api.ctx.acd = acd
        api.ctx.visible = lambda user, event: acd.visible_to(user.username, event)
    with _connect(api, "ann") as ann, _connect(api, "bob") as bob:
        assert ann.receive_json()["type"] == bob.receive_json()["type"] == "hello"
        for title, fields in (("s1", {"groups": ["sales"]}), ("p1", {"groups": ["support"]}),
                              ("s2", {"groups": ["sales"]}), ("to bob", {"audience": ["bob"]}),
                              ("to ann", {"audience": ["ann"]})):
            assert _post(api, title, **fields).status_code == 201
        # checked first: a wrong audience would leave the reads below waiting
        assert [e.data["agents"] for e in api.events] == [
            ["ann", "agent"], ["bob"], ["ann", "agent"], ["bob"], ["ann"]]
        posted = "announcement.posted"
        assert [_next(ann) for _ in range(3)] == [(posted, "s1"), (posted, "s2"),
                                                  (posted, "to ann")]
        assert [_next(bob) for _ in range(2)] == [(posted, "p1"), (posted, "to bob")]
        if rule == "acd":   # the ACD's rule also shows notices for every agent
            _post(api, "all")
            assert _next(ann) == _next(bob) == (posted, "all")
