"""The use tables' queries through the service, on SQLite and PostgreSQL: searches logged
and grouped, gaps handled, views and co-views, votes replaced, hot list windows, roles."""

from __future__ import annotations

import pytest

from kbkit import Kit
from kefu.kb.records import Denied
from kefu.store.errors import Invalid, NotFound


def publish(kit: Kit, cat: int, title: str, body: str = "", visibility: str = "internal") -> int:
    w = kit.who
    a = kit.kb.create(w["agent"], category_id=cat, title=title, body=body,
                      visibility=visibility, submit=True)
    kit.kb.approve(w["supervisor"], a.id, 1)
    return a.id


def test_searches_gaps_and_draft(kit: Kit) -> None:
    kb, w = kit.kb, kit.who
    cat = kb.create_category(w["admin"], "售后").id
    a = publish(kit, cat, "退货流程")
    kb.search(w["agent"], "退货", call_id="call-1")
    kb.search(w["agent"], "Invoice  Title")
    kit.clock.advance(60)
    kb.search(None, "invoice title")
    kb.search(w["agent"], "退", prefix=True)                   # not logged
    top = kb.top_searches(w["supervisor"])
    assert [(q.query, q.searches) for q in top] == [("invoice title", 2), ("退货", 1)]
    assert [q.query for q in kb.gaps(w["admin"])] == ["invoice title"]
    with pytest.raises(Denied):
        kb.gaps(w["agent"])
    with pytest.raises(Invalid):
        kb.gaps(w["admin"], days=0)
    d = kb.draft_from_gap(w["supervisor"], "Invoice Title", cat)
    assert d.working is not None and d.working.title == "invoice title"
    assert kb.gaps(w["admin"]) == []
    with pytest.raises(NotFound):
        kb.draft_from_gap(w["supervisor"], "invoice title", cat)
    assert kb.articles(w["supervisor"], view="mine")[1] == 1      # no second draft written
    kit.clock.advance(31 * 86400)
    assert kb.top_searches(w["supervisor"]) == []
    assert [q.query for q in kb.top_searches(w["supervisor"], days=40)][:1] == ["invoice title"]
    assert a


def test_views_votes_hot_and_coviews(kit: Kit) -> None:
    kb, w = kit.kb, kit.who
    cat = kb.create_category(w["admin"], "售后").id
    a = publish(kit, cat, "退货流程", visibility="public")
    b = publish(kit, cat, "营业时间")
    c = publish(kit, cat, "发票")
    assert kb.view(w["agent"], a, call_id="c1") == 1
    assert kb.view(w["agent"], b, call_id="c1") == 1
    assert kb.view(w["qa"], b, session="s9") == 2
    assert kb.view(w["qa"], c, session="s9") == 1
    assert kb.view(None, a) == 2
    with pytest.raises(NotFound):
        kb.view(None, b)                                    # internal: not for the public
    assert [(x.article_id, x.count) for x in kb.hot(w["qa"])] == [(a, 2), (b, 2), (c, 1)]
    assert [x.article_id for x in kb.hot(None)] == [a]
    assert [(x.article_id, x.count) for x in kb.most_viewed(w["admin"], limit=1)] == [(a, 2)]
    rel = {r.article_id: r.coview for _, r in kb.related(w["agent"], b)}
    assert rel == {a: 1.0, c: 1.0}
    kb.vote(w["agent"], a, True)
    kb.vote(w["agent"], a, False)
    kb.vote(w["qa"], a, False)
    kb.edit(w["supervisor"], a, body="新版", submit=True)
    kb.approve(w["supervisor"], a, 2)
    kb.vote(w["agent"], a, True)                            # a new version: a new vote
    assert [(v.version, v.helpful, v.not_helpful) for v in kb.votes(w["admin"])] == [
        (1, 0, 2), (2, 1, 0)]
    with pytest.raises(Denied):
        kb.votes(w["agent"])
    kit.clock.advance(31 * 86400)
    assert kb.hot(w["qa"]) == []
