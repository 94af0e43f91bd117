"""GET /customers/{id}/timeline: keyset pages, the kind filter, roles, and play links only
for the viewers who may play the call's recording."""

from __future__ import annotations

import pytest

from kefu.crm.records import TimelineEntry
from kefu.recordings.service import Recording

T0 = 1_800_000_000.0


def _url(cid: int) -> str:
    return f"/api/v1/customers/{cid}/timeline"


def _customer(api) -> int:  # type: ignore[no-untyped-def]
    return api.ctx.crm.create_customer("13800138000", name="张三").id


def _line(api, cid: int, at: float, kind: str = "call", ref: str = "c1",  # type: ignore[no-untyped-def]
          **data) -> None:
    api.ctx.crm.record(TimelineEntry(customer_id=cid, at=at, kind=kind, ref=ref, data=data))


def _recording(api, call_id: str, agent: str, state: str = "done") -> int:  # type: ignore[no-untyped-def]
    return api.ctx.recordings.save(Recording(
        id=0, call_id=call_id, segment=1, journey=call_id, caller="+8613800138000",
        callee="400", started_at=T0, duration=60.0, agent=agent, queue="sales",
        customer_id=None, direction="inbound", disposition="answered", policy="all",
        tier="live", path=f"/rec/{call_id}.wav", codec="wav", size=None, sha256=None,
        state=state)).id


def test_pages_newest_first_until_the_last(api) -> None:  # type: ignore[no-untyped-def]
    cid = _customer(api)
    # two lines at the same time: the id breaks the tie, so no line is lost between pages
    for i, at in enumerate([T0, T0 + 10, T0 + 10, T0 + 20, T0 + 30]):
        _line(api, cid, at, ref=f"c{i}")
    seen, params = [], {"limit": 2}
    for _ in range(5):
        r = api.client.get(_url(cid), params=params, headers=api.as_("agent"))
        assert r.status_code == 200, r.text
        body = r.json()
        seen += [item["ref"] for item in body["items"]]
        if body["next"] is None:
            break
        params = {"limit": 2, **body["next"]}
    assert seen == ["c4", "c3", "c2", "c1", "c0"]
    assert len(body["items"]) == 1          # the last page knew it was the last


def test_kind_filter(api) -> None:  # type: ignore[no-untyped-def]
    cid = _customer(api)
    _line(api, cid, T0, "call", "c1", direction="inbound")
    _line(api, cid, T0 + 1, "survey", "c1", score=5)
    _line(api, cid, T0 + 2, "ticket", "7")
    r = api.client.get(_url(cid), params={"kinds": "call,survey"}, headers=api.as_("qa"))
    assert [(i["kind"], i["data"]) for i in r.json()["items"]] == [
        ("survey", {"score": 5}), ("call", {"direction": "inbound"})]
    assert r.json()["next"] is None


@pytest.mark.parametrize("params", [{"kinds": "call,sms"}, {"before_at": T0},
                                    {"before_id": 3}, {"limit": 0}, {"limit": 201}])
def test_bad_queries(api, params: dict) -> None:  # type: ignore[no-untyped-def]
    cid = _customer(api)
    assert api.client.get(_url(cid), params=params,
                          headers=api.as_("agent")).status_code == 422


def test_unknown_customer_and_roles(api) -> None:  # type: ignore[no-untyped-def]
    assert api.client.get(_url(99), headers=api.as_("agent")).status_code == 404
    cid = _customer(api)
    assert api.client.get(_url(cid)).status_code == 401
    for role in ("admin", "supervisor", "agent", "qa"):
        assert api.client.get(_url(cid), headers=api.as_(role)).status_code == 200


def _recording_ids(api, cid: int, role: str) -> dict[str, int | None]:  # type: ignore[no-untyped-def]
    r = api.client.get(_url(cid), headers=api.as_(role))
    assert r.status_code == 200, r.text
    return {i["ref"]: i["recording_id"] for i in r.json()["items"] if i["kind"] == "call"}


def test_play_links_only_for_who_may_play(api) -> None:  # type: ignore[no-untyped-def]
    cid = _customer(api)
    _line(api, cid, T0, ref="c1")
    _line(api, cid, T0 + 100, ref="c2")
    _line(api, cid, T0 + 200, ref="c3")          # no recording at all
    _line(api, cid, T0 + 300, ref="c4")          # still recording: nothing to play yet
    _line(api, cid, T0 + 400, "survey", ref="c1")
    rec1 = _recording(api, "c1", agent="agent")
    rec2 = _recording(api, "c2", agent="ann")
    _recording(api, "c4", agent="agent", state="recording")
    assert _recording_ids(api, cid, "admin") == {"c1": rec1, "c2": rec2, "c3": None, "c4": None}
    # a supervisor with no groups set sees every recording (the recordings slice's rule)
    assert _recording_ids(api, cid, "supervisor")["c2"] == rec2
    # this site does not let agents hear recordings (recordings.agents_hear_own = false)
    assert set(_recording_ids(api, cid, "agent").values()) == {None}
    # a supervisor whose group (queue) has no member: none of these agents' recordings
    api.ctx.recordings.set_scope("supervisor", ["nobody_here"])
    assert set(_recording_ids(api, cid, "supervisor").values()) == {None}
    api.ctx.recordings.members = lambda queues: {"ann"}
    assert _recording_ids(api, cid, "supervisor") == {"c1": None, "c2": rec2, "c3": None,
                                                      "c4": None}


def test_agents_hear_their_own_when_the_site_allows(api) -> None:  # type: ignore[no-untyped-def]
    cid = _customer(api)
    _line(api, cid, T0, ref="c1")
    _line(api, cid, T0 + 1, ref="c2")
    mine, _theirs = _recording(api, "c1", agent="agent"), _recording(api, "c2", agent="ann")
    api.ctx.recordings.settings = api.ctx.recordings.settings.model_copy(
        update={"agents_hear_own": True})
    assert _recording_ids(api, cid, "agent") == {"c1": mine, "c2": None}


def test_a_call_line_carries_its_survey_score(api) -> None:  # type: ignore[no-untyped-def]
    from kefu.bus import Event

    cid = _customer(api)
    _line(api, cid, T0, ref="c1", direction="inbound")
    _line(api, cid, T0 + 1, ref="c2", direction="inbound")
    for event in (Event("call.started", "c1", {"caller": "13800138000", "callee": "400"}, T0),
                  Event("ivr.survey", "c1", {"flow": "csat", "score": 5}, T0 + 60),
                  Event("call.ended", "c1", {"disposition": "answered"}, T0 + 61)):
        api.store.append_event(event)
    api.store.derive_cdr("c1")
    items = api.client.get(_url(cid), headers=api.as_("agent")).json()["items"]
    assert [(i["ref"], i["data"]) for i in items] == [
        ("c2", {"direction": "inbound"}),
        ("c1", {"direction": "inbound", "survey_score": 5})]
