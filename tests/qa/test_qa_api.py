"""The QA API over SQLite: every route checks the role; an agent reads only their own
evaluations past draft; bad input is a 4xx naming the criterion, nothing half-written."""

from __future__ import annotations

import pytest

from qakit import GOOD, card, recording
from webkit import Api


@pytest.fixture
def rec_id(api: Api) -> int:
    assert api.ctx.recordings is not None
    return api.ctx.recordings.save(recording("c1", agent="agent")).id


def test_every_route_checks_the_role(api: Api, rec_id: int) -> None:
    c = api.client
    sc = c.post("/api/v1/qa/scorecards", json=card(), headers=api.as_("qa")).json()
    ev = c.post("/api/v1/qa/evaluations", json={"recording_id": rec_id,
                                                "scorecard_id": sc["id"]},
                headers=api.as_("qa")).json()
    inspector_only = [
        ("GET", "/qa/scorecards", None), ("POST", "/qa/scorecards", card()),
        ("GET", f"/qa/scorecards/{sc['id']}/versions", None),
        ("POST", "/qa/sample", {"per_agent": 1}),
        ("POST", "/qa/evaluations", {"recording_id": rec_id, "scorecard_id": sc["id"]}),
        ("PUT", f"/qa/evaluations/{ev['id']}/answers", {"answers": {}}),
        ("POST", f"/qa/evaluations/{ev['id']}/comments", {"at": 1, "text": "x"}),
        ("POST", f"/qa/evaluations/{ev['id']}/submit", {}),
        ("POST", f"/qa/evaluations/{ev['id']}/revise", {"answers": GOOD}),
        ("POST", f"/qa/evaluations/{ev['id']}/uphold", {}),
        ("GET", "/qa/summary", None),
        ("POST", "/qa/examples", {"recording_id": rec_id, "kind": "good"}),
        ("DELETE", f"/qa/examples/{rec_id}", None),
    ]
    agent_only = [("POST", f"/qa/evaluations/{ev['id']}/acknowledge", None),
                  ("POST", f"/qa/evaluations/{ev['id']}/dispute", {"reason": "x"})]
    everyone = [("GET", "/qa/evaluations", None), ("GET", f"/qa/evaluations/{ev['id']}", None),
                ("GET", f"/qa/scorecards/{sc['id']}", None), ("GET", "/qa/examples", None)]
    for method, path, body in inspector_only + agent_only + everyone:
        assert c.request(method, "/api/v1" + path, json=body).status_code == 401, path
    for method, path, body in inspector_only:
        r = c.request(method, "/api/v1" + path, json=body, headers=api.as_("agent"))
        assert r.status_code == 403, (path, r.text)
    for method, path, body in agent_only:
        for role in ("qa", "supervisor", "admin"):
            r = c.request(method, "/api/v1" + path, json=body, headers=api.as_(role))
            assert r.status_code == 403, (path, role)
    for role in ("qa", "supervisor", "admin"):
        for method, path, body in everyone:
            assert c.request(method, "/api/v1" + path, headers=api.as_(role)).status_code == 200


def test_score_dispute_and_revise_through_the_api(api: Api, rec_id: int) -> None:
    c, qa, agent = api.client, api.as_("qa"), api.as_("agent")
    sc = c.post("/api/v1/qa/scorecards", json=card(), headers=qa).json()
    assert [s["title"] for s in sc["sections"]] == ["开场", "服务"]
    ev = c.post("/api/v1/qa/evaluations", json={"recording_id": rec_id,
                                                "scorecard_id": sc["id"]}, headers=qa).json()
    assert ev["state"] == "draft" and ev["agent"] == "agent"
    # the agent sees no draft
    assert c.get("/api/v1/qa/evaluations", headers=agent).json() == []
    assert c.get(f"/api/v1/qa/evaluations/{ev['id']}", headers=agent).status_code == 404
    bad = c.put(f"/api/v1/qa/evaluations/{ev['id']}/answers",
                json={"answers": {"courtesy": 9}}, headers=qa)
    assert bad.status_code == 422 and "criterion `courtesy`" in bad.json()["detail"][0]["msg"]
    r = c.post(f"/api/v1/qa/evaluations/{ev['id']}/comments",
               json={"at": 42.5, "text": "语速过快"}, headers=qa)
    assert r.status_code == 201
    assert c.post(f"/api/v1/qa/evaluations/{ev['id']}/comments",
                  json={"at": -1, "text": "x"}, headers=qa).status_code == 422
    incomplete = c.post(f"/api/v1/qa/evaluations/{ev['id']}/submit",
                        json={"answers": {"greeting": True}}, headers=qa)
    assert incomplete.status_code == 422 and "`identity`: not answered" in incomplete.text
    done = c.post(f"/api/v1/qa/evaluations/{ev['id']}/submit",
                  json={"answers": {**GOOD, "solved": 5}}, headers=qa).json()
    assert (done["state"], done["score"]) == ("submitted", 80.0)
    got = c.get(f"/api/v1/recordings/{rec_id}", headers=qa).json()
    assert got["qa_score"] == 80.0
    assert c.get("/api/v1/recordings?min_score=70", headers=qa).status_code == 200
    # the agent sees the score and the comment, disputes; the inspector revises
    mine = c.get("/api/v1/qa/evaluations", headers=agent).json()
    assert [(e["score"], [x["text"] for x in e["comments"]]) for e in mine] == [
        (80.0, ["语速过快"])]
    assert c.post(f"/api/v1/qa/evaluations/{ev['id']}/dispute", json={"reason": ""},
                  headers=agent).status_code == 422
    assert c.post(f"/api/v1/qa/evaluations/{ev['id']}/dispute", json={"reason": "已解决"},
                  headers=agent).json()["state"] == "disputed"
    assert c.post(f"/api/v1/qa/evaluations/{ev['id']}/acknowledge",
                  headers=agent).status_code == 409
    revised = c.post(f"/api/v1/qa/evaluations/{ev['id']}/revise",
                     json={"answers": GOOD, "note": "复听后更正"}, headers=qa).json()
    assert (revised["state"], revised["score"]) == ("revised", 100.0)
    assert c.get(f"/api/v1/qa/evaluations?state=disputed", headers=qa).json() == []
    acked = c.post(f"/api/v1/qa/evaluations/{ev['id']}/acknowledge", headers=agent).json()
    assert acked["state"] == "acknowledged"
    assert [h["action"] for h in acked["history"]] == [
        "create", "submit", "dispute", "revise", "acknowledge"]
    # examples, summary and sample
    ex = c.post("/api/v1/qa/examples", json={"recording_id": rec_id, "kind": "good",
                                             "note": "标准开场"}, headers=qa)
    assert ex.status_code == 200 and ex.json()["score"] == 100.0
    assert [e["note"] for e in c.get("/api/v1/qa/examples?kind=good", headers=agent).json()] \
        == ["标准开场"]
    assert c.get(f"/api/v1/recordings/{rec_id}", headers=qa).json()["tags"] == ["good_example"]
    summary = c.get("/api/v1/qa/summary", headers=api.as_("supervisor")).json()
    assert [(f["key"], f["mean"]) for f in summary["by_agent"]] == [("agent", 100.0)]
    assert {f["key"]: f["label"] for f in summary["by_criterion"]}["greeting"] == "标准问候语"
    sample = c.post("/api/v1/qa/sample", json={"per_agent": 2, "week_of": 1_000_000.0},
                    headers=qa).json()
    assert sample == [{"agent": "agent", "recordings": []}]   # its one call is evaluated


def test_bad_templates_are_refused_naming_the_criterion(api: Api) -> None:
    c, qa = api.client, api.as_("qa")
    bad = card(sections=[{"title": "a", "criteria": [{"key": "tone", "weight": 500}]}])
    r = c.post("/api/v1/qa/scorecards", json=bad, headers=qa)
    assert r.status_code == 422
    assert r.json()["detail"][0]["msg"] == "criterion `tone`: weight must be a number from 0 to 100"
    assert c.get("/api/v1/qa/scorecards", headers=qa).json() == []
    yaml_text = ("name: 短表\nsections:\n- title: 开场\n  criteria:\n"
                 "  - {key: greeting, label: 问候, weight: 1, kind: yes_no}\n")
    broken = c.post("/api/v1/qa/scorecards", content=yaml_text.replace("  - {", "  - {{"),
                    headers={**qa, "Content-Type": "text/yaml"})
    assert broken.status_code == 422 and "at line" in broken.json()["detail"][0]["msg"]
    ok = c.post("/api/v1/qa/scorecards", content=yaml_text.encode(),
                headers={**qa, "Content-Type": "text/yaml; charset=utf-8"})
    assert ok.status_code == 200 and ok.json()["sections"][0]["criteria"][0]["label"] == "问候"
    assert c.post("/api/v1/qa/scorecards", content=b"x", headers={
        **qa, "Content-Type": "application/octet-stream"}).status_code == 415
    assert c.get("/api/v1/qa/scorecards/99", headers=qa).status_code == 404
    assert c.post("/api/v1/qa/evaluations", json={"recording_id": 99, "scorecard_id": 1},
                  headers=qa).status_code == 404
    assert c.post("/api/v1/qa/sample", json={"per_agent": 0}, headers=qa).status_code == 422


def test_an_inspector_scores_and_samples_only_their_groups(api: Api, rec_id: int) -> None:
    """The recordings' access rule holds in QA too: an inspector whose groups leave an
    agent out can neither score nor sample that agent's calls."""
    recs = api.ctx.recordings
    assert recs is not None
    other = recs.save(recording("c2", agent="bob")).id
    members = {"sales": {"agent"}, "support": {"bob"}}
    recs.members = lambda queues: set().union(*(members.get(q, set()) for q in queues))
    c, qa = api.client, api.as_("qa")
    assert c.put("/api/v1/recordings/scopes/qa", json={"queues": ["sales"]},
                 headers=api.as_("admin")).status_code == 200
    sc = c.post("/api/v1/qa/scorecards", json=card(), headers=qa).json()
    r = c.post("/api/v1/qa/evaluations", json={"recording_id": other, "scorecard_id": sc["id"]},
               headers=qa)
    assert r.status_code == 403 and "groups" in r.json()["detail"]
    assert c.post("/api/v1/qa/evaluations", json={"recording_id": rec_id,
                                                  "scorecard_id": sc["id"]},
                  headers=qa).status_code == 201
    r = c.post("/api/v1/qa/sample", json={"per_agent": 5, "week_of": 0}, headers=qa)
    assert r.status_code == 200 and {s["agent"] for s in r.json()} <= {"agent"}
    r = c.post("/api/v1/qa/sample", json={"per_agent": 5, "agents": ["bob"]}, headers=qa)
    assert r.status_code == 200 and r.json() == []
