"""A merge or a forced delete reaches every slice that keeps a customer id, wired as
``kefu.app.start`` wires them (``tests/webkit.py``): the call notes and timeline (crm),
tickets, follow-ups and recordings.  And the screen pop finds a customer by every
spelling of its numbers."""

from __future__ import annotations

import time

import pytest

from kefu.recordings.service import Recording

URL = "/api/v1/customers"


def _ok(r, code: int = 200):  # type: ignore[no-untyped-def]
    assert r.status_code == code, r.text
    return r.json() if r.content else None


def _customer(api, **body) -> dict:  # type: ignore[no-untyped-def]
    return _ok(api.client.post(URL, json=body, headers=api.as_("admin")), 201)


def _linked(api, customer: dict) -> dict:  # type: ignore[no-untyped-def]
    """A note, a ticket, a follow-up and a recording on ``customer``."""
    admin = api.as_("admin")
    _ok(api.client.post("/api/v1/calls/c-1/notes", headers=admin, json={
        "number": customer["number"], "type": "inquiry", "result": "resolved",
        "notes": "问价格"}), 201)
    ticket = _ok(api.client.post("/api/v1/tickets", headers=admin, json={
        "type": "complaint", "title": "态度差", "description": "",
        "customer_id": customer["id"]}), 201)
    followup = _ok(api.client.post("/api/v1/followups", headers=admin, json={
        "kind": "callback", "customer_id": customer["id"], "number": customer["number"],
        "due_at": time.time() + 3600, "assignee": "agent"}), 201)
    recording = api.ctx.recordings.save(Recording(
        id=0, call_id="c-1", segment=1, journey="c-1", caller=customer["number"],
        callee="8000", started_at=1.0, duration=2.0, agent="agent", queue=None,
        customer_id=customer["id"], direction="inbound", disposition=None, policy="all",
        tier="live", path="/r/c-1.wav", codec="wav", size=None, sha256=None, state="done"))
    return {"ticket": ticket["id"], "followup": followup["id"], "recording": recording.id}


def test_a_merge_moves_every_linked_record(api) -> None:  # type: ignore[no-untyped-def]
    admin = api.as_("admin")
    keep = _customer(api, name="张三", numbers=[{"number": "13800138000", "label": "mobile"}])
    dup = _customer(api, name="张三", numbers=[{"number": "+86 139 0013 9000", "label": ""}])
    links = _linked(api, dup)

    merged = _ok(api.client.post(f"{URL}/merge", headers=admin,
                                 json={"into": keep["id"], "merge": [dup["id"]]}))
    assert merged["numbers"] == ["+8613800138000", "+8613900139000"]
    ticket = _ok(api.client.get(f"/api/v1/tickets/{links['ticket']}", headers=admin))
    assert ticket["customer_id"] == keep["id"]
    followups = _ok(api.client.get("/api/v1/followups", headers=admin))["items"]
    assert [(f["id"], f["customer_id"]) for f in followups] == [(links["followup"], keep["id"])]
    assert api.ctx.recordings.get(links["recording"]).customer_id == keep["id"]
    lines = _ok(api.client.get(f"{URL}/{keep['id']}/timeline", headers=admin))["items"]
    assert {"note", "ticket"} <= {line["kind"] for line in lines}
    assert api.client.get(f"{URL}/{dup['id']}", headers=admin).status_code == 404


def test_a_forced_delete_leaves_tickets_and_follow_ups_without_a_customer(api) -> None:  # type: ignore[no-untyped-def]
    admin = api.as_("admin")
    gone = _customer(api, name="李四", numbers=[{"number": "13700137000", "label": ""}])
    links = _linked(api, gone)
    assert api.client.delete(f"{URL}/{gone['id']}", headers=admin).status_code == 409
    assert api.client.delete(f"{URL}/{gone['id']}?force=true",
                             headers=admin).status_code == 204
    ticket = _ok(api.client.get(f"/api/v1/tickets/{links['ticket']}", headers=admin))
    assert ticket["customer_id"] is None and ticket["title"] == "态度差"
    [followup] = _ok(api.client.get("/api/v1/followups", headers=admin))["items"]
    assert followup["customer_id"] is None and followup["number"] == "+8613700137000"


# Every way a caller ID, an agent or an import file writes the same numbers.
SPELLINGS = {
    "+8613800138000": ["+8613800138000", "+86 138 0013 8000", "+86-138-0013-8000",
                       "13800138000", "138 0013 8000", "138-0013-8000", "008613800138000",
                       "86 13800138000", "(+86) 138 0013 8000"],
    "+861065529988": ["+861065529988", "01065529988", "010-6552 9988", "010 6552 9988",
                      "(010) 65529988", "+86 10 6552 9988", "00861065529988",
                      "010-6552 9988 ext. 12", "01065529988 x12"],
    "1001": ["1001"],
}


@pytest.mark.parametrize("role", ["agent", "qa"])
def test_the_screen_pop_finds_every_spelling(api, role: str) -> None:  # type: ignore[no-untyped-def]
    """Stored as entered in one spelling each (a mobile, a landline with an extension, an
    internal extension), found by every other spelling; unknown and anonymous: none."""
    c = _customer(api, name="王五", numbers=[
        {"number": "138 0013 8000", "label": "mobile"},
        {"number": "010-6552 9988 ext. 12", "label": "work"},
        {"number": "1001", "label": ""}])
    assert c["numbers"] == list(SPELLINGS)
    assert [p["extension"] for p in c["phones"]] == ["", "12", ""]
    for spellings in SPELLINGS.values():
        for number in spellings:
            r = api.client.get(URL, params={"number": number}, headers=api.as_(role))
            assert [x["id"] for x in _ok(r)] == [c["id"]], number
    for number in ("13900139000", "anonymous", "+1 415 555 0100", "10012"):
        assert _ok(api.client.get(URL, params={"number": number}, headers=api.as_(role))) == []
