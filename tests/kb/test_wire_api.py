"""Search wired to the real index over HTTP (SQLite): pinyin, typos, marks, search as you
type, the admins' synonyms and words, and the role checks of every new route."""

from __future__ import annotations

from typing import Any

import pytest

from test_kb_api import KB, PUBLIC, _call, _category, _ok
from webkit import Api


def publish(api: Api, cat: int, title: str, body: str = "", keywords: list[str] | None = None,
            visibility: str = "internal") -> int:
    a = _ok(_call(api, "agent", "POST", f"{KB}/articles", json={
        "category_id": cat, "title": title, "body": body, "keywords": keywords or [],
        "visibility": visibility, "submit": True}), 201)
    _ok(_call(api, "supervisor", "POST", f"{KB}/articles/{a['id']}/versions/1/approve",
              json={"comment": ""}))
    return int(a["id"])


def search(api: Api, q: str, role: str = "agent", **params: Any) -> list[dict[str, Any]]:
    r = _call(api, role, "GET", f"{KB}/search", params={"q": q, **params})
    assert r.headers["X-Kb-Index-Building"] == "0"
    return _ok(r)


def test_pinyin_typo_marks_and_escaping(kb_api: Api) -> None:
    cat = _category(kb_api)
    back = publish(kb_api, cat, "退货流程 <须知>", "七天无理由退货，先在订单页申请。")
    refund = publish(kb_api, cat, "Refund policy", "How to refund an order.", visibility="public")
    publish(kb_api, cat, "营业时间", "每天九点到晚上九点。")
    hits = search(kb_api, "tuihuo")
    assert [h["id"] for h in hits] == [back]
    assert hits[0]["title_html"] == "<mark>退货</mark>流程 &lt;须知&gt;"
    assert "<mark>退货</mark>" in hits[0]["snippet_html"]
    assert [h["id"] for h in search(kb_api, "th")][:1] == [back]       # initials
    hits = search(kb_api, "refnud")                                     # a typo
    assert [h["id"] for h in hits] == [refund]
    assert hits[0]["title_html"] == "<mark>Refund</mark> policy"
    pub = _ok(_call(kb_api, None, "GET", f"{PUBLIC}/search", params={"q": "refund"}))
    assert [h["id"] for h in pub] == [refund] and "<mark>" in pub[0]["snippet_html"]
    assert _ok(_call(kb_api, None, "GET", f"{PUBLIC}/search", params={"q": "tuihuo"})) == []


def test_search_as_you_type_and_category(kb_api: Api) -> None:
    cat, other = _category(kb_api, "售后"), _category(kb_api, "其他")
    back = publish(kb_api, cat, "退货流程", "七天无理由")
    publish(kb_api, other, "退货运费", "运费谁出")
    assert back in [h["id"] for h in search(kb_api, "tuih", prefix="true")]
    assert [h["id"] for h in search(kb_api, "退货", category_id=cat)] == [back]
    stats = _ok(_call(kb_api, "supervisor", "GET", f"{KB}/stats/searches"))
    assert [s["query"] for s in stats] == ["退货"]        # the keystrokes are not logged


def test_synonyms_and_words_by_admin(kb_api: Api) -> None:
    cat = _category(kb_api)
    refund = publish(kb_api, cat, "退款到账时间", "退款三到五个工作日到账")
    assert search(kb_api, "退钱") == []
    groups = {"groups": [["退款", "退钱"]]}
    for role in ("agent", "supervisor", "qa"):
        assert _call(kb_api, role, "PUT", f"{KB}/synonyms", json=groups).status_code == 403
        assert _call(kb_api, role, "GET", f"{KB}/words").status_code == 403
    assert _ok(_call(kb_api, "admin", "PUT", f"{KB}/synonyms", json=groups)) == groups
    assert _ok(_call(kb_api, "admin", "GET", f"{KB}/synonyms")) == groups
    hits = search(kb_api, "退钱")
    assert [h["id"] for h in hits] == [refund] and "<mark>退款</mark>" in hits[0]["title_html"]
    _ok(_call(kb_api, "admin", "PUT", f"{KB}/synonyms", json={"groups": []}))
    assert search(kb_api, "退钱") == []
    r = _call(kb_api, "admin", "PUT", f"{KB}/synonyms", json={"groups": [["退款"]]})
    assert r.status_code == 422 and "two words" in r.text
    r = _call(kb_api, "admin", "PUT", f"{KB}/synonyms", json={"groups": [["e-mail", "邮件"]]})
    assert r.status_code == 422 and "e-mail" in r.text
    assert _ok(_call(kb_api, "admin", "GET", f"{KB}/synonyms")) == {"groups": []}
    words = {"words": ["畅享二十"]}
    assert _ok(_call(kb_api, "admin", "PUT", f"{KB}/words", json=words)) == words
    assert _ok(_call(kb_api, "admin", "GET", f"{KB}/words")) == words


NEW_ROUTES = [("GET", "stats/searches"), ("GET", "stats/gaps"), ("GET", "stats/views"),
              ("GET", "stats/votes"), ("GET", "synonyms"), ("GET", "words")]


@pytest.mark.parametrize("method,path", NEW_ROUTES)
def test_new_routes_roles(kb_api: Api, method: str, path: str) -> None:
    assert kb_api.client.request(method, f"{KB}/{path}").status_code == 401
    admin_only = path in ("synonyms", "words")
    for role in ("admin", "supervisor", "agent", "qa"):
        allowed = role == "admin" or (role == "supervisor" and not admin_only)
        r = _call(kb_api, role, method, f"{KB}/{path}")
        assert r.status_code == (200 if allowed else 403), (role, r.text)


def test_every_role_reads_hot_views_votes_related(kb_api: Api) -> None:
    cat = _category(kb_api)
    a = publish(kb_api, cat, "退货流程")
    assert kb_api.client.get(f"{KB}/hot").status_code == 401
    assert kb_api.client.post(f"{KB}/articles/{a}/views", json={}).status_code == 401
    for role in ("admin", "supervisor", "agent", "qa"):
        _ok(_call(kb_api, role, "GET", f"{KB}/hot"))
        _ok(_call(kb_api, role, "POST", f"{KB}/articles/{a}/views", json={}))
        _ok(_call(kb_api, role, "PUT", f"{KB}/articles/{a}/vote", json={"helpful": True}), 204)
        _ok(_call(kb_api, role, "GET", f"{KB}/articles/{a}/related"))
    r = _call(kb_api, "agent", "POST", f"{KB}/stats/gaps/draft",
              json={"query": "x", "category_id": cat})
    assert r.status_code == 403
    assert _call(kb_api, "agent", "POST", f"{KB}/articles/{a}/views",
                 json={"call_id": "x" * 65}).status_code == 422
