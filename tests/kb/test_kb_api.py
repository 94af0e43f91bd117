"""The knowledge base over HTTP (SQLite): each role's permitted and refused routes, the
workflow end to end, diff, uploads (4xx, nothing written), the public router."""

from __future__ import annotations

from typing import Any

import pytest

from kbkit import PDF, PNG
from webkit import Api

KB = "/api/v1/kb"
PUBLIC = "/api/v1/public/kb"


def _call(api: Api, role: str | None, method: str, path: str, **kw: Any) -> Any:
    headers = api.as_(role) if role else {}
    return api.client.request(method, path, headers=headers, **kw)


def _ok(r: Any, code: int = 200) -> Any:
    assert r.status_code == code, r.text
    return r.json() if r.content else None


def _category(api: Api, name: str = "售后") -> int:
    return _ok(_call(api, "supervisor", "POST", f"{KB}/categories", json={"name": name}), 201)["id"]


def _published(api: Api, visibility: str = "internal") -> dict[str, Any]:
    cat = _category(api)
    a = _ok(_call(api, "agent", "POST", f"{KB}/articles", json={
        "category_id": cat, "title": "退货流程", "body": "第一步\n第二步", "keywords": ["退货"],
        "visibility": visibility, "submit": True}), 201)
    return _ok(_call(api, "supervisor", "POST", f"{KB}/articles/{a['id']}/versions/1/approve",
                     json={"comment": "可以"}))


def test_no_login_no_kb(kb_api: Api) -> None:
    for path in (f"{KB}/categories", f"{KB}/articles", f"{KB}/articles/1"):
        assert kb_api.client.get(path).status_code == 401


@pytest.mark.parametrize("role,code", [("admin", 201), ("supervisor", 201), ("agent", 403),
                                       ("qa", 403)])
def test_categories_by_role(kb_api: Api, role: str, code: int) -> None:
    r = _call(kb_api, role, "POST", f"{KB}/categories", json={"name": "产品"})
    assert r.status_code == code, r.text
    if code == 403:
        assert "approvers" in r.json()["detail"]
    assert _ok(_call(kb_api, role, "GET", f"{KB}/categories")) == (
        [] if code == 403 else [{"id": 1, "name": "产品", "parent_id": None, "position": 0,
                                 "articles": 0, "children": []}])


def test_category_rename_move_delete(kb_api: Api) -> None:
    top, sub = _category(kb_api, "产品"), _category(kb_api, "手机")
    _ok(_call(kb_api, "admin", "PATCH", f"{KB}/categories/{sub}",
              json={"name": "手机与平板", "parent_id": top}), 204)
    tree = _ok(_call(kb_api, "qa", "GET", f"{KB}/categories"))
    assert [(c["name"], [k["name"] for k in c["children"]]) for c in tree] == \
        [("产品", ["手机与平板"])]
    r = _call(kb_api, "admin", "PATCH", f"{KB}/categories/{top}", json={"parent_id": sub})
    assert r.status_code == 409 and "under itself" in r.json()["detail"]
    assert _call(kb_api, "admin", "DELETE", f"{KB}/categories/{top}").status_code == 409
    assert _call(kb_api, "agent", "DELETE", f"{KB}/categories/{sub}").status_code == 403
    _ok(_call(kb_api, "admin", "PATCH", f"{KB}/categories/{sub}", json={"parent_id": None}), 204)
    _ok(_call(kb_api, "admin", "DELETE", f"{KB}/categories/{top}"), 204)
    assert [c["name"] for c in _ok(_call(kb_api, "qa", "GET", f"{KB}/categories"))] == ["手机与平板"]
    assert _call(kb_api, "admin", "DELETE", f"{KB}/categories/{top}").status_code == 404


def test_workflow_by_role(kb_api: Api) -> None:
    cat = _category(kb_api)
    assert _call(kb_api, "qa", "POST", f"{KB}/articles",
                 json={"category_id": cat, "title": "x"}).status_code == 403
    a = _ok(_call(kb_api, "agent", "POST", f"{KB}/articles",
                  json={"category_id": cat, "title": "开票", "body": "电子发票"}), 201)
    aid = a["id"]
    assert (a["live"], a["working"]["state"]) == (None, "draft")
    assert _call(kb_api, "qa", "GET", f"{KB}/articles/{aid}").status_code == 404
    _ok(_call(kb_api, "agent", "POST", f"{KB}/articles/{aid}/submit"))
    for role in ("agent", "qa"):
        r = _call(kb_api, role, "POST", f"{KB}/articles/{aid}/versions/1/approve", json={})
        assert r.status_code == 403, r.text
    assert _call(kb_api, "supervisor", "POST", f"{KB}/articles/{aid}/versions/1/reject",
                 json={"comment": ""}).status_code == 422
    _ok(_call(kb_api, "supervisor", "POST", f"{KB}/articles/{aid}/versions/1/reject",
              json={"comment": "补充时限"}))
    a = _ok(_call(kb_api, "agent", "PATCH", f"{KB}/articles/{aid}",
                  json={"body": "电子发票，三日内", "submit": True}))
    assert (a["working"]["number"], a["working"]["state"]) == (2, "pending")
    pending = _ok(_call(kb_api, "admin", "GET", f"{KB}/articles", params={"view": "pending"}))
    assert [x["id"] for x in pending["items"]] == [aid]
    assert _call(kb_api, "qa", "GET", f"{KB}/articles",
                 params={"view": "pending"}).status_code == 403
    _ok(_call(kb_api, "admin", "POST", f"{KB}/articles/{aid}/versions/2/approve",
              json={"comment": "好"}))
    a = _ok(_call(kb_api, "qa", "GET", f"{KB}/articles/{aid}"))
    assert (a["live"]["number"], a["live"]["body"], a["working"]) == (2, "电子发票，三日内", None)
    assert _call(kb_api, "admin", "POST", f"{KB}/articles/{aid}/versions/2/approve",
                 json={}).status_code == 409
    audit = _ok(_call(kb_api, "supervisor", "GET", f"{KB}/articles/{aid}/audit"))
    assert [(e["actor"], e["action"], e["comment"]) for e in audit
            if e["action"] in ("approved", "rejected")] == \
        [("supervisor", "rejected", "补充时限"), ("admin", "approved", "好")]
    assert _call(kb_api, "qa", "GET", f"{KB}/articles/{aid}/audit").status_code == 403
    assert _call(kb_api, "agent", "POST", f"{KB}/articles/{aid}/unpublish",
                 json={}).status_code == 403
    _ok(_call(kb_api, "supervisor", "POST", f"{KB}/articles/{aid}/unpublish",
              json={"comment": "下线"}))
    assert _call(kb_api, "qa", "GET", f"{KB}/articles/{aid}").status_code == 404


def test_edit_of_a_published_article_keeps_it_live_and_diff(kb_api: Api) -> None:
    aid = _published(kb_api)["id"]
    a = _ok(_call(kb_api, "agent", "PATCH", f"{KB}/articles/{aid}",
                  json={"body": "第一步\n第三步", "submit": True}))
    assert (a["live"]["number"], a["working"]["number"]) == (1, 2)
    assert _ok(_call(kb_api, "qa", "GET", f"{KB}/articles/{aid}"))["live"]["body"] == \
        "第一步\n第二步"
    d = _ok(_call(kb_api, "agent", "GET", f"{KB}/articles/{aid}/diff",
                  params={"a": 1, "b": 2}))
    assert d["unified"].splitlines()[-2:] == ["-第二步", "+第三步"]
    side = _ok(_call(kb_api, "agent", "GET", f"{KB}/articles/{aid}/diff",
                     params={"a": 1, "b": 2, "mode": "side"}))
    assert [r for r in side["rows"] if r["op"] != "equal"] == \
        [{"op": "replace", "left": "第二步", "right": "第三步"}]
    assert _call(kb_api, "qa", "GET", f"{KB}/articles/{aid}/diff",
                 params={"a": 1, "b": 2}).status_code == 403
    assert _call(kb_api, "agent", "GET", f"{KB}/articles/{aid}/diff",
                 params={"a": 1, "b": 9}).status_code == 404
    vs = _ok(_call(kb_api, "agent", "GET", f"{KB}/articles/{aid}/versions"))
    assert [(v["number"], v["state"]) for v in vs] == [(1, "published"), (2, "pending")]


def test_bad_input_is_4xx_and_writes_nothing(kb_api: Api) -> None:
    cat = _category(kb_api)
    for body in ({"category_id": cat, "title": ""}, {"category_id": cat, "title": "t",
                                                     "visibility": "secret"},
                 {"category_id": cat, "title": "t", "keywords": [""]},
                 {"category_id": cat, "title": "t", "extra": 1},
                 {"category_id": cat, "title": "t", "review_date": "明天"}):
        assert _call(kb_api, "agent", "POST", f"{KB}/articles", json=body).status_code == 422
    assert _call(kb_api, "agent", "POST", f"{KB}/articles",
                 json={"category_id": 99, "title": "t"}).status_code == 404
    assert _ok(_call(kb_api, "agent", "GET", f"{KB}/articles", params={"view": "mine"})) == \
        {"items": [], "total": 0}


def test_uploads(kb_api: Api, tmp_path) -> None:  # type: ignore[no-untyped-def]
    a = _published(kb_api, visibility="public")
    url = f"{KB}/articles/{a['id']}/files"
    img = _ok(_call(kb_api, "agent", "POST", url, params={"kind": "image"},
                    files={"file": ("shot.png", PNG, "image/png")}), 201)
    doc = _ok(_call(kb_api, "agent", "POST", url,
                    files={"file": ("说明.pdf", PDF, "application/pdf")}), 201)
    assert (img["kind"], img["mime"], doc["kind"], doc["name"]) == \
        ("image", "image/png", "attachment", "说明.pdf")
    kb_dir = tmp_path / "kb"
    before = sorted(p.name for p in kb_dir.iterdir())
    big = PNG + b"\0" * (5 * 1024 * 1024)
    for role, params, file, code in [
            ("agent", {"kind": "image"}, ("a.png", big, "image/png"), 413),
            ("agent", {"kind": "image"}, ("a.png", PDF, "image/png"), 415),   # by content
            ("agent", {}, ("a.exe", b"MZ\x90\x00" + b"\0" * 60, "text/plain"), 415),
            ("agent", {"kind": "video"}, ("a.png", PNG, "image/png"), 422),
            ("qa", {"kind": "image"}, ("a.png", PNG, "image/png"), 403)]:
        r = _call(kb_api, role, "POST", url, params=params, files={"file": file})
        assert r.status_code == code, (file[0], r.text)
    assert sorted(p.name for p in kb_dir.iterdir()) == before
    assert len(_ok(_call(kb_api, "qa", "GET", f"{KB}/articles/{a['id']}"))["files"]) == 2
    r = _call(kb_api, "qa", "GET", f"{url}/{doc['id']}")
    assert (r.status_code, r.content, r.headers["content-type"]) == (200, PDF, "application/pdf")
    r = _call(kb_api, None, "GET", f"{PUBLIC}/articles/{a['id']}/files/{img['id']}")
    assert (r.status_code, r.content, r.headers["x-content-type-options"]) == (200, PNG, "nosniff")
    assert _call(kb_api, None, "GET",
                 f"{PUBLIC}/articles/{a['id']}/files/{doc['id']}").status_code == 404


def test_public_router(kb_api: Api) -> None:
    inside = _published(kb_api)
    cat = inside["category_id"]
    pub = _ok(_call(kb_api, "agent", "POST", f"{KB}/articles", json={
        "category_id": cat, "title": "营业时间", "body": "九点到六点", "visibility": "public",
        "submit": True}), 201)
    _ok(_call(kb_api, "admin", "POST", f"{KB}/articles/{pub['id']}/versions/1/approve", json={}))
    page = _ok(_call(kb_api, None, "GET", f"{PUBLIC}/articles"))
    assert (page["total"], [x["title"] for x in page["items"]]) == (1, ["营业时间"])
    assert set(page["items"][0]) == {"id", "category_id", "title", "body", "keywords",
                                     "published_at", "images"}
    assert _call(kb_api, None, "GET", f"{PUBLIC}/articles/{inside['id']}").status_code == 404
    assert [x["id"] for x in _ok(_call(kb_api, None, "GET", f"{PUBLIC}/search",
                                       params={"q": "营业"}))] == [pub["id"]]
    assert _ok(_call(kb_api, None, "GET", f"{PUBLIC}/search", params={"q": "退货"})) == []
    assert [x["id"] for x in _ok(_call(kb_api, "agent", "GET", f"{KB}/search",
                                       params={"q": "退货"}))] == [inside["id"]]
    assert [c["articles"] for c in _ok(_call(kb_api, None, "GET", f"{PUBLIC}/categories"))] == [1]
    assert [c["articles"] for c in _ok(_call(kb_api, "qa", "GET", f"{KB}/categories"))] == [2]


def test_off_is_503(api: Api) -> None:
    r = api.client.get(f"{PUBLIC}/articles")
    assert r.status_code == 503 and "knowledge base" in r.json()["detail"]
