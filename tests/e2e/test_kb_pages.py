"""The knowledge base's screens and the public help centre in headless Chromium against a
real ``kefu serve``.

A writer (amy, an agent) writes an article with an image in the editor (uploaded, its
Markdown inserted, the preview showing it) and submits it; an approver (sam) sees it in
the approvals and approves it; amy edits it and, while that edit waits, a reader still
reads the old text; sam sees the diff, cannot reject without a comment, approves; an
agent (bob) finds it by pinyin initials as he types, votes, sees the related article and
the audit.  A search with no result becomes a draft with one click on the statistics.  The
help centre (/help, no login) finds a public article and never an internal one.  Each
role's navigation holds its knowledge-base screens.  Writes docs/img/kb.png (1366×768).
"""

from __future__ import annotations

import re
import struct
import time
import zlib
from urllib.parse import quote

import pytest

from .browser import BROWSER_MARKS, expect, screenshot, session_on, shell_server
from .conftest import add_user

pytestmark = BROWSER_MARKS

ADMIN = ("admin", "admin-password-1")        # conftest's admin
AGENT = ("amy", "agent-password-1", "1001")
SUPERVISOR = ("sam", "super-password-1")
READER = ("bob", "agent-password-2")
QA = ("quinn", "qa-password-1")
OLD = "第一步:在订单页点击申请退货"
NEW = "第一步:联系客服登记退货单号"


def _png() -> bytes:
    """A real 2×2 red PNG (the upload is checked by its content)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\0" + b"\xff\0\0" * 2 for _ in range(2))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _ok(answer, code: int = 200):  # type: ignore[no-untyped-def]
    status, body = answer
    assert status == code, body
    return body


@pytest.fixture(scope="module")
def kefu(tmp_path_factory):  # type: ignore[no-untyped-def]
    with shell_server(tmp_path_factory.mktemp("kefu-kb-pages"), AGENT) as server:
        add_user(server, SUPERVISOR[0], SUPERVISOR[1], role="supervisor")
        add_user(server, READER[0], READER[1])
        add_user(server, QA[0], QA[1], role="qa")
        cat = _ok(server.api("POST", "/kb/categories", {"name": "售后"}), 201)["id"]
        server.category = cat
        # a public article (related to the one amy writes) and an internal one
        for title, keywords, visibility in (("退货后退款多久到账", ["退货", "退款"], "public"),
                                            ("内部退货审核标准", ["退货", "审核"], "internal")):
            a = _ok(server.api("POST", "/kb/articles", {
                "category_id": cat, "title": title, "keywords": keywords,
                "body": f"{title}:退货审核通过后,退款原路返回。", "visibility": visibility,
                "review_date": "2020-01-01" if visibility == "internal" else None,   # stale
                "submit": True}), 201)
            _ok(server.api("POST", f"/kb/articles/{a['id']}/versions/1/approve", {}))
            setattr(server, visibility, a["id"])
        yield server


@pytest.fixture
def browser(kefu, request):  # type: ignore[no-untyped-def]
    """A browser whose pages got no error answer from the knowledge base but those a test
    provokes (``allowed``)."""
    with session_on(kefu) as session:
        yield session
        allowed = getattr(request.node, "allowed", ())
        unexpected = [e for e in session.http_errors()
                      if "/kb" in e and not any(a in e for a in allowed)]
        assert not unexpected, unexpected


def signed_in(browser, username: str, password: str):  # type: ignore[no-untyped-def]
    page = browser.page("/", viewport={"width": 1366, "height": 768})
    page.fill("#login-username", username)
    page.fill("#login-password", password)
    page.click("#login-submit")
    expect()(page.locator("#shell-nav")).to_be_visible()
    return page


def go(page, path: str) -> None:  # type: ignore[no-untyped-def]
    page.evaluate("(p) => { location.hash = '#' + p; }", path)
    page.wait_for_function("(p) => location.hash === '#' + p", arg=path)


def nav(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.locator("#shell-nav a").evaluate_all("(as) => as.map((a) => a.dataset.path)")


def kb_nav(page) -> list[str]:  # type: ignore[no-untyped-def]
    return [p for p in nav(page) if p.startswith("/kb")]


def token(kefu, who: tuple[str, ...]) -> str:  # type: ignore[no-untyped-def]
    return _ok(kefu.api("POST", "/auth/login", {"username": who[0], "password": who[1]}))["token"]


def found(kefu, q: str, article: int, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    """Wait until the index answers ``q`` with ``article`` (it updates after the commit)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        hits = _ok(kefu.api("GET", f"/kb/search?q={q}&prefix=true"))
        if article in [h["id"] for h in hits]:
            return
        time.sleep(0.3)
    raise AssertionError(f"{q!r} never found article {article}")


def test_write_approve_edit_find_vote_related(kefu, browser, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # amy writes: title, keywords, body, an image dropped in by the file picker
    amy = signed_in(browser, AGENT[0], AGENT[1])
    assert kb_nav(amy) == ["/kb"]
    go(amy, "/kb")
    amy.click("#kb-new")
    editor = amy.locator("#kb-editor")
    editor.locator("input[name=title]").fill("退货流程")
    editor.locator("select[name=category_id]").select_option(str(kefu.category))
    editor.locator("input[name=keywords]").fill("退货, 售后")
    editor.locator("textarea[name=body]").fill(f"{OLD}\n\n第二步:<b>寄回</b>商品\n")
    image = tmp_path / "box.png"
    image.write_bytes(_png())
    amy.set_input_files("#kb-file", str(image))
    expect()(editor.locator("textarea[name=body]")).to_have_value(
        re.compile(r"!\[box\.png\]\(kbfile:\d+\)"))
    article = int(editor.get_attribute("data-id"))          # saved as a draft to hold the file
    assert amy.evaluate("location.hash") == f"#/kb/{article}/edit"
    preview = amy.locator("#kb-preview")
    expect()(preview.locator("img[data-kb-file]")).to_have_attribute("src", re.compile("^blob:"))
    expect()(preview).to_contain_text("<b>寄回</b>")                 # raw HTML stays text
    assert preview.locator("b").count() == 0
    amy.click("#kb-submit")
    amy.wait_for_function("(id) => location.hash === '#/kb/' + id", arg=article)
    expect()(amy.locator("#kb-article .kb-meta .kb-state")).to_have_attribute("data-state", "pending")
    # sam approves it: the new article's body, its image loaded with his token
    sam = signed_in(browser, *SUPERVISOR)
    assert kb_nav(sam) == ["/kb", "/kb/approvals", "/kb/categories", "/kb/stats", "/kb/trees"]
    go(sam, "/kb/approvals")
    item = sam.locator(f"li.kb-pending[data-id='{article}']")
    expect()(item.locator("img[data-kb-file]")).to_have_attribute("src", re.compile("^blob:"))
    item.locator(".kb-approve").click()
    expect()(item).to_have_count(0)
    expect()(sam.locator("#kb-none")).to_be_visible()
    # amy edits the published article: a pending v3 (v1 the first draft, v2 with the
    # image's Markdown); the live text stays until it is approved
    go(amy, f"/kb/{article}/edit")
    body = editor.locator("textarea[name=body]")
    expect()(body).to_have_value(re.compile(OLD))
    body.fill(body.input_value().replace(OLD, NEW))
    amy.click("#kb-submit")
    amy.wait_for_function("(id) => location.hash === '#/kb/' + id", arg=article)
    expect()(amy.locator("#kb-working-note")).to_be_visible()
    bob = signed_in(browser, *READER)
    go(bob, f"/kb/{article}")
    expect()(bob.locator("#kb-body")).to_contain_text(OLD)
    assert NEW not in bob.locator("#kb-body").inner_text()
    expect()(bob.locator("#kb-body img")).to_have_attribute("src", re.compile("^blob:"))
    # sam (still on the approvals): the diff, side by side; a rejection needs a comment
    sam.click("#kb-refresh")
    item = sam.locator(f"li.kb-pending[data-id='{article}']")
    changed = item.locator("table.kb-diff tr.replace")
    expect()(changed.locator("td.left")).to_contain_text(OLD)
    expect()(changed.locator("td.right")).to_contain_text(NEW)
    item.locator(".kb-reject").click()
    expect()(item.locator(".kb-decide-error")).to_have_text("驳回需要填写意见")
    item.locator(".kb-comment").fill("写得清楚")
    item.locator(".kb-approve").click()
    expect()(item).to_have_count(0)
    # bob finds it by its pinyin initials as he types, the matches marked
    found(kefu, "th", article)
    go(bob, "/kb")
    bob.locator("#kb-q").press_sequentially("th", delay=120)
    hit = bob.locator(f"#kb-results[data-kind=search] li[data-id='{article}']")
    expect()(hit.locator(".kb-title mark").first).to_have_text("退货")
    expect()(hit.locator(".kb-title")).to_have_text("退货流程")
    screenshot(bob, "kb.png", full_page=False)
    hit.locator(".kb-title").click()
    expect()(bob.locator("#kb-body")).to_contain_text(NEW)
    expect()(bob.locator("#kb-keywords")).to_contain_text("退货")
    expect()(bob.locator("#kb-category")).to_have_text("售后")
    expect()(bob.locator("#kb-unpublish")).to_have_count(0)             # an agent cannot take it down
    # the versions and their diff, the audit with the approver and the comment
    expect()(bob.locator("#kb-history tr[data-number]")).to_have_count(3)
    expect()(bob.locator("#kb-diff tr.replace td.right")).to_contain_text(NEW)
    expect()(bob.locator("#kb-audit li[data-action=approved]").last).to_contain_text("sam")
    expect()(bob.locator("#kb-audit")).to_contain_text("写得清楚")
    # helpful, counted; the related public article listed under it
    bob.click("#kb-helpful")
    expect()(bob.locator("#kb-helpful")).to_have_class("on")
    votes = _ok(kefu.api("GET", "/kb/stats/votes"))
    assert [(v["helpful"], v["not_helpful"]) for v in votes if v["article_id"] == article] == [(1, 0)]
    expect()(bob.locator(f"#kb-related a[data-id='{kefu.public}']")).to_be_visible()
    views = _ok(kefu.api("GET", "/kb/stats/views"))
    assert any(v["article_id"] == article and v["count"] >= 1 for v in views), views


def test_a_gap_search_becomes_a_draft(kefu, browser) -> None:  # type: ignore[no-untyped-def]
    bob = signed_in(browser, *READER)
    go(bob, "/kb")
    bob.fill("#kb-q", "发票抬头怎么改")
    bob.click("#kb-go")                               # Enter: a whole search, logged
    expect()(bob.locator("#kb-none")).to_be_visible()
    sam = signed_in(browser, *SUPERVISOR)
    go(sam, "/kb/stats")
    row = sam.locator("#kb-gaps tr[data-query='发票抬头怎么改']")
    row.locator(".kb-draft").click()
    sam.wait_for_function("/^#\\/kb\\/\\d+\\/edit$/.test(location.hash)")
    expect()(sam.locator("#kb-editor input[name=title]")).to_have_value("发票抬头怎么改")
    expect()(sam.locator("#kb-editor-state")).to_have_attribute("data-state", "draft")
    draft = int(sam.locator("#kb-editor").get_attribute("data-id"))
    got = _ok(kefu.api("GET", f"/kb/articles/{draft}"))
    assert got["live"] is None and got["working"]["state"] == "draft"
    assert "发票抬头怎么改" not in [g["query"] for g in _ok(kefu.api("GET", "/kb/stats/gaps"))]
    # sam, an approver, writes the answer, drops a PDF on it (a link inserted) and
    # schedules it: submitted and approved for then
    sam.fill("#kb-editor textarea[name=body]", "在“我的发票”页修改抬头。")
    sam.evaluate("""() => {
      const data = new DataTransfer();
      data.items.add(new File(["%PDF-1.4\\n" + "x".repeat(64)], "发票说明.pdf", { type: "application/pdf" }));
      document.querySelector("#kb-editor .kb-md").dispatchEvent(
        new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true }));
    }""")
    expect()(sam.locator("#kb-editor textarea[name=body]")).to_have_value(
        re.compile(r"\[发票说明\.pdf\]\(kbfile:\d+\)"))
    link = sam.locator("#kb-preview a.kb-file-link")
    expect()(link).to_have_text("发票说明.pdf")
    with sam.expect_download() as saved:
        link.click()
    assert saved.value.suggested_filename == "发票说明.pdf"
    assert open(saved.value.path(), "rb").read().startswith(b"%PDF-1.4")
    sam.fill("#kb-editor input[name=publish_at]", "2099-01-01T09:00")
    expect()(sam.locator("#kb-submit")).to_have_text("提交并定时发布")
    sam.click("#kb-submit")
    sam.wait_for_function("(id) => location.hash === '#/kb/' + id", arg=draft)
    expect()(sam.locator("#kb-article .kb-meta .kb-state")).to_have_attribute("data-state", "scheduled")
    got = _ok(kefu.api("GET", f"/kb/articles/{draft}"))
    assert got["live"] is None and got["working"]["state"] == "scheduled"
    assert got["working"]["decided_by"] == "sam" and got["working"]["publish_at"] > time.time()
    # an agent cannot see the statistics: the nav has no entry, the API says 403
    assert _ok(kefu.api("GET", "/kb/stats/gaps", token=token(kefu, READER)), 403)


def test_help_centre_without_login(kefu, browser, request) -> None:  # type: ignore[no-untyped-def]
    base = f"http://127.0.0.1:{kefu.http_port}/api/v1"
    request.node.allowed = (f"404 GET {base}/public/kb/articles/{kefu.internal}",)
    page = browser.page("/help", viewport={"width": 1366, "height": 768})
    expect()(page.locator("h1")).to_contain_text("帮助中心")
    expect()(page.locator(f"#help-list li[data-id='{kefu.public}']")).to_be_visible()
    expect()(page.locator(f"#help-list li[data-id='{kefu.internal}']")).to_have_count(0)
    page.click(f"#help-categories a[data-category='{kefu.category}']")          # a category
    expect()(page.locator(f"#help-categories a[data-category='{kefu.category}']")).to_have_class("on")
    expect()(page.locator("#help-list li")).to_have_count(1)
    found(kefu, "tuihuo", kefu.public)
    page.locator("#help-q").press_sequentially("tuihuo", delay=80)
    results = page.locator("#help-results li")
    expect()(results.first).to_be_visible()
    ids = results.evaluate_all("(ls) => ls.map((l) => Number(l.dataset.id))")
    assert kefu.public in ids and kefu.internal not in ids, ids
    expect()(page.locator(f"#help-results li[data-id='{kefu.public}'] mark").first).to_be_visible()
    page.locator(f"#help-results li[data-id='{kefu.public}'] a").click()
    expect()(page.locator("#help-title")).to_have_text("退货后退款多久到账")
    expect()(page.locator("#help-body")).to_contain_text("退款原路返回")
    # an internal article by its address: not found
    page.evaluate("(id) => { location.hash = '#/a/' + id; }", kefu.internal)
    expect()(page.locator("#help-error")).to_be_visible()
    expect()(page.locator("#help-title")).to_have_count(0)
    # English second
    page.click("#help-lang")
    expect()(page.locator("h1")).to_contain_text("Help centre")
    assert page.evaluate("sessionStorage.getItem('kefu.token')") is None
    api = [u for u in page.evaluate("performance.getEntriesByType('resource').map((e) => e.name)")
           if "/api/" in u]
    assert api and all("/api/v1/public/kb/" in u for u in api), api


@pytest.mark.parametrize("who,expected", [(READER, ["/kb"]), (QA, ["/kb"]),
                                          (ADMIN, ["/kb", "/kb/approvals", "/kb/categories",
                                                   "/kb/stats", "/kb/trees"])])
def test_each_roles_kb_screens(kefu, browser, request, who, expected) -> None:  # type: ignore[no-untyped-def]
    request.node.allowed = (f"409 DELETE http://127.0.0.1:{kefu.http_port}/api/v1/kb/categories/",)
    page = signed_in(browser, who[0], who[1])
    assert kb_nav(page) == expected
    go(page, "/kb")
    expect()(page.locator("#kb-results li").first).to_be_visible()
    expect()(page.locator("#kb-new")).to_have_count(0 if who == QA else 1)
    # the internal article's review date has passed: flagged in the list and when read
    expect()(page.locator(f"#kb-results li[data-id='{kefu.internal}'] .kb-stale")).to_have_text("可能过时")
    expect()(page.locator(f"#kb-results li[data-id='{kefu.public}'] .kb-stale")).to_have_count(0)
    if who == READER:           # a writer's lists: the stale ones
        page.click("#kb-views button[data-view=stale]")
        expect()(page.locator("#kb-results li")).to_have_count(1)
        expect()(page.locator(f"#kb-results li[data-id='{kefu.internal}']")).to_be_visible()
    go(page, f"/kb/{kefu.internal}")
    expect()(page.locator("#kb-article .kb-stale")).to_be_visible()
    expect()(page.locator(f"#kb-related a[data-id='{kefu.public}']")).to_be_visible()
    # the history and its audit are for writers and approvers
    expect()(page.locator("#kb-history tr[data-number]")).to_have_count(0 if who == QA else 1)
    if who == ADMIN:     # the categories: a category holding articles cannot go (409, said)
        go(page, "/kb/categories")
        row = page.locator(f"#kb-category-table tr[data-id='{kefu.category}']")
        row.locator(".kb-delete").click()
        expect()(page.locator("#kb-error")).to_contain_text("现在不能这样做")
        page.fill("#kb-add-category input[name=name]", "发票")
        page.click("#kb-add-category button[type=submit]")
        expect()(page.locator("#kb-category-table tbody td:first-child")).to_have_text(["售后", "发票"])
        # the vocabulary: a synonym group saved, applied to the search at once
        go(page, "/kb/stats")
        page.fill("#kb-synonyms", "退款 = 退钱")
        page.click("#kb-save-synonyms")
        expect()(page.locator("#toasts .toast", has_text="搜索立即生效")).to_be_visible()
        expect()(page.locator("#kb-synonyms")).to_have_value("退款 = 退钱")
        assert _ok(kefu.api("GET", "/kb/synonyms")) == {"groups": [["退款", "退钱"]]}
        assert kefu.public in [h["id"] for h in _ok(kefu.api("GET", f"/kb/search?q={quote('退钱')}"))]


def test_an_approver_takes_an_article_down(kefu, browser) -> None:  # type: ignore[no-untyped-def]
    """Last: its article would change the other tests' lists."""
    a = _ok(kefu.api("POST", "/kb/articles", {
        "category_id": kefu.category, "title": "保修期多久", "keywords": ["保修"],
        "body": "整机保修一年。", "visibility": "public", "submit": True}), 201)["id"]
    _ok(kefu.api("POST", f"/kb/articles/{a}/versions/1/approve", {}))
    sam = signed_in(browser, *SUPERVISOR)
    go(sam, f"/kb/{a}")
    sam.click("#kb-unpublish")
    sam.fill("#kb-unpublish-comment", "政策已变")
    sam.click("#kb-unpublish-confirm")
    expect()(sam.locator("#kb-offline")).to_be_visible()
    expect()(sam.locator("#kb-article-title")).to_have_text("保修期多久")   # the last version, still readable
    expect()(sam.locator("#kb-unpublish")).to_have_count(0)
    expect()(sam.locator("#kb-audit li[data-action=unpublished]")).to_contain_text("政策已变")
    # nothing live for agents; the help centre no longer finds it
    assert _ok(kefu.api("GET", f"/kb/articles/{a}", token=token(kefu, READER)))["live"] is None
    assert _ok(kefu.api("GET", f"/public/kb/articles/{a}"), 404)
    # edited and submitted again from its last version: pending, then live once approved
    sam.click("#kb-edit")
    expect()(sam.locator("#kb-editor input[name=title]")).to_have_value("保修期多久")
    sam.fill("#kb-editor textarea[name=body]", "整机保修两年。")
    sam.click("#kb-submit")
    sam.wait_for_function("(id) => location.hash === '#/kb/' + id", arg=a)
    expect()(sam.locator("#kb-article .kb-meta .kb-state")).to_have_attribute("data-state", "pending")
    number = _ok(kefu.api("GET", f"/kb/articles/{a}"))["working"]["number"]
    _ok(kefu.api("POST", f"/kb/articles/{a}/versions/{number}/approve", {}))
    assert "两年" in _ok(kefu.api("GET", f"/public/kb/articles/{a}"))["body_html"]
