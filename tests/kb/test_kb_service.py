"""The knowledge base's service on SQLite and PostgreSQL: the category tree, the workflow
with each role's permitted and refused steps, versions and their diff, scheduled
publishing on a fake clock, the stale flag, the public's view, files, the index seam."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from kbkit import PDF, PNG, Kit, at
from kefu.kb.service import Denied, TooLarge, Unsupported
from kefu.store.errors import Conflict, Invalid, NotFound


def _article(kit: Kit, **kw):  # type: ignore[no-untyped-def]
    cat = kit.kb.create_category(kit.who["admin"], "售后")
    args = {"category_id": cat.id, "title": "退货流程", "body": "第一步\n第二步\n",
            "keywords": ["退货"], "visibility": "internal", **kw}
    return kit.kb.create(kit.who["agent"], **args)


def _published(kit: Kit, **kw):  # type: ignore[no-untyped-def]
    a = _article(kit, submit=True, **kw)
    return kit.kb.approve(kit.who["supervisor"], a.id, 1, "ok")


# --- categories -------------------------------------------------------------------------------
def test_category_tree_create_rename_move_delete(kit: Kit) -> None:
    kb, admin = kit.kb, kit.who["admin"]
    top = kb.create_category(admin, "产品")
    sub = kb.create_category(admin, "手机", parent_id=top.id)
    other = kb.create_category(admin, "售后", position=1)
    kb.rename_category(admin, sub.id, "手机与平板")
    tree = kb.categories()
    assert [(c.name, [k.name for k in c.children]) for c in tree] == \
        [("产品", ["手机与平板"]), ("售后", [])]
    with pytest.raises(Conflict, match="under itself"):
        kb.move_category(admin, top.id, sub.id)             # a loop
    with pytest.raises(Conflict, match="already there"):
        kb.create_category(admin, "产品")                   # a sibling's name
    kb.move_category(admin, sub.id, other.id)
    assert [[k.name for k in c.children] for c in kb.categories()] == [[], ["手机与平板"]]
    with pytest.raises(Conflict, match="not empty"):
        kb.delete_category(admin, other.id)                 # has a subcategory
    kb.create(kit.who["agent"], category_id=sub.id, title="t")
    with pytest.raises(Conflict, match="1 articles"):
        kb.delete_category(admin, sub.id)                   # has a draft article
    kb.delete_category(admin, top.id)
    assert [c.name for c in kb.categories()] == ["售后"]
    with pytest.raises(NotFound):
        kb.rename_category(admin, 999, "x")
    with pytest.raises(Invalid):
        kb.create_category(admin, "  ")


@pytest.mark.parametrize("role", ["agent", "qa"])
def test_only_approvers_edit_categories(kit: Kit, role: str) -> None:
    with pytest.raises(Denied, match="approvers"):
        kit.kb.create_category(kit.who[role], "x")
    assert kit.kb.categories() == []


# --- workflow ---------------------------------------------------------------------------------
def test_each_roles_steps(kit: Kit) -> None:
    kb, w = kit.kb, kit.who
    cat = kb.create_category(w["supervisor"], "常见问题")
    with pytest.raises(Denied, match="writers"):
        kb.create(w["qa"], category_id=cat.id, title="x")   # qa reads only
    a = kb.create(w["agent"], category_id=cat.id, title="开票", body="电子发票")
    assert (a.live, a.working.state, a.working.number) == (None, "draft", 1)
    with pytest.raises(NotFound):
        kb.get(w["qa"], a.id)                               # a reader sees no draft
    with pytest.raises(Denied, match="agent's"):
        kb.submit(w["agent2"], a.id)                        # not their draft
    with pytest.raises(Denied, match="only they"):
        kb.edit(w["agent2"], a.id, body="改")
    a = kb.submit(w["agent"], a.id)
    assert a.working.state == "pending"
    for role in ("agent", "qa"):
        with pytest.raises(Denied, match="approvers"):
            kb.approve(w[role], a.id, 1)
    with pytest.raises(Invalid, match="comment"):
        kb.reject(w["supervisor"], a.id, 1, "")             # a rejection says why
    a = kb.reject(w["supervisor"], a.id, 1, "写清楚开票时限")
    assert (a.working.state, a.working.decided_by, a.working.comment) == \
        ("rejected", "supervisor", "写清楚开票时限")
    a = kb.edit(w["agent"], a.id, body="电子发票，三个工作日内", submit=True)
    assert (a.working.number, a.working.state) == (2, "pending")
    with pytest.raises(Conflict, match="rejected"):
        kb.approve(w["admin"], a.id, 1)                     # the old one stays rejected
    a = kb.approve(w["admin"], a.id, 2, "好")
    assert (a.live.number, a.live.state, a.working) == (2, "published", None)
    assert kb.get(w["qa"], a.id).live.body == "电子发票，三个工作日内"   # readers read it
    with pytest.raises(Denied):
        kb.unpublish(w["agent"], a.id)
    assert [(e.actor, e.action, e.version, e.comment) for e in kb.audit(w["agent"], a.id)] == [
        ("agent", "created", 1, ""), ("agent", "submitted", 1, ""),
        ("supervisor", "rejected", 1, "写清楚开票时限"), ("agent", "edited", 2, ""),
        ("agent", "submitted", 2, ""), ("admin", "approved", 2, "好"),
        ("admin", "published", 2, "")]
    assert kit.kb.audit(w["admin"], a.id)[-1].at == kit.clock.now
    with pytest.raises(Denied):
        kb.audit(w["qa"], a.id)


def test_an_edit_to_a_published_article_keeps_the_old_version_live(kit: Kit) -> None:
    kb, w = kit.kb, kit.who
    a = _published(kit)
    a = kb.edit(w["agent2"], a.id, title="退货流程（新）", body="第一步\n第三步\n", submit=True)
    assert (a.live.number, a.live.title, a.working.number, a.working.state) == \
        (1, "退货流程", 2, "pending")
    seen = kb.get(w["qa"], a.id)                            # readers: still version 1
    assert (seen.live.number, seen.working) == (1, None)
    assert kit.index.docs[a.id].title == "退货流程"
    assert [x.id for x in kb.articles(w["agent"], view="pending")[0]] == [a.id]
    a = kb.approve(w["supervisor"], a.id, 2)
    assert (a.live.number, a.live.title) == (2, "退货流程（新）")
    assert [(v.number, v.state) for v in kb.versions(w["agent"], a.id)] == \
        [(1, "superseded"), (2, "published")]
    assert kit.index.docs[a.id].title == "退货流程（新）"


def test_an_edit_replaces_the_open_draft_as_a_new_version(kit: Kit) -> None:
    kb, w = kit.kb, kit.who
    a = _article(kit)
    a = kb.edit(w["agent"], a.id, keywords=["退货", "退款"])
    a = kb.edit(w["supervisor"], a.id, visibility="public")   # an approver may
    assert [(v.number, v.state, v.keywords, v.visibility) for v in kb.versions(w["agent"], a.id)] \
        == [(1, "superseded", ("退货",), "internal"), (2, "superseded", ("退货", "退款"), "internal"),
            (3, "draft", ("退货", "退款"), "public")]


def test_diff_between_any_two_versions(kit: Kit) -> None:
    kb, w = kit.kb, kit.who
    a = _article(kit)
    kb.edit(w["agent"], a.id, body="第一步\n第三步\n第四步\n", keywords=["退货", "换货"])
    d = kb.diff(w["agent"], a.id, 1, 2)
    assert d.unified.splitlines() == [
        "--- v1", "+++ v2", "@@ -1,7 +1,8 @@", " # 退货流程", "-keywords: 退货",
        "+keywords: 退货, 换货", " visibility: internal", " review_date: ", " ", " 第一步",
        "-第二步", "+第三步", "+第四步"]
    side = kb.diff(w["agent"], a.id, 1, 2, mode="side")
    assert [r for r in side.rows if r[0] != "equal"] == [
        ("replace", "keywords: 退货", "keywords: 退货, 换货"),
        ("replace", "第二步", "第三步"), ("insert", "", "第四步")]
    assert kb.diff(w["agent"], a.id, 2, 2).unified == ""
    with pytest.raises(NotFound):
        kb.diff(w["agent"], a.id, 1, 3)
    with pytest.raises(Denied):
        kb.diff(w["qa"], a.id, 1, 2)
    with pytest.raises(Invalid):
        kb.diff(w["agent"], a.id, 1, 2, mode="html")


def test_scheduled_publishing_on_the_clock(kit: Kit) -> None:
    kb, w = kit.kb, kit.who
    a = _published(kit)
    kb.edit(w["agent"], a.id, body="新版", submit=True)
    when = at(2026, 12, 3, 8)                     # tomorrow 08:00
    a = kb.approve(w["supervisor"], a.id, 2, "明早生效", publish_at=when)
    assert (a.live.number, a.working.state, a.working.publish_at) == (1, "scheduled", when)
    kit.clock.now = when - 1
    assert kb.tick() == []
    assert kb.get(w["qa"], a.id).live.number == 1
    kit.clock.now = when
    assert kb.tick() == [a.id]
    a = kb.get(w["qa"], a.id)
    assert (a.live.number, a.live.body, a.live.published_at) == (2, "新版", when)
    assert kb.tick() == []                        # once
    assert kit.index.docs[a.id].body == "新版"
    assert [e.action for e in kb.audit(w["admin"], a.id)][-3:] == \
        ["approved", "scheduled", "published"]
    assert kb.audit(w["admin"], a.id)[-1].actor == "scheduler"


def test_a_scheduled_version_can_still_be_rejected(kit: Kit) -> None:
    kb, w = kit.kb, kit.who
    a = _article(kit, submit=True)
    kb.approve(w["admin"], a.id, 1, publish_at=at(2026, 12, 5))
    kb.reject(w["admin"], a.id, 1, "撤回")
    kit.clock.now = at(2026, 12, 6)
    assert kb.tick() == []
    assert kb.get(w["admin"], a.id).live is None


def test_stale_after_the_review_date(kit: Kit) -> None:
    kb, w = kit.kb, kit.who
    a = _published(kit, review_date=dt.date(2026, 12, 2))
    assert kb.get(w["qa"], a.id).stale is False             # on the day: not yet
    kit.clock.now = at(2026, 12, 3, 0, 0)
    assert kb.get(w["qa"], a.id).stale is True
    assert [x.id for x in kb.articles(w["supervisor"], view="stale")[0]] == [a.id]
    with pytest.raises(Denied):
        kb.articles(w["qa"], view="stale")


def test_the_public_reads_only_public_published_articles(kit: Kit) -> None:
    kb, w = kit.kb, kit.who
    inside = _published(kit)
    cat = inside.category_id
    public = kb.create(w["agent"], category_id=cat, title="营业时间", visibility="public",
                       submit=True)
    public = kb.approve(w["admin"], public.id, 1)
    draft = kb.create(w["agent"], category_id=cat, title="草稿", visibility="public")
    assert [a.id for a in kb.articles(None)[0]] == [public.id]
    assert {a.id for a in kb.articles(w["qa"])[0]} == {inside.id, public.id}
    assert kb.get(None, public.id).working is None
    for hidden in (inside.id, draft.id):
        with pytest.raises(NotFound):
            kb.get(None, hidden)
    assert [a.id for a in kb.search(None, "营业")] == [public.id]
    assert [a.id for a in kb.search(None, "退货")] == []
    assert [a.id for a in kb.search(w["agent"], "退货")] == [inside.id]
    kb.unpublish(w["supervisor"], public.id, "过时")
    assert kb.articles(None) == ([], 0)
    assert public.id not in kit.index.docs
    # put up again: an edit starts from the last version, live once approved
    again = kb.edit(w["agent"], public.id, body="营业时间改为九点到六点", submit=True)
    assert (again.live, again.working.title, again.working.visibility) == (None, "营业时间", "public")
    kb.approve(w["supervisor"], public.id, again.working.number)
    assert [a.id for a in kb.articles(None)[0]] == [public.id]


def test_list_by_category_includes_subcategories(kit: Kit) -> None:
    kb, w = kit.kb, kit.who
    top = kb.create_category(w["admin"], "产品")
    sub = kb.create_category(w["admin"], "手机", parent_id=top.id)
    a = kb.approve(w["admin"], kb.create(w["agent"], category_id=sub.id, title="a",
                                         submit=True).id, 1)
    b = kb.approve(w["admin"], kb.create(w["agent"], category_id=top.id, title="b",
                                         submit=True).id, 1)
    assert {x.id for x in kb.articles(w["qa"], category_id=top.id)[0]} == {a.id, b.id}
    assert [x.id for x in kb.articles(w["qa"], category_id=sub.id)[0]] == [a.id]
    assert kb.categories()[0].children[0].articles == 1
    kb.move(w["agent"], a.id, top.id)
    assert kb.articles(w["qa"], category_id=sub.id) == ([], 0)
    assert kit.index.docs[a.id].category == top.id


def test_bad_content_writes_nothing(kit: Kit) -> None:
    kb, w = kit.kb, kit.who
    cat = kb.create_category(w["admin"], "x")
    for bad in ({"title": ""}, {"title": "t" * 201}, {"title": "t", "visibility": "secret"},
                {"title": "t", "keywords": "退货"}, {"title": "t", "keywords": [""]}):
        with pytest.raises(Invalid):
            kb.create(w["agent"], category_id=cat.id, **bad)
    with pytest.raises(NotFound):
        kb.create(w["agent"], category_id=999, title="t")
    assert kb.articles(w["admin"], view="mine") == ([], 0)


# --- files ------------------------------------------------------------------------------------
def test_files_checked_by_content_and_nothing_half_written(  # type: ignore[no-untyped-def]
        kit: Kit, tmp_path) -> None:
    kb, w = kit.kb, kit.who
    a = _published(kit, visibility="public")
    img = kb.attach(w["agent"], a.id, "image", "../../screen.png", PNG)
    doc = kb.attach(w["agent"], a.id, "attachment", "表格.pdf", PDF)
    assert (img.name, img.mime, img.size) == ("screen.png", "image/png", len(PNG))
    assert doc.mime == "application/pdf"
    refusals = [("image", "a.png", PDF, Unsupported),          # a PDF is no image
                ("image", "a.png", b"", Unsupported),
                ("attachment", "x.exe", b"MZ\x90\x00" + b"\x00" * 60, Unsupported),
                ("image", "big.png", PNG + b"\0" * (5 * 1024 * 1024), TooLarge)]
    for kind, name, data, error in refusals:
        with pytest.raises(error):
            kb.attach(w["agent"], a.id, kind, name, data)
    with pytest.raises(Denied):
        kb.attach(w["qa"], a.id, "image", "a.png", PNG)
    with pytest.raises(NotFound):
        kb.attach(w["agent"], 999, "image", "a.png", PNG)
    assert sorted(p.name for p in (tmp_path / "kb").iterdir()) == sorted([img.path, doc.path])
    assert [f.id for f in kb.get(w["qa"], a.id).files] == [img.id, doc.id]
    f, path = kb.file(None, a.id, img.id)                    # a public article's image
    assert path.read_bytes() == PNG
    with pytest.raises(NotFound):
        kb.file(None, a.id, doc.id)                          # attachments: signed in only
    assert kb.file(w["qa"], a.id, doc.id)[1].read_bytes() == PDF
    with pytest.raises(NotFound):
        kb.file(w["qa"], a.id + 1, img.id)


def test_a_draft_articles_files_are_for_writers(kit: Kit) -> None:
    kb, w = kit.kb, kit.who
    a = _article(kit, visibility="public")
    img = kb.attach(w["agent"], a.id, "image", "a.png", PNG)
    assert kb.file(w["agent2"], a.id, img.id)[0].id == img.id
    for who in (None, w["qa"]):
        with pytest.raises(NotFound):
            kb.file(who, a.id, img.id)


def test_reindex_hands_every_live_article(kit: Kit) -> None:
    a = _published(kit)
    kit.kb.create(kit.who["agent"], category_id=a.category_id, title="草稿")
    kit.index.docs.clear()
    assert kit.kb.reindex() == 1
    assert list(kit.index.docs) == [a.id]


def test_the_audit_is_append_only(kit: Kit) -> None:
    _published(kit)
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        with kit.store.db.tx() as s:
            s.execute(sa.text("UPDATE kb_audit SET actor = 'x'"))
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        with kit.store.db.tx() as s:
            s.execute(sa.text("DELETE FROM kb_audit"))
