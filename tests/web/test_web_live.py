"""The call-control API's names, status codes and errors, in process: the routes over a
real CallControl whose switch is the recording stand-in of tests/fake_switch.py."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from fake_switch import FakeSwitch, a_call

from kefu.calls.control import CallControl


@pytest.fixture
def live(api):  # type: ignore[no-untyped-def]
    switch = FakeSwitch({"1003": "free", "1004": "busy"})
    api.ctx.control = CallControl(switch)   # type: ignore[arg-type]
    api.ctx.acd = SimpleNamespace(agents={}, resolve_target=lambda t, a=None, q=None: t)
    call = a_call(switch)
    return api, switch, call


def test_by_names_the_acting_party_and_number_still_works_for_one_release(live):
    api, switch, call = live
    path = f"/api/v1/live-calls/{call.id}"
    r = api.client.post(f"{path}/hold", json={"by": "1002"}, headers=api.as_("supervisor"))
    assert r.status_code == 204, r.text
    r = api.client.post(f"{path}/resume", json={"by": "1001"}, headers=api.as_("supervisor"))
    assert r.status_code == 409 and "held by 1002" in r.json()["detail"]
    r = api.client.post(f"{path}/resume", json={"number": "1002"},       # deprecated name
                        headers=api.as_("supervisor"))
    assert r.status_code == 204, r.text
    r = api.client.post(f"{path}/hold", json={"by": "1001", "number": "1002"},
                        headers=api.as_("supervisor"))
    assert r.status_code == 422                                          # they disagree


def test_transfer_to_no_such_number_is_404_and_to_a_busy_one_409_with_the_call_untouched(live):
    api, switch, call = live
    path = f"/api/v1/live-calls/{call.id}/transfer"
    for target, code in (("9999", 404), ("1004", 409)):
        r = api.client.post(path, json={"by": "1002", "target": target},
                            headers=api.as_("supervisor"))
        assert r.status_code == code, r.text
    assert [m.number for m in call.room.members] == ["1001", "1002"] and not switch.dismissed
    r = api.client.post(path, json={"by": "1002", "target": "1003"}, headers=api.as_("supervisor"))
    assert r.status_code == 202, r.text                                  # started: 1003 rings
    assert switch.reached == ["1003"] and switch.dismissed == ["1002"]


def test_parties_takes_party_and_the_old_number(live):
    api, switch, call = live
    path = f"/api/v1/live-calls/{call.id}/parties"
    assert api.client.post(path, json={"party": "1003"},
                           headers=api.as_("supervisor")).status_code == 202
    assert api.client.post(path, json={"number": "1003"},
                           headers=api.as_("supervisor")).status_code == 202
    assert api.client.post(path, json={}, headers=api.as_("supervisor")).status_code == 422
    assert api.client.post(path, json={"party": "9999"},
                           headers=api.as_("supervisor")).status_code == 404
    assert switch.reached == ["1003", "1003"]


def test_monitor_by_user_finds_their_line_and_says_when_they_have_none(live):
    api, switch, call = live
    path = f"/api/v1/live-calls/{call.id}/monitor"
    r = api.client.post(path, json={"mode": "listen"}, headers=api.as_("supervisor"))
    assert r.status_code == 409 and "supervisor has no softphone line" in r.json()["detail"]
    assert api.client.post(path, json={"supervisor": "nobody"},
                           headers=api.as_("supervisor")).status_code == 404
    api.ctx.control.line_owners["1004"] = "supervisor"
    switch.lines["1004"] = object()
    switch.reachable["1004"] = "free"
    r = api.client.post(path, json={"mode": "barge"}, headers=api.as_("supervisor"))
    assert r.status_code == 202, r.text
    r = api.client.post(path, json={"supervisor": "1005"}, headers=api.as_("admin"))
    assert r.status_code == 404 and "1005" in r.json()["detail"]   # an extension: routed
    assert switch.reached == ["1004"]


def test_rooms_are_for_supervisors(live):
    api, _, _ = live
    assert api.client.get("/api/v1/rooms", headers=api.as_("supervisor")).json() == []
    assert api.client.get("/api/v1/rooms/100", headers=api.as_("admin")).status_code == 404
    assert api.client.get("/api/v1/rooms", headers=api.as_("agent")).status_code == 403


def test_openapi_marks_the_old_names_deprecated(api):
    schemas = api.client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    for model, new in (("ByIn", "by"), ("PartyIn", "party"), ("TransferIn", "by"),
                       ("DtmfIn", "by"), ("ConsultIn", "by")):
        props = schemas[model]["properties"]
        old = props["number"]
        assert old["deprecated"] is True and f"`{new}`" in old["description"]
        assert "deprecated" not in props[new]


def test_an_agent_that_transferred_the_call_away_no_longer_sees_or_acts_on_it(live):
    api, switch, call = live
    api.ctx.acd.agents["agent"] = SimpleNamespace(logged_in=True, extension="1002")
    path = f"/api/v1/live-calls/{call.id}"
    assert api.client.get(path, headers=api.as_("agent")).status_code == 200
    r = api.client.post(f"{path}/transfer", json={"target": "1003"}, headers=api.as_("agent"))
    assert r.status_code == 202, r.text                    # by: itself
    assert api.client.get(path, headers=api.as_("agent")).status_code == 403
    assert api.client.get("/api/v1/live-calls", headers=api.as_("agent")).json() == []
    assert api.client.get("/api/v1/live-calls", headers=api.as_("supervisor")).json()


def test_recording_on_demand_for_the_agent_on_the_call_supervisors_and_admins(live):
    api, switch, call = live
    path = f"/api/v1/live-calls/{call.id}/recording"

    def post(action: str, role: str = "supervisor"):  # type: ignore[no-untyped-def]
        return api.client.post(path, json={"action": action}, headers=api.as_(role))

    r = post("pause")
    assert r.status_code == 409 and "not being recorded" in r.json()["detail"]
    assert post("start").status_code == 204 and call.segment is not None
    r = post("start", "admin")
    assert r.status_code == 409 and "already being recorded" in r.json()["detail"]
    assert post("rewind").status_code == 422
    assert post("pause", "qa").status_code == 403                 # the inspector: no
    assert post("pause", "agent").status_code == 403              # not logged in as an agent
    api.ctx.acd.agents["agent"] = SimpleNamespace(logged_in=True, extension="1005")
    r = post("pause", "agent")
    assert r.status_code == 403 and "own calls" in r.json()["detail"]
    api.ctx.acd.agents["agent"] = SimpleNamespace(logged_in=True, extension="1002")
    assert post("pause", "agent").status_code == 204 and call.segment.is_paused
    live_call = api.client.get(f"/api/v1/live-calls/{call.id}", headers=api.as_("agent")).json()
    assert live_call["recording"] == "paused"
    assert post("resume", "agent").status_code == 204 and not call.segment.is_paused
    assert post("stop", "agent").status_code == 204 and call.segment is None
    r = api.client.post("/api/v1/live-calls/nope/recording", json={"action": "stop"},
                        headers=api.as_("admin"))
    assert r.status_code == 404


def test_monitor_switches_mode_in_place_and_stop_leaves_the_call_as_it_was(live):
    api, switch, call = live
    path = f"/api/v1/live-calls/{call.id}/monitor"
    session, line = switch.line_up("1004")
    api.ctx.control.line_owners["1004"] = "supervisor"
    for mode in ("listen", "whisper", "barge"):
        body = {"mode": mode, **({"target": "1002"} if mode == "whisper" else {})}
        r = api.client.post(path, json=body, headers=api.as_("supervisor"))
        assert r.status_code == 202, r.text
        assert r.json() == {"call_id": call.id, "supervisor": "1004", "mode": mode}
        assert call.room.find("1004") is line and line.mode.value == mode
    assert switch.reached == []                                  # one leg all along
    assert api.client.delete(path, headers=api.as_("agent")).status_code == 403
    assert api.client.delete(path, headers=api.as_("supervisor")).status_code == 204
    assert [m.number for m in call.room.members] == ["1001", "1002"] and not call.ended
    assert line in session.room.members                          # back to its session
    r = api.client.delete(path, headers=api.as_("supervisor"))
    assert r.status_code == 404 and "1004 does not supervise" in r.json()["detail"]
    r = api.client.delete("/api/v1/live-calls/nope/monitor", headers=api.as_("supervisor"))
    assert r.status_code == 404 and "no live call" in r.json()["detail"]
    r = api.client.post(path, json={"supervisor": "1002"}, headers=api.as_("admin"))
    assert r.status_code == 409 and "a party" in r.json()["detail"]   # not the agent
    # named, as the wallboard's "monitor with: desk phone 1004" does
    assert api.client.post(path, json={"supervisor": "1004"},
                           headers=api.as_("admin")).status_code == 202
    assert api.client.delete(f"{path}?supervisor=1004",
                             headers=api.as_("admin")).status_code == 204
    assert call.room.find("1004") is None and line in session.room.members
