"""Statistics over HTTP (SQLite): gaps become drafts in one call, votes once per user per
version, the hot list's order, related articles after co-views."""

from __future__ import annotations

from test_kb_api import KB, PUBLIC, _call, _category, _ok
from test_wire_api import publish, search
from webkit import Api


def test_gap_to_draft_in_one_call(kb_api: Api) -> None:
    cat = _category(kb_api)
    publish(kb_api, cat, "退货流程")
    assert search(kb_api, "发票抬头") == []
    assert search(kb_api, " 发票抬头 ", role="qa") == []
    assert search(kb_api, "退货") != []
    gaps = _ok(_call(kb_api, "supervisor", "GET", f"{KB}/stats/gaps"))
    assert [(g["query"], g["searches"]) for g in gaps] == [("发票抬头", 2)]
    top = _ok(_call(kb_api, "supervisor", "GET", f"{KB}/stats/searches"))
    assert [(g["query"], g["searches"]) for g in top] == [("发票抬头", 2), ("退货", 1)]
    d = _ok(_call(kb_api, "supervisor", "POST", f"{KB}/stats/gaps/draft",
                  json={"query": "发票抬头", "category_id": cat}), 201)
    assert d["live"] is None and d["working"]["title"] == "发票抬头"
    assert d["working"]["state"] == "draft"
    assert _ok(_call(kb_api, "supervisor", "GET", f"{KB}/stats/gaps")) == []
    r = _call(kb_api, "supervisor", "POST", f"{KB}/stats/gaps/draft",
              json={"query": "发票抬头", "category_id": cat})
    assert r.status_code == 404


def test_votes_once_per_user_per_version(kb_api: Api) -> None:
    a = publish(kb_api, _category(kb_api), "退货流程")
    for helpful in (True, True, False):
        _ok(_call(kb_api, "agent", "PUT", f"{KB}/articles/{a}/vote", json={"helpful": helpful}),
            204)
    _ok(_call(kb_api, "qa", "PUT", f"{KB}/articles/{a}/vote", json={"helpful": True}), 204)
    votes = _ok(_call(kb_api, "admin", "GET", f"{KB}/stats/votes"))
    assert votes == [{"article_id": a, "version": 1, "title": "退货流程", "helpful": 1,
                      "not_helpful": 1}]


def test_hot_list_order(kb_api: Api) -> None:
    cat = _category(kb_api)
    a = publish(kb_api, cat, "退货流程", visibility="public")
    b = publish(kb_api, cat, "营业时间")
    c = publish(kb_api, cat, "发票")
    for art, n in ((a, 1), (b, 3)):
        for _ in range(n):
            _ok(_call(kb_api, "agent", "POST", f"{KB}/articles/{art}/views", json={}))
    search(kb_api, "退货")                  # a answers it first: a = 1 view + 1 search
    hot = _ok(_call(kb_api, "qa", "GET", f"{KB}/hot"))
    assert [(h["article_id"], h["count"]) for h in hot] == [(b, 3), (a, 2)]
    assert c not in [h["article_id"] for h in hot]
    views = _ok(_call(kb_api, "supervisor", "GET", f"{KB}/stats/views"))
    assert [(v["article_id"], v["count"]) for v in views] == [(b, 3), (a, 1)]
    pub = _ok(_call(kb_api, None, "GET", f"{PUBLIC}/hot"))
    assert [h["article_id"] for h in pub] == [a]


def test_related_changes_after_coviews(kb_api: Api) -> None:
    cat = _category(kb_api)
    x = publish(kb_api, cat, "退货流程", "七天无理由退货", ["退货"])
    y = publish(kb_api, cat, "退货运费", "退货的运费由谁承担", ["退货"])
    z = publish(kb_api, cat, "营业时间", "每天九点开门")
    rel = _ok(_call(kb_api, "agent", "GET", f"{KB}/articles/{x}/related"))
    assert [(r["article_id"], r["content"], r["coview"]) for r in rel] == [(y, 1.0, 0.0)]
    for call in ("c1", "c2"):
        for art in (x, z):
            _ok(_call(kb_api, "agent", "POST", f"{KB}/articles/{art}/views",
                      json={"call_id": call}))
    _ok(_call(kb_api, "qa", "POST", f"{KB}/articles/{y}/views", json={"session": "s1"}))
    _ok(_call(kb_api, "qa", "POST", f"{KB}/articles/{x}/views", json={"session": "s1"}))
    rel = _ok(_call(kb_api, "agent", "GET", f"{KB}/articles/{x}/related"))
    # y: content 1 + co-viewed in 1 session of z's 2 calls -> 0.5 + 0.25; z: 0 + 0.5
    assert [(r["article_id"], r["score"]) for r in rel] == [(y, 0.75), (z, 0.5)]
