"""The knowledge base in the desk, in headless Chromium against a real ``kefu serve`` with
baresip phones: an agent in a call from the ``aftersales`` queue sees an article suggested
because of that queue; types, opens an article and inserts it into the call's note (saved:
the note holds it); walks a guided tree to its solution with one 上一步 on the way and
finishes, and the call's notes (API) hold the path.  A supervisor's tree editor refuses a
tree with a dead end and shows the problem on its node, then saves it mended.
"""

from __future__ import annotations


import pytest

from .browser import BROWSER_MARKS, expect
from .conftest import checked_pages, shell_browser, staffed, wait_for

pytestmark = BROWSER_MARKS

AGENT, EXTENSION, AGENT_PW = "alice", "1001", "agent-password-1"
SUPERVISOR = ("sam", "super-password-1")
CALLER = "1003"
QUEUES = """
[[queues]]
name = "aftersales"
number = "8002"
members = { alice = 5 }
ring_timeout = 20
wrap_up = 60
"""


def _ok(result, code=200):
    status, body = result
    assert status == code, body
    return body


@pytest.fixture(scope="module")
def kefu(tmp_path_factory):
    yield from staffed(tmp_path_factory.mktemp("kefu-kb-desk"), QUEUES, {AGENT: EXTENSION},
                       AGENT_PW, supervisor=SUPERVISOR)


@pytest.fixture(scope="module")
def kb(kefu):
    """Three published articles and an enabled tree (as admin, an approver)."""
    cat = _ok(kefu.api("POST", "/kb/categories", {"name": "售后"}), 201)["id"]

    def article(title, body, keywords=()):
        a = _ok(kefu.api("POST", "/kb/articles", {
            "category_id": cat, "title": title, "body": body, "keywords": list(keywords),
            "visibility": "internal", "submit": True}), 201)
        _ok(kefu.api("POST", f"/kb/articles/{a['id']}/versions/1/approve", {"comment": ""}))
        return a["id"]

    ids = {"policy": article("售后服务政策", "售后服务时间为每天九点到二十一点。", ["aftersales"]),
           "freight": article("退货运费谁出", "七天无理由退货的运费由买家承担。"),
           "signed": article("已签收商品的退货", "签收七天内可申请退货,请保留包装。")}
    shape = {"nodes": [{"id": "q1", "kind": "question", "text": "商品签收了吗?"},
                       {"id": "q2", "kind": "question", "text": "超过七天了吗?"},
                       {"id": "s1", "kind": "solution", "article_id": ids["signed"]},
                       {"id": "s2", "kind": "solution", "article_id": ids["freight"]}],
             "edges": [{"source": "q1", "target": "q2", "label": "已签收"},
                       {"source": "q1", "target": "s2", "label": "未签收"},
                       {"source": "q2", "target": "s2", "label": "超过"},
                       {"source": "q2", "target": "s1", "label": "未超过"}]}
    tree = _ok(kefu.api("POST", "/kb/trees", {"category_id": cat, "title": "退货判断",
                                              "enabled": True, "shape": shape}), 201)
    return {**ids, "category": cat, "tree": tree["id"]}


@pytest.fixture(scope="module")
def browser(kefu, tmp_path_factory):
    yield from shell_browser(kefu, tmp_path_factory.mktemp("mic"), 700)


@pytest.fixture
def pages(browser, kefu):
    with checked_pages(browser, kefu, [AGENT]):
        yield browser.page


def signed_in(page, username, password, route):
    page.goto(f"/#{route}")
    page.fill("#login-username", username)
    page.fill("#login-password", password)
    page.click("#login-submit")
    return page


def ready_desk(desk):
    signed_in(desk, AGENT, AGENT_PW, "/desk")
    expect()(desk.locator("#desk[data-ready='1']")).to_be_visible()
    desk.fill("#extension", EXTENSION)
    desk.check("input[name=device][value=phone]")
    desk.check("input[name=ready]")
    desk.click("#agent-login")
    expect()(desk.locator("#agent-session")).to_be_visible()
    return desk


def test_suggest_insert_and_walk_in_a_call(kefu, kb, pages, phone):
    phone(EXTENSION, tone=1000, answermode="auto")
    caller = phone(CALLER, tone=440)
    desk = ready_desk(pages())
    panel = desk.locator("#kb-panel")
    expect()(panel.locator("#kbd-hot, #kbd-hot-none")).to_have_count(1)      # idle: 常问问题

    caller.dial(kefu.uri("8002"))
    caller.wait_established()
    expect()(desk.locator("#state-badge")).to_have_text("通话中", timeout=15000)
    call_id = desk.wait_for_function("window.kefuDesk.call && window.kefuDesk.call.call_id",
                                     timeout=10000).json_value()
    expect()(panel).to_have_attribute("data-call", call_id)

    # suggested because of the queue the call came through
    policy = panel.locator(f"#kbd-suggested li[data-article='{kb['policy']}']")
    expect()(policy).to_be_visible(timeout=10000)
    expect()(policy.locator(".kbd-why span[data-kind=queue]")).to_have_text("队列: aftersales")

    # typed: search as you type, open the article, insert it into the note, save the note
    panel.locator("#kbd-q").press_sequentially("退货运费", delay=40)
    hit = panel.locator(f"#kbd-results li[data-article='{kb['freight']}']")
    expect()(hit).to_be_visible(timeout=10000)
    hit.locator(".kbd-title").click()
    expect()(panel.locator("#kbd-article")).to_contain_text("运费由买家承担")
    panel.locator("#kbd-insert").click()
    note = desk.locator("#wrapup-form textarea[name=notes]")
    expect()(note).to_have_value("退货运费谁出\n七天无理由退货的运费由买家承担。")
    note.press("End")
    note.type("\n客户接受")
    desk.locator("#wrapup-form button[type=submit]").click()
    expect()(desk.locator("#notes-saved")).to_be_visible(timeout=5000)

    # the guided walk: 已签收 → (上一步) → 未签收 → the solution; 完成 writes the path
    panel.locator("#kbd-q").fill("")
    panel.locator("#kbd-walk").click()
    walk = panel.locator("#kbd-walk-panel")
    walk.locator(f"button[data-tree='{kb['tree']}']").click()
    expect()(walk.locator("#kbd-question")).to_have_text("商品签收了吗?")
    expect()(walk.locator("#kbd-walk-back")).to_be_disabled()
    walk.locator("button[data-answer='已签收']").click()
    expect()(walk.locator("#kbd-question")).to_have_text("超过七天了吗?")
    expect()(walk.locator("#kbd-path li")).to_have_count(1)
    walk.locator("#kbd-walk-back").click()
    expect()(walk.locator("#kbd-question")).to_have_text("商品签收了吗?")
    expect()(walk.locator("#kbd-path li")).to_have_count(0)
    walk.locator("button[data-answer='未签收']").click()
    expect()(walk).to_have_attribute("data-at", "s2")
    expect()(walk.locator("#kbd-solution")).to_contain_text("运费由买家承担")
    walk.locator("#kbd-walk-finish").click()
    expect()(walk).to_have_count(0, timeout=5000)

    [customer] = _ok(kefu.api("GET", f"/customers?number={CALLER}"))

    def call_notes():
        history = _ok(kefu.api("GET", f"/customers/{customer['id']}/history"))
        notes = [n["notes"] for n in history if n["call_id"] == call_id]
        return notes if len(notes) == 2 else None

    notes = wait_for(call_notes, what="the call's two notes")
    assert any("七天无理由退货的运费由买家承担" in n and "客户接受" in n for n in notes), notes
    [path] = [n for n in notes if "退货判断" in n]
    assert "商品签收了吗? → 未签收" in path and "退货运费谁出" in path, path
    assert "已签收" not in path.replace("未签收", ""), path        # the step taken back is gone
    [w] = _ok(kefu.api("GET", f"/kb/walks?call_id={call_id}"))
    assert w["state"] == "finished" and [p["answer"] for p in w["path"]] == ["未签收"]
    # wrap-up: the call has ended; its suggestions come from the event log (for its agent only)
    caller.hangup()
    caller.wait_closed()
    expect()(desk.locator("#wrapup-panel")).to_have_attribute("data-live", "0", timeout=5000)
    expect()(panel).to_have_attribute("data-call", call_id)
    token = _ok(kefu.api("POST", "/auth/login", {"username": AGENT, "password": AGENT_PW}))["token"]
    after = _ok(kefu.api("GET", f"/kb/suggest?call_id={call_id}", token=token))
    assert {"kind": "queue", "text": "aftersales"} in next(
        s["reasons"] for s in after if s["article"]["id"] == kb["policy"])
    sam = _ok(kefu.api("POST", "/auth/login", dict(zip(("username", "password"), SUPERVISOR))))
    assert _ok(kefu.api("GET", f"/kb/suggest?call_id={call_id}", token=sam["token"]))
    status, body = kefu.api("GET", "/kb/suggest?call_id=no-such-call", token=token)
    assert status == 404, body


def test_the_editor_refuses_a_dead_end_and_shows_it_on_the_node(kefu, kb, pages):
    page = signed_in(pages(), *SUPERVISOR, "/kb/trees")
    editor = page.locator("#kb-trees")
    expect()(editor.locator(f"#kbt-list li[data-tree='{kb['tree']}']")).to_contain_text("退货判断")
    editor.locator("#kbt-new").click()
    editor.locator("#kbt-title").fill("发票问题")
    editor.locator("button[data-edit=q1]").click()
    editor.locator("#kbt-node-form input[name=text]").fill("需要发票吗?")
    editor.locator("#kbt-node-form button[type=submit]").click()
    expect()(editor.locator(".kbt-node[data-node=q1] .kbt-text")).to_have_text("需要发票吗?")

    # a question with no answers: saving is refused, the problem shown on q1
    editor.locator("#kbt-save").click()
    expect()(editor.locator("#kbt-error")).to_contain_text("未保存")
    expect()(editor.locator(".kbt-problems[data-node=q1]")).to_contain_text("死胡同")
    assert [t["title"] for t in _ok(kefu.api("GET", "/kb/trees"))] == ["退货判断"]

    # mended: an answer leading to a new solution whose article is picked by search
    editor.locator("button[data-add-answer=q1]").click()
    form = editor.locator("#kbt-answer-form")
    form.locator("input[name=label]").fill("需要")
    form.locator("select[name=target]").select_option("+solution")
    form.locator("button[type=submit]").click()
    editor.locator("button[data-edit=s1]").click()
    editor.locator("#kbt-node-form input[name=article_q]").press_sequentially("售后", delay=40)
    editor.locator(f"#kbt-article-hits button[data-pick='{kb['policy']}']").click()
    editor.locator("#kbt-node-form button[type=submit]").click()
    expect()(editor.locator(".kbt-node[data-node=s1] .kbt-text")).to_have_text("售后服务政策")
    expect()(editor.locator(".kbt-problems")).to_have_count(0)
    editor.locator("button.kbt-answer[data-answer='需要']").click()        # an answer renamed
    editor.locator("#kbt-edge-form input[name=label]").fill("需要发票")
    editor.locator("#kbt-edge-form button[type=submit]").click()
    editor.locator("#kbt-check").click()
    expect()(editor.locator("#kbt-ok")).to_be_visible()
    editor.locator("#kbt-save").click()
    expect()(editor.locator("#kbt-list li", has_text="发票问题")).to_be_visible()
    # the other tree: a solution two answers reach is drawn once, then referred to
    editor.locator(f"#kbt-list li[data-tree='{kb['tree']}'] button").click()
    expect()(editor.locator(".kbt-node[data-node=s2]")).to_have_count(1)
    expect()(editor.locator("#kbt-outline")).to_contain_text("↪ s2 退货运费谁出")
    saved = [t for t in _ok(kefu.api("GET", "/kb/trees")) if t["title"] == "发票问题"]
    assert [(n["id"], n["article_id"]) for n in saved[0]["shape"]["nodes"]] == [
        ("q1", None), ("s1", kb["policy"])]
    assert saved[0]["shape"]["edges"] == [{"source": "q1", "target": "s1", "label": "需要发票"}]


def test_a_tickets_reply_box_takes_an_article(kefu, kb, pages):
    ticket = _ok(kefu.api("POST", "/tickets", {"type": "inquiry", "title": "退货运费",
                                               "number": CALLER}), 201)
    page = signed_in(pages(), *SUPERVISOR, f"/tickets/{ticket['id']}")
    reply = page.locator("#tk-comment")
    reply.locator("textarea[name=body]").fill("您好,")
    reply.locator("#tk-kb").click()
    reply.locator("#kbd-picker-q").press_sequentially("运费", delay=40)
    reply.locator(f"#kbd-picker-results button[data-insert='{kb['freight']}']").click()
    expect()(reply.locator("textarea[name=body]")).to_have_value(
        "您好,\n退货运费谁出\n七天无理由退货的运费由买家承担。")
    reply.locator("button[type=submit]").click()
    expect()(page.locator("#tk-comments li", has_text="运费由买家承担")).to_have_count(1)
