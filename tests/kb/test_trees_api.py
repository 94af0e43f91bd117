"""Question trees over HTTP (SQLite): the role check on every route, a 422 listing the
problems with their nodes, a walk with a back step saved to the call's note."""

from __future__ import annotations

from typing import Any

import pytest

from kefu.kb.guides import Guides
from webkit import Api

KB = "/api/v1/kb"


@pytest.fixture
def trees_api(kb_api: Api) -> Api:
    assert kb_api.ctx.kb is not None
    kb_api.ctx.kb_trees = Guides(kb_api.store.db, kb_api.ctx.kb, kb_api.ctx.crm)
    return kb_api


def _call(api: Api, role: str | None, method: str, path: str, **kw: Any) -> Any:
    return api.client.request(method, path, headers=api.as_(role) if role else {}, **kw)


def _ok(r: Any, code: int = 200) -> Any:
    assert r.status_code == code, r.text
    return r.json() if r.content else None


def _tree(api: Api) -> dict[str, Any]:
    cat = _ok(_call(api, "supervisor", "POST", f"{KB}/categories", json={"name": "售后"}), 201)
    a = _ok(_call(api, "agent", "POST", f"{KB}/articles", json={
        "category_id": cat["id"], "title": "七天无理由退货", "body": "…", "keywords": [],
        "visibility": "internal", "submit": True}), 201)
    _ok(_call(api, "supervisor", "POST", f"{KB}/articles/{a['id']}/versions/1/approve",
              json={"comment": ""}))
    shape = {"nodes": [{"id": "q1", "kind": "question", "text": "签收了吗?"},
                       {"id": "q2", "kind": "question", "text": "超过7天了吗?"},
                       {"id": "s1", "kind": "solution", "article_id": a["id"]}],
             "edges": [{"source": "q1", "target": "q2", "label": "是"},
                       {"source": "q1", "target": "s1", "label": "否"},
                       {"source": "q2", "target": "s1", "label": "否"},
                       {"source": "q2", "target": "s1", "label": "是"}]}
    return {"category_id": cat["id"], "title": "退货", "enabled": True, "shape": shape,
            "article": a["id"]}


def test_every_route_checks_the_role(trees_api: Api) -> None:
    api = trees_api
    body = _tree(api)
    article = body.pop("article")
    for role in ("agent", "qa"):
        r = _call(api, role, "POST", f"{KB}/trees", json=body)
        assert r.status_code == 403 and "approvers" in r.json()["detail"]
        assert _call(api, role, "POST", f"{KB}/trees/check", json=body["shape"]).status_code == 403
    t = _ok(_call(api, "supervisor", "POST", f"{KB}/trees", json=body), 201)
    for role in ("agent", "qa"):
        assert _call(api, role, "PATCH", f"{KB}/trees/{t['id']}",
                     json={"title": "x"}).status_code == 403
        assert _call(api, role, "DELETE", f"{KB}/trees/{t['id']}").status_code == 403
        assert [x["id"] for x in _ok(_call(api, role, "GET", f"{KB}/trees"))] == [t["id"]]
        got = _ok(_call(api, role, "GET", f"{KB}/trees/{t['id']}"))["shape"]
        assert got["edges"] == body["shape"]["edges"]
        assert [(n["id"], n["article_id"]) for n in got["nodes"]] == [
            ("q1", None), ("q2", None), ("s1", article)]
    start = {"tree_id": t["id"], "call_id": "c1", "number": "13800138000"}
    assert _call(api, "qa", "POST", f"{KB}/walks", json=start).status_code == 403
    walk = _ok(_call(api, "agent", "POST", f"{KB}/walks", json=start), 201)
    for verb, kw in (("answer", {"json": {"node": "q1", "answer": "否"}}), ("back", {}),
                     ("finish", {}), ("abandon", {})):
        assert _call(api, "qa", "POST", f"{KB}/walks/{walk['id']}/{verb}", **kw).status_code == 403
        # another agent's walk: refused by the service
        assert _call(api, "supervisor", "POST", f"{KB}/walks/{walk['id']}/{verb}",
                     **kw).status_code == 403
    assert _call(api, "qa", "GET", f"{KB}/walks/{walk['id']}").status_code == 403
    assert _call(api, "qa", "GET", f"{KB}/walks", params={"call_id": "c1"}).status_code == 403
    for path in (f"{KB}/trees", f"{KB}/trees/{t['id']}", f"{KB}/walks/{walk['id']}"):
        assert _call(api, None, "GET", path).status_code == 401
    _ok(_call(api, "admin", "DELETE", f"{KB}/trees/{t['id']}"), 204)


def test_an_unsound_tree_is_a_422_naming_each_node(trees_api: Api) -> None:
    api = trees_api
    body = _tree(api)
    body.pop("article")
    body["shape"]["edges"][0]["target"] = "q1"               # q1 → q1: a loop, q2 a root
    body["shape"]["nodes"].append({"id": "s9", "kind": "solution", "article_id": 999})
    r = _call(api, "admin", "POST", f"{KB}/trees", json=body)
    assert r.status_code == 422
    # q1 → q1 leaves q2 and s9 with nothing leading to them: q2 the root, s9 a second one
    assert [(d["node"], d["msg"]) for d in r.json()["detail"]] == [
        ("s9", "a second root: no answer leads here"), ("q1", "a loop: q1 → q1"),
        ("s9", "article 999 does not exist or is not published")]
    assert _ok(_call(api, "admin", "GET", f"{KB}/trees")) == []


def test_a_walk_over_http_saves_the_path_to_the_calls_note(trees_api: Api) -> None:
    api = trees_api
    body = _tree(api)
    article = body.pop("article")
    t = _ok(_call(api, "admin", "POST", f"{KB}/trees", json=body), 201)
    w = _ok(_call(api, "agent", "POST", f"{KB}/walks",
                  json={"tree_id": t["id"], "call_id": "c7", "number": "13800138000"}), 201)
    url = f"{KB}/walks/{w['id']}"
    _ok(_call(api, "agent", "POST", f"{url}/answer", json={"node": "q1", "answer": "是"}))
    _ok(_call(api, "agent", "POST", f"{url}/back"))
    _ok(_call(api, "agent", "POST", f"{url}/answer", json={"node": "q1", "answer": "否"}))
    r = _call(api, "agent", "POST", f"{url}/answer", json={"node": "q1", "answer": "否"})
    assert r.status_code == 409 and "not q1" in r.json()["detail"]
    done = _ok(_call(api, "agent", "POST", f"{url}/finish",
                     json={"type": "complaint", "result": "follow_up"}))
    text = f"问题推测「退货」\n1. 签收了吗? → 否\n解决方案: 七天无理由退货 (#{article})"
    assert (done["state"], done["notes"], done["at"]["id"]) == ("finished", text, "s1")
    customer = api.ctx.crm.find_customer_by_number("13800138000")
    assert customer is not None
    assert [(n.call_id, n.notes, n.type, n.result)
            for n in api.ctx.crm.contact_history(customer.id)] == [
        ("c7", text, "complaint", "follow_up")]


def test_check_lists_problems_without_saving(trees_api: Api) -> None:
    api = trees_api
    body = _tree(api)
    body.pop("article")
    assert _ok(_call(api, "supervisor", "POST", f"{KB}/trees/check", json=body["shape"])) == []
    body["shape"]["edges"] = body["shape"]["edges"][:2]            # q2 left without answers
    assert _ok(_call(api, "supervisor", "POST", f"{KB}/trees/check", json=body["shape"])) == [
        {"node": "q2", "message": "a dead end: a question with no answers"}]
    assert _ok(_call(api, "admin", "GET", f"{KB}/trees")) == []
    assert _call(api, "admin", "GET", f"{KB}/trees/5").status_code == 404
    assert _call(api, "agent", "GET", f"{KB}/walks/5").status_code == 404
