"""GET /calls: roles, filters (ISO 8601 and epoch), pagination, bad parameters."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from kefu.bus import Event

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc).timestamp()


@pytest.fixture
def calls(api):  # type: ignore[no-untyped-def]
    """Six finished calls an hour apart; 1001 is in the even ones."""
    for i in range(6):
        cid, start = f"call-{i}", T0 + i * 3600
        caller = "1001" if i % 2 == 0 else "1003"
        api.store.append_event(Event("call.started", cid,
                                     {"caller": caller, "callee": "1002", "caller_name": ""},
                                     ts=start))
        api.store.append_event(Event("call.answered", cid, {}, ts=start + 1))
        api.store.append_event(Event("call.ended", cid, {"disposition": "answered",
                                                         "hangup_by": "caller", "sip_code": 200},
                                     ts=start + 61))
        api.store.derive_cdr(cid)
    return api


@pytest.mark.parametrize("role", ["admin", "supervisor", "qa"])
def test_allowed_roles(calls, role: str) -> None:  # type: ignore[no-untyped-def]
    r = calls.client.get("/api/v1/calls", headers=calls.as_(role))
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 6 and body["limit"] == 50 and body["offset"] == 0
    assert [c["call_id"] for c in body["items"]] == [f"call-{i}" for i in range(5, -1, -1)]
    first = body["items"][-1]
    assert first["duration"] == 60.0 and first["disposition"] == "answered"
    assert first["start_ts"] == T0 and first["answer_ts"] == T0 + 1


def test_agent_refused(calls) -> None:  # type: ignore[no-untyped-def]
    r = calls.client.get("/api/v1/calls", headers=calls.as_("agent"))
    assert r.status_code == 403


def _ids(api, **params) -> tuple[list[str], int]:  # type: ignore[no-untyped-def]
    r = api.client.get("/api/v1/calls", params=params, headers=api.as_("supervisor"))
    assert r.status_code == 200, r.text
    return [c["call_id"] for c in r.json()["items"]], r.json()["total"]


def test_filter_by_number(calls) -> None:  # type: ignore[no-untyped-def]
    assert _ids(calls, number="1001") == (["call-4", "call-2", "call-0"], 3)
    assert _ids(calls, number="1002")[1] == 6
    assert _ids(calls, number="9999") == ([], 0)


def test_filter_by_time_iso_and_epoch(calls) -> None:  # type: ignore[no-untyped-def]
    expect = (["call-3", "call-2"], 2)
    assert _ids(calls, since="2026-03-01T14:00:00Z", until="2026-03-01T16:00:00+00:00") == expect
    assert _ids(calls, since="2026-03-01T22:00:00+08:00", until="2026-03-01T16:00:00") == expect
    assert _ids(calls, since=str(T0 + 2 * 3600), until=str(T0 + 4 * 3600)) == expect
    assert _ids(calls, number="1001", since=str(T0 + 1)) == (["call-4", "call-2"], 2)


def test_pagination(calls) -> None:  # type: ignore[no-untyped-def]
    r = calls.client.get("/api/v1/calls", params={"limit": 2, "offset": 2},
                         headers=calls.as_("admin"))
    body = r.json()
    assert [c["call_id"] for c in body["items"]] == ["call-3", "call-2"]
    assert (body["total"], body["limit"], body["offset"]) == (6, 2, 2)
    assert _ids(calls, limit=500, offset=6) == ([], 6)


@pytest.mark.parametrize("params", [
    {"limit": 0}, {"limit": 501}, {"offset": -1}, {"limit": "x"}, {"since": "yesterday"},
    {"until": "2026-13-01"}, {"since": "nan"},
])
def test_bad_parameters(calls, params: dict) -> None:  # type: ignore[no-untyped-def]
    r = calls.client.get("/api/v1/calls", params=params, headers=calls.as_("admin"))
    assert r.status_code == 422
