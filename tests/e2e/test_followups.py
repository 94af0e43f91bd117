"""A follow-up (回访) worked from the #/followups screen in headless Chromium against a real
``kefu serve``: the agent (amy, logged in on her desk phone, a baresip that answers by
itself) sees her group's overdue return visit highlighted, presses 呼叫; kefu rings her
phone first and then the customer's (another baresip), which rings and is answered: the
call is established between the two.  The follow-up is in progress with the call noted;
after the call the outcome form records "reached": done, with a line on the customer's
timeline.  The desk's component (``/static/followups/desk.js``, default export
``FollowupList``, placed on the desk by the desk's branch) lists her own due ones with the
call button.  Writes docs/img/followups.png."""

from __future__ import annotations

import time

import pytest

from .browser import BROWSER_MARKS, expect, open_screen, screenshot, session_on, shell_server
from .conftest import wait_for

pytestmark = BROWSER_MARKS

AGENT = ("amy", "agent-password-1", "1001")
CUSTOMER = "1003"
QUEUES = """
[[queues]]
name = "sales"
number = "8001"
members = { amy = 1 }
"""


@pytest.fixture(scope="module")
def kefu(tmp_path_factory):
    with shell_server(tmp_path_factory.mktemp("kefu-followups"), AGENT, extra=QUEUES) as server:
        yield server


@pytest.fixture
def browser(kefu):
    with session_on(kefu) as session:
        yield session


def signed_in(browser, username: str, password: str):
    page = browser.page("/")
    page.fill("#login-username", username)
    page.fill("#login-password", password)
    page.click("#login-submit")
    expect()(page.locator("#shell-nav")).to_be_visible()
    return page


def test_a_follow_up_started_from_the_list_rings_the_customer(kefu, browser, phone):
    agent_phone = phone(AGENT[2], tone=1000, answermode="auto")
    customer_phone = phone(CUSTOMER, tone=440, answermode="manual")
    status, customer = kefu.api("POST", "/customers", {"number": CUSTOMER, "name": "王芳"})
    assert status == 201, customer
    status, fu = kefu.api("POST", "/followups", {
        "kind": "visit", "number": CUSTOMER, "due_at": time.time() - 60, "group": "sales",
        "note": "投诉处理满意度回访"})
    assert status == 201, fu
    assert (fu["customer_id"], fu["overdue"], fu["assignee"]) == (customer["id"], True, "")
    status, login = kefu.api("POST", "/auth/login", {"username": AGENT[0], "password": AGENT[1]})
    assert status == 200, login
    token = login["token"]
    status, body = kefu.api("POST", f"/agents/{AGENT[0]}/login",
                            {"extension": AGENT[2], "device": "phone", "ready": False},
                            token=token)
    assert status == 200, body

    page = signed_in(browser, AGENT[0], AGENT[1])
    open_screen(page, "/followups")
    expect()(page.locator("#followups[data-ready='1']")).to_be_visible()
    page.click("#fu-groups")                          # her group's, not yet hers
    row = page.locator(f"#fu-list tr[data-id='{fu['id']}']")
    expect()(row).to_have_class("overdue")
    expect()(row.locator(".customer")).to_contain_text("王芳")
    screenshot(page, "followups.png")

    row.locator("button.call").click()
    # kefu rings amy's phone (it answers by itself), then the customer's: it rings, answers
    agent_phone.wait_established()
    customer_phone.wait_incoming()
    customer_phone.accept()
    customer_phone.wait_established()
    started = wait_for(lambda: (lambda r: r[1] if r[1].get("call_id") else None)(
        kefu.api("GET", f"/followups/{fu['id']}")), what="the call noted on the follow-up")
    assert (started["state"], started["attempts"], started["assignee"]) == (
        "in_progress", 1, AGENT[0])
    status, call = kefu.api("GET", f"/live-calls/{started['call_id']}")
    assert status == 200, call
    assert {m["number"] for m in call["members"]} >= {AGENT[2], CUSTOMER}

    customer_phone.hangup()
    agent_phone.wait_closed()
    form = row.locator("form.outcome")
    expect()(form).to_be_visible()
    form.locator("select[name=outcome]").select_option("reached")
    form.locator("input[name=note]").fill("客户满意")
    form.locator("button.save-outcome").click()
    done = wait_for(lambda: (lambda r: r[1] if r[1]["state"] == "done" else None)(
        kefu.api("GET", f"/followups/{fu['id']}")), what="the outcome recorded")
    assert (done["outcome"], done["call_id"]) == ("reached", started["call_id"])
    assert "客户满意" in done["note"]
    expect()(row).to_have_count(0)          # done: it leaves the list of open ones

    from kefu.crm.service import Crm
    from kefu.store import Store
    from kefu.users.service import Users
    store = Store(f"sqlite:///{kefu.data_dir / 'kefu.db'}")
    try:
        [line] = Crm(store.db, Users(store.db)).timeline(customer["id"], kinds=["followup"])
    finally:
        store.close()
    assert (line.ref, line.agent, line.data["outcome"], line.data["call_id"]) == (
        str(fu["id"]), AGENT[0], "reached", started["call_id"])


def test_the_desk_list_shows_my_due_follow_ups(kefu, browser):
    due = time.time() + 120
    status, mine = kefu.api("POST", "/followups", {
        "kind": "callback", "number": "13800138000", "due_at": due, "assignee": AGENT[0]})
    assert status == 201, mine
    status, other = kefu.api("POST", "/followups", {
        "kind": "callback", "number": "13900139000", "due_at": due, "group": "sales"})
    assert status == 201, other
    page = signed_in(browser, AGENT[0], AGENT[1])          # an agent lands on the desk
    page.wait_for_function("location.hash === '#/desk'")
    box = page.locator("#followups-panel #desk-followups")   # the desk's side panel
    expect()(box.locator(f"li[data-id='{mine['id']}']")).to_contain_text("+8613800138000")
    expect()(box.locator(f"li[data-id='{mine['id']}'] button.call")).to_have_text("呼叫")
    expect()(box.locator(f"li[data-id='{other['id']}']")).to_have_count(0)   # not hers yet
    # a follow-up given to her meanwhile appears through the events stream
    status, _ = kefu.api("PATCH", f"/followups/{other['id']}", {"assignee": AGENT[0]})
    assert status == 200
    expect()(box.locator(f"li[data-id='{other['id']}']")).to_be_visible()


def test_a_new_follow_up_from_the_form_is_mine_and_a_bad_number_is_refused(kefu, browser):
    page = signed_in(browser, AGENT[0], AGENT[1])
    open_screen(page, "/followups")
    expect()(page.locator("#followups[data-ready='1']")).to_be_visible()
    page.click("#fu-new")
    form = page.locator("#fu-form")
    form.locator("input[name=number]").fill("not a number")
    form.locator("button[type=submit]").click()
    expect()(page.locator("#toasts .toast.error")).to_contain_text("not a phone number")
    form.locator("input[name=number]").fill("139 0013 9001")
    form.locator("input[name=note]").fill("客户要求下午回电")
    form.locator("button[type=submit]").click()
    row = page.locator("#fu-list tr", has_text="+8613900139001")
    expect()(row).to_contain_text("客户要求下午回电")
    expect()(row.locator("button.call")).to_be_visible()
    status, page_ = kefu.api("GET", "/followups?state=pending")
    [made] = [f for f in page_["items"] if f["number"] == "+8613900139001"]
    assert (made["assignee"], made["created_by"], made["kind"]) == (AGENT[0], AGENT[0], "callback")
    assert made["due_at"] > time.time() + 3000     # the form's default: in an hour
