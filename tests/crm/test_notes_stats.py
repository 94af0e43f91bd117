"""Call notes written from the desk (handling, queue, a type's required fields) and the
note statistics (统计分析) by type, agent, queue, day, week and month: counted in SQL on
both backends, served to supervisors and admins."""

from __future__ import annotations

import pytest

from kefu.crm import repo
from kefu.crm.service import Crm
from kefu.store.errors import Invalid

CST = 8 * 3600                          # China Standard Time, UTC+8
# 2026-12-03 (a Thursday) 09:00 in UTC+8
THU = 1_796_256_000.0 - CST + 9 * 3600


class Clock:
    def __init__(self) -> None:
        self.now = THU

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(repo, "time", c)      # the notes' created_at
    return c


def _notes(crm: Crm, clock: Clock) -> None:
    """Six notes over two months, two agents, two queues."""
    cid = crm.create_customer("13800138000").id
    for offset_days, agent, type_, queue in [
            (0, "ann", "inquiry", "sales"), (0, "ann", "complaint", "sales"),
            (0, "bob", "inquiry", "support"), (-3, "bob", "inquiry", "support"),  # Monday
            (-4, "ann", "praise", ""), (-40, "bob", "complaint", "support")]:
        clock.now = THU + offset_days * 86400
        crm.add_contact_note(cid, agent=agent, type=type_, result="resolved",
                             notes="记录", queue=queue)


def test_stats_by_each_key(crm: Crm, clock: Clock) -> None:
    _notes(crm, clock)
    by = {k: [(r.key, r.total, r.types) for r in crm.note_stats(k, utc_offset=CST)]
          for k in ("type", "agent", "queue", "day", "week", "month")}
    assert by["type"] == [("inquiry", 3, {"inquiry": 3}), ("complaint", 2, {"complaint": 2}),
                          ("praise", 1, {"praise": 1})]
    assert by["agent"] == [("ann", 3, {"inquiry": 1, "complaint": 1, "praise": 1}),
                           ("bob", 3, {"inquiry": 2, "complaint": 1})]
    assert by["queue"] == [("support", 3, {"inquiry": 2, "complaint": 1}),
                           ("sales", 2, {"inquiry": 1, "complaint": 1}),
                           ("", 1, {"praise": 1})]
    assert by["day"] == [("2026-10-24", 1, {"complaint": 1}), ("2026-11-29", 1, {"praise": 1}),
                         ("2026-11-30", 1, {"inquiry": 1}),
                         ("2026-12-03", 3, {"inquiry": 2, "complaint": 1})]
    assert by["week"] == [("2026-10-19", 1, {"complaint": 1}),
                          ("2026-11-23", 1, {"praise": 1}),          # a Sunday: the week before
                          ("2026-11-30", 4, {"inquiry": 3, "complaint": 1})]
    assert by["month"] == [("2026-10", 1, {"complaint": 1}),
                           ("2026-11", 2, {"praise": 1, "inquiry": 1}),
                           ("2026-12", 3, {"inquiry": 2, "complaint": 1})]


def test_stats_between_and_in_the_local_day(crm: Crm, clock: Clock) -> None:
    _notes(crm, clock)
    rows = crm.note_stats("day", since=THU - 3 * 86400, until=THU, utc_offset=CST)
    assert [(r.key, r.total) for r in rows] == [("2026-11-30", 1)]
    # 01:00 local is still the day before in UTC: the day is the local one
    clock.now = THU - 8 * 3600
    crm.add_contact_note(1, agent="ann", type="other", result="other")
    assert crm.note_stats("day", since=THU - 9 * 3600, utc_offset=CST)[0].key == "2026-12-03"
    assert crm.note_stats("day", since=THU - 9 * 3600, utc_offset=0)[0].key == "2026-12-02"


def test_stats_refuses_bad_input(crm: Crm) -> None:
    with pytest.raises(Invalid):
        crm.note_stats("year")
    with pytest.raises(Invalid):
        crm.note_stats("day", since=10.0, until=5.0)
    assert crm.note_stats("type") == []


# --- over HTTP -----------------------------------------------------------------------------
STATS = "/api/v1/crm/notes/stats"


def test_stats_route_roles_and_rows(api, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    _notes(api.ctx.crm, clock)
    for role in ("agent", "qa"):
        assert api.client.get(STATS, headers=api.as_(role)).status_code == 403
    r = api.client.get(STATS, params={"by": "agent"}, headers=api.as_("supervisor"))
    assert r.status_code == 200, r.text
    assert r.json()[0] == {"key": "ann", "total": 3,
                           "types": {"inquiry": 1, "complaint": 1, "praise": 1}}
    r = api.client.get(STATS, params={"by": "month", "since": THU - 86400},
                       headers=api.as_("admin"))
    assert [row["key"] for row in r.json()] == ["2026-12"]
    for bad in ({"by": "year"}, {"since": 10, "until": 5}, {"since": -1}):
        assert api.client.get(STATS, params=bad, headers=api.as_("admin")).status_code == 422


NOTE = "/api/v1/calls/call-1/notes"


def test_a_note_during_the_call_keeps_handling_and_queue(api) -> None:  # type: ignore[no-untyped-def]
    r = api.client.post(NOTE, json={"number": "13800138000", "type": "inquiry",
                                    "result": "resolved", "handling": "answered",
                                    "queue": "sales", "notes": "问价格"},
                        headers=api.as_("agent"))
    assert r.status_code == 201, r.text
    note = r.json()["note"]
    assert (note["handling"], note["queue"], note["call_id"]) == ("answered", "sales", "call-1")
    cid = r.json()["customer"]["id"]
    line = api.client.get(f"/api/v1/customers/{cid}/timeline",
                          headers=api.as_("agent")).json()["items"][0]
    assert (line["kind"], line["ref"], line["data"]["handling"]) == (
        "note", str(note["id"]), "answered")


@pytest.mark.parametrize("body", [
    {"type": "complaint", "result": "resolved"},               # a complaint needs its notes
    {"type": "complaint", "result": "resolved", "notes": "   "},
    {"type": "inquiry", "result": "resolved", "handling": "shrugged"},
    {"type": "inquiry", "result": "resolved", "queue": "q" * 65},
])
def test_a_note_missing_what_its_type_requires(api, body: dict) -> None:  # type: ignore[no-untyped-def]
    r = api.client.post(NOTE, json={"number": "13800138000", **body},
                        headers=api.as_("agent"))
    assert r.status_code == 422, r.text
    with api.store._engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM customers").scalar_one() == 0
