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


def test_agent_refused_every_call(calls) -> None:  # type: ignore[no-untyped-def]
    """An agent lists no CDRs but its own or one number's."""
    r = calls.client.get("/api/v1/calls", headers=calls.as_("agent"))
    assert r.status_code == 403 and "agent=me" in r.json()["detail"]
    r = calls.client.get("/api/v1/calls", params={"agent": "supervisor"}, headers=calls.as_("agent"))
    assert r.status_code == 403


def _agent_calls(api):  # type: ignore[no-untyped-def]
    """Besides the six: call-q taken by the user "agent" from a queue, call-x by another
    agent, call-out placed on 1005 (bound to "agent"), each with a recording."""
    api.store.create_extension("1005", "secret-pass-1", "Agent desk", "kefu")
    api.users.set_user_extensions("agent", ["1005"])
    for cid, caller, callee, who, start in [("call-q", "13800138000", "8000", "agent", T0 + 7 * 3600),
                                            ("call-x", "13800138000", "8000", "qa", T0 + 8 * 3600),
                                            ("call-out", "1005", "13900139000", None, T0 + 9 * 3600)]:
        api.store.append_event(Event("call.started", cid, {"caller": caller, "callee": callee,
                                                           "caller_name": ""}, ts=start))
        if who:
            api.store.append_event(Event("queue.connect", cid, {
                "queue": "sales", "agent": who, "extension": "1009", "caller": caller,
                "wait": 3.0, "position": 1}, ts=start + 3))
        api.store.append_event(Event("call.answered", cid, {}, ts=start + 4))
        api.store.append_event(Event("call.recording_started", cid, {"path": f"/rec/{cid}.wav"},
                                     ts=start + 4))
        api.store.append_event(Event("call.ended", cid, {"disposition": "answered",
                                                         "hangup_by": "caller", "sip_code": 200},
                                     ts=start + 64))
        api.store.derive_cdr(cid)
    return api


def test_agent_sees_its_own_calls(calls) -> None:  # type: ignore[no-untyped-def]
    api = _agent_calls(calls)
    r = api.client.get("/api/v1/calls", params={"agent": "me", "limit": 10}, headers=api.as_("agent"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert [c["call_id"] for c in body["items"]] == ["call-out", "call-q"] and body["total"] == 2
    assert all(c["recording_path"] is None for c in body["items"])     # no server paths
    # its own username is "me" too; a supervisor asks for any agent's, with the paths
    own = api.client.get("/api/v1/calls", params={"agent": "agent"}, headers=api.as_("agent"))
    assert [c["call_id"] for c in own.json()["items"]] == ["call-out", "call-q"]
    sup = api.client.get("/api/v1/calls", params={"agent": "qa"}, headers=api.as_("supervisor"))
    assert [c["call_id"] for c in sup.json()["items"]] == ["call-x"]
    sup = api.client.get("/api/v1/calls", params={"agent": "agent"}, headers=api.as_("supervisor"))
    assert sup.json()["items"][0]["recording_path"] == "/rec/call-out.wav"
    # with the other filters
    r = api.client.get("/api/v1/calls", params={"agent": "me", "number": "13800138000"},
                       headers=api.as_("agent"))
    assert [c["call_id"] for c in r.json()["items"]] == ["call-q"]
    mine = api.client.get("/api/v1/calls", params={"agent": "me"}, headers=api.as_("supervisor"))
    assert mine.json()["total"] == 0                   # the supervisor took none


def test_agent_sees_a_numbers_calls(calls) -> None:  # type: ignore[no-untyped-def]
    """The screen pop of a caller who is no customer: every agent's calls with that number."""
    api = _agent_calls(calls)
    r = api.client.get("/api/v1/calls", params={"number": "13800138000"}, headers=api.as_("agent"))
    assert r.status_code == 200, r.text
    assert [c["call_id"] for c in r.json()["items"]] == ["call-x", "call-q"]
    assert all(c["recording_path"] is None for c in r.json()["items"])


def test_unknown_agent(calls) -> None:  # type: ignore[no-untyped-def]
    r = calls.client.get("/api/v1/calls", params={"agent": "nobody"}, headers=calls.as_("admin"))
    assert r.status_code == 404 and "nobody" in r.json()["detail"]


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
    {"until": "2026-13-01"}, {"since": "nan"}, {"agent": "x" * 65},
])
def test_bad_parameters(calls, params: dict) -> None:  # type: ignore[no-untyped-def]
    r = calls.client.get("/api/v1/calls", params=params, headers=calls.as_("admin"))
    assert r.status_code == 422
