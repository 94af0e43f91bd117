"""Question trees and walks on both backends: the article checks, editing rights, and a walk
with a back step whose exact path lands in the call's note."""

from __future__ import annotations

import pytest

from kbkit import Kit
from kefu.crm.service import Crm
from kefu.kb.guides import Guides, TreeInvalid
from kefu.kb.records import Denied
from kefu.kb.trees import Edge, Node, Problem, Shape
from kefu.store.errors import Conflict, Invalid, NotFound


def _setup(kit: Kit, crm: Crm) -> tuple[Guides, int, int, int]:
    """The guides, a category, a published article and one that is only a draft."""
    kb, w = kit.kb, kit.who
    cat = kb.create_category(w["admin"], "售后").id
    a = kb.create(w["agent"], category_id=cat, title="七天无理由退货", body="…",
                  keywords=[], visibility="internal", submit=True)
    kb.approve(w["supervisor"], a.id, 1, "ok")
    draft = kb.create(w["agent"], category_id=cat, title="草稿", body="…", keywords=[],
                      visibility="internal")
    return Guides(kit.store.db, kb, crm, clock=kit.clock), cat, a.id, draft.id


def _shape(good: int, other: int) -> Shape:
    return Shape((Node("q1", "question", "商品签收了吗?"), Node("q2", "question", "超过7天了吗?"),
                  Node("s1", "solution", "", good), Node("s2", "solution", "联系物流", other)),
                 (Edge("q1", "q2", "已签收"), Edge("q1", "s2", "未签收"),
                  Edge("q2", "s2", "超过"), Edge("q2", "s1", "未超过")))


def test_solution_articles_must_exist_and_be_published(kit: Kit, crm: Crm) -> None:
    g, cat, good, draft = _setup(kit, crm)
    admin = kit.who["admin"]
    with pytest.raises(TreeInvalid) as e:
        g.create(admin, category_id=cat, title="退货", shape=_shape(good, draft))
    assert e.value.problems == [Problem("s2", f"article {draft} does not exist or is not "
                                              "published")]
    assert g.check(_shape(good, 999)) == [
        Problem("s2", "article 999 does not exist or is not published")]
    assert g.trees(admin) == []                             # nothing written
    with pytest.raises(NotFound, match="category 99"):
        g.create(admin, category_id=99, title="退货", shape=_shape(good, good))


def test_approvers_edit_everyone_reads_enabled_trees(kit: Kit, crm: Crm) -> None:
    g, cat, good, _ = _setup(kit, crm)
    w = kit.who
    for role in ("agent", "qa"):
        with pytest.raises(Denied, match="approvers"):
            g.create(w[role], category_id=cat, title="退货", shape=_shape(good, good))
    t = g.create(w["supervisor"], category_id=cat, title="退货", shape=_shape(good, good))
    assert (t.version, t.enabled, t.shape) == (1, False, _shape(good, good))
    assert g.trees(w["agent"]) == [] and g.trees(w["admin"]) == [t]
    with pytest.raises(NotFound):
        g.tree(w["agent"], t.id)
    kit.clock.advance(60)
    t2 = g.update(w["admin"], t.id, version=1, enabled=True, title="退货问题")
    assert (t2.version, t2.enabled, t2.title, t2.updated_by) == (2, True, "退货问题", "admin")
    assert t2.updated_at == t.updated_at + 60
    assert g.trees(w["agent"]) == [t2] == g.trees(w["qa"], cat)
    with pytest.raises(Conflict, match="version 2, not 1"):
        g.update(w["admin"], t.id, version=1, title="x")
    with pytest.raises(Denied):
        g.update(w["agent"], t.id, title="x")
    with pytest.raises(Denied):
        g.delete(w["agent"], t.id)
    g.delete(w["admin"], t.id)
    assert g.trees(w["admin"]) == []


def test_a_walk_with_a_back_step_saves_its_exact_path_to_the_calls_note(
        kit: Kit, crm: Crm) -> None:
    g, cat, good, _ = _setup(kit, crm)
    w, agent = kit.who, kit.who["agent"]
    t = g.create(w["admin"], category_id=cat, title="退货", shape=_shape(good, good),
                 enabled=True)
    walk = g.start(agent, t.id, "call-1", "13800138000")
    assert (walk.at.id, walk.answers, walk.path) == ("q1", ("已签收", "未签收"), ())
    walk = g.answer(agent, walk.id, "q1", "已签收")
    walk = g.answer(agent, walk.id, "q2", "超过")
    assert walk.at.id == "s2"
    with pytest.raises(Conflict, match="reached a solution"):
        g.answer(agent, walk.id, "s2", "x")
    walk = g.back(agent, walk.id)
    assert walk.at.id == "q2"
    with pytest.raises(Conflict, match="is at q2, not q1"):
        g.answer(agent, walk.id, "q1", "已签收")           # a stale click
    with pytest.raises(Invalid, match="no answer"):
        g.answer(agent, walk.id, "q2", "也许")
    with pytest.raises(Denied):
        g.answer(w["agent2"], walk.id, "q2", "未超过")      # not theirs
    walk = g.answer(agent, walk.id, "q2", "未超过")
    # an edit of the tree mid-call does not touch the walk
    g.update(w["admin"], t.id, title="退货（新）")
    done = g.finish(agent, walk.id)
    text = ("问题推测「退货」\n"
            "1. 商品签收了吗? → 已签收\n"
            "2. 超过7天了吗? → 未超过\n"
            f"解决方案: 七天无理由退货 (#{good})")
    assert (done.state, done.notes) == ("finished", text)
    customer = crm.find_customer_by_number("13800138000")
    assert customer is not None
    notes = [n for n in crm.contact_history(customer.id) if n.call_id == "call-1"]
    assert [(n.id, n.notes, n.agent, n.type, n.result) for n in notes] == [
        (done.note_id, text, "agent", "inquiry", "resolved")]
    with pytest.raises(Conflict, match="finished"):
        g.back(agent, walk.id)


def test_abandoned_walks_keep_their_path(kit: Kit, crm: Crm) -> None:
    g, cat, good, _ = _setup(kit, crm)
    agent = kit.who["agent"]
    t = g.create(kit.who["admin"], category_id=cat, title="退货", shape=_shape(good, good),
                 enabled=True)
    first = g.answer(agent, g.start(agent, t.id, "call-2", "13800138000").id, "q1", "未签收")
    second = g.start(agent, t.id, "call-2", "13800138000")     # starts over: first abandoned
    gone = g.abandon(agent, second.id)
    walks = g.walks("call-2")
    assert [(x.id, x.state, [(s.node, s.answer) for s in x.path]) for x in walks] == [
        (first.id, "abandoned", [("q1", "未签收")]), (gone.id, "abandoned", [])]
    with pytest.raises(Conflict, match="is at the root"):
        g.back(agent, g.start(agent, t.id, "call-3", "13800138000").id)
    with pytest.raises(Invalid):
        g.start(agent, t.id, "call-3", "not a number")
    g.update(kit.who["admin"], t.id, enabled=False)
    with pytest.raises(NotFound, match="not enabled"):
        g.start(agent, t.id, "call-4", "13800138000")


def test_a_category_holding_a_tree_is_not_deleted(kit: Kit, crm: Crm) -> None:
    g, cat, good, _ = _setup(kit, crm)
    admin = kit.who["admin"]
    other = kit.kb.create_category(admin, "空栏目").id
    t = g.create(admin, category_id=other, title="退货", shape=_shape(good, good))
    with pytest.raises(Conflict, match="1 guided trees"):
        kit.kb.delete_category(admin, other)
    g.delete(admin, t.id)
    kit.kb.delete_category(admin, other)
