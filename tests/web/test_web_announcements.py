"""/announcements (公告): who posts, who sees what, acknowledgements, bus events."""

from __future__ import annotations

import pytest


URL = "/api/v1/announcements"


@pytest.fixture
def api(api):  # type: ignore[no-untyped-def]
    """Two more agents."""
    for name in ("ann", "bob"):
        user = api.store.create_user(name, api.password, "agent")
        api.tokens[name] = api.store.issue_token(user.id)
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
    assert (body["title"], body["author"], body["audience"], body["acked"], body["acks"]) == (
        "系统维护", role, [], False, 0)
    r2 = _post(api, "for ann", role=role, audience=["ann"])
    assert [(e.type, e.data) for e in api.events] == [
        ("announcement.posted", {"id": body["id"], "title": "系统维护", "agents": None}),
        ("announcement.posted", {"id": r2.json()["id"], "title": "for ann", "agents": ["ann"]}),
    ]


@pytest.mark.parametrize("role", ["agent", "qa"])
def test_post_refused(api, role: str) -> None:  # type: ignore[no-untyped-def]
    assert _post(api, role=role).status_code == 403
    assert _count(api) == 0 and api.events == []


@pytest.mark.parametrize("body", [
    {}, {"title": ""}, {"title": "   "}, {"title": "t" * 201}, {"title": "t", "body": None},
    {"title": "t", "body": "b" * 20_001}, {"title": "t", "audience": "ann"},
    {"title": "t", "audience": ["nobody"]}, {"title": "t", "audience": [""]},
    {"title": "t", "author": "ann"}, {"title": "t", "audience": ["ann"] * 1001},
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
