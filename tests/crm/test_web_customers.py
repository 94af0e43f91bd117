"""/customers and the wrap-up note: roles, validation (nothing written), screen pop, history."""

from __future__ import annotations

from typing import get_args

import pytest

from kefu.crm.service import CONTACT_RESULTS
from kefu.crm import schemas as customers

URL = "/api/v1/customers"
NUMBER = "13800138000"
WRITERS = ["admin", "supervisor", "agent"]


def _create(api, role: str = "agent", **fields):  # type: ignore[no-untyped-def]
    return api.client.post(URL, json={"number": NUMBER, **fields}, headers=api.as_(role))


def _count(api, table: str) -> int:  # type: ignore[no-untyped-def]
    with api.store._engine.connect() as conn:
        return conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()


def test_choices_match_the_store() -> None:
    assert get_args(customers.NoteResult) == CONTACT_RESULTS


@pytest.mark.parametrize("role", WRITERS)
def test_create_and_read(api, role: str) -> None:  # type: ignore[no-untyped-def]
    r = _create(api, role, name="张三", company="示例公司", tier="gold", owner="agent",
                notes="回访")
    assert r.status_code == 201, r.text
    body = r.json()
    assert {k: body[k] for k in ("number", "name", "company", "tier", "owner", "notes")} == {
        "number": "+8613800138000", "name": "张三", "company": "示例公司", "tier": "gold",
        "owner": "agent", "notes": "回访"}
    got = api.client.get(f"{URL}/{body['id']}", headers=api.as_(role))
    assert got.status_code == 200 and got.json() == body


def test_create_refused_for_qa(api) -> None:  # type: ignore[no-untyped-def]
    assert _create(api, "qa").status_code == 403
    assert _count(api, "customers") == 0


def test_a_shared_number_pops_both(api) -> None:  # type: ignore[no-untyped-def]
    a, b = _create(api).json(), _create(api, name="again").json()
    r = api.client.get(URL, params={"number": "+86 138-0013-8000"}, headers=api.as_("agent"))
    assert [c["id"] for c in r.json()] == [a["id"], b["id"]]


@pytest.mark.parametrize("body", [
    {}, {"number": "1"}, {"number": 13800138000}, {"number": "138-0013-abc"},
    {"number": NUMBER, "name": "n" * 129}, {"number": NUMBER, "notes": "x" * 4001},
    {"number": NUMBER, "tier": "t" * 33}, {"number": NUMBER, "owner": "nobody"},
    {"number": NUMBER, "id": 7}, {"number": NUMBER, "name": None},
])
def test_create_bad_bodies(api, body: dict) -> None:  # type: ignore[no-untyped-def]
    r = api.client.post(URL, json=body, headers=api.as_("admin"))
    assert 400 <= r.status_code < 500 and r.status_code != 409
    assert _count(api, "customers") == 0


@pytest.mark.parametrize("role", ["admin", "supervisor", "agent", "qa"])
def test_screen_pop(api, role: str) -> None:  # type: ignore[no-untyped-def]
    created = _create(api, name="张三").json()
    r = api.client.get(URL, params={"number": NUMBER}, headers=api.as_(role))
    assert r.status_code == 200 and r.json() == [created]
    for unknown in ("13900139000", "anonymous"):
        r = api.client.get(URL, params={"number": unknown}, headers=api.as_(role))
        assert r.status_code == 200 and r.json() == []


def test_screen_pop_needs_a_number_and_a_token(api) -> None:  # type: ignore[no-untyped-def]
    assert api.client.get(URL, headers=api.as_("agent")).status_code == 422
    assert api.client.get(URL, params={"number": "1" * 65},
                          headers=api.as_("agent")).status_code == 422
    assert api.client.get(URL, params={"number": NUMBER}).status_code == 401


def test_get_unknown_is_404(api) -> None:  # type: ignore[no-untyped-def]
    for path in ("/4040", "/4040/history"):
        assert api.client.get(URL + path, headers=api.as_("agent")).status_code == 404
    assert api.client.get(f"{URL}/{2**40}", headers=api.as_("agent")).status_code == 422


@pytest.mark.parametrize("role", WRITERS)
def test_patch(api, role: str) -> None:  # type: ignore[no-untyped-def]
    c = _create(api, name="张三").json()
    r = api.client.patch(f"{URL}/{c['id']}", json={"company": "ACME", "tier": "gold"},
                         headers=api.as_(role))
    assert r.status_code == 200
    assert (r.json()["name"], r.json()["company"], r.json()["tier"]) == ("张三", "ACME", "gold")
    empty = api.client.patch(f"{URL}/{c['id']}", json={}, headers=api.as_(role))
    assert empty.status_code == 200 and empty.json() == r.json()


def test_patch_refused_invalid_and_unknown(api) -> None:  # type: ignore[no-untyped-def]
    c = _create(api, name="张三").json()
    url = f"{URL}/{c['id']}"
    assert api.client.patch(url, json={"name": "x"}, headers=api.as_("qa")).status_code == 403
    for body in ({"name": "n" * 129}, {"number": "abc"}, {"owner": "nobody"}, {"x": 1}):
        r = api.client.patch(url, json=body, headers=api.as_("agent"))
        assert r.status_code == 422, body
    assert api.client.get(url, headers=api.as_("agent")).json() == c
    assert api.client.patch(f"{URL}/4040", json={"name": "x"},
                            headers=api.as_("agent")).status_code == 404
    assert api.client.patch(f"{URL}/4040", json={},
                            headers=api.as_("agent")).status_code == 404


def _note(api, call_id: str = "call-1", role: str = "agent",  # type: ignore[no-untyped-def]
          extra: dict | None = None, **fields):
    body = {"number": NUMBER, "type": "inquiry", "result": "resolved", "notes": "问价格",
            **fields, **(extra or {})}
    return api.client.post(f"/api/v1/calls/{call_id}/notes", json=body, headers=api.as_(role))


@pytest.mark.parametrize("role", WRITERS)
def test_wrap_up_note_creates_the_customer(api, role: str) -> None:  # type: ignore[no-untyped-def]
    r = _note(api, role=role, name="李四")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["customer_created"] is True
    assert body["customer"]["number"] == "+8613800138000" and body["customer"]["name"] == "李四"
    assert body["note"] == {**body["note"], "customer_id": body["customer"]["id"],
                            "call_id": "call-1", "agent": role, "type": "inquiry",
                            "result": "resolved", "notes": "问价格"}
    pop = api.client.get(URL, params={"number": NUMBER}, headers=api.as_("agent")).json()
    assert pop == [body["customer"]]


def test_wrap_up_note_on_a_known_customer_and_history(api) -> None:  # type: ignore[no-untyped-def]
    c = _create(api, name="张三").json()
    first = _note(api, "call-1").json()
    second = _note(api, "call-2", role="supervisor", type="complaint", result="escalated",
                   name="ignored").json()
    assert second["customer_created"] is False and second["customer"] == c
    r = api.client.get(f"{URL}/{c['id']}/history", headers=api.as_("qa"))
    assert r.status_code == 200
    assert r.json() == [second["note"], first["note"]]          # newest first
    assert [n["agent"] for n in r.json()] == ["supervisor", "agent"]
    assert [n["survey_score"] for n in r.json()] == [None, None]   # no CDR with a survey
    one = api.client.get(f"{URL}/{c['id']}/history", params={"limit": 1},
                         headers=api.as_("agent"))
    assert one.json() == [second["note"]]
    assert api.client.get(f"{URL}/{c['id']}/history", params={"limit": 0},
                          headers=api.as_("agent")).status_code == 422


def test_wrap_up_note_refused_for_qa(api) -> None:  # type: ignore[no-untyped-def]
    assert _note(api, role="qa").status_code == 403
    assert _note(api, role="qa").status_code == 403
    assert _count(api, "customers") == 0 and _count(api, "contact_notes") == 0


@pytest.mark.parametrize("fields", [
    {"type": "nonsense"}, {"result": "done"}, {"notes": "x" * 4001}, {"number": "x"},
    {"number": None}, {"name": "n" * 129}, {"agent": "someone-else"}, {"call_id": "other"},
])
def test_wrap_up_note_bad_bodies(api, fields: dict) -> None:  # type: ignore[no-untyped-def]
    assert _note(api, extra=fields).status_code == 422
    assert _count(api, "customers") == 0 and _count(api, "contact_notes") == 0


def test_wrap_up_note_missing_fields_and_long_call_id(api) -> None:  # type: ignore[no-untyped-def]
    r = api.client.post("/api/v1/calls/call-1/notes", json={"number": NUMBER},
                        headers=api.as_("agent"))
    assert r.status_code == 422
    assert _note(api, "c" * 129).status_code == 422
    assert _count(api, "customers") == 0 and _count(api, "contact_notes") == 0


def test_cdr_list_still_answers(api) -> None:  # type: ignore[no-untyped-def]
    """``POST /calls/{id}/notes`` lives beside the calls router's ``GET /calls``."""
    r = api.client.get("/api/v1/calls", headers=api.as_("supervisor"))
    assert r.status_code == 200 and r.json()["items"] == []
