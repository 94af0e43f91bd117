"""The desk's CRM parts in a real browser against a real ``kefu serve`` with baresip phones:
the screen pop shows the caller's customer with an earlier note from the one history, the
agent writes a note during the call (a type's required field checked first), and after
the call the customer's timeline holds the call's line, written from the event log.
It writes docs/img/desk-crm.png.

During the call the agent also opens a ticket from the desk (the tickets slice's form,
prefilled with the caller and the call); the customer's timeline then holds the call and
the ticket.
"""

from __future__ import annotations

import time

import pytest

from .browser import BROWSER_MARKS, screenshot
from .conftest import checked_pages, add_user, shell_browser, staffed, wait_for

pytestmark = BROWSER_MARKS

AGENT, EXTENSION, AGENT_PW = "alice", "1001", "agent-password-1"
CALLER, SECOND_CALLER = "1003", "1004"
QUEUES = """
[[queues]]
name = "sales"
number = "8001"
members = { alice = 5 }
ring_timeout = 20
wrap_up = 30
"""


@pytest.fixture(scope="module")
def kefu(tmp_path_factory):
    yield from staffed(tmp_path_factory.mktemp("kefu-crm-desk"), QUEUES, {AGENT: EXTENSION}, AGENT_PW)


@pytest.fixture(scope="module")
def browser(kefu, tmp_path_factory):
    yield from shell_browser(kefu, tmp_path_factory.mktemp("mic"), 700)


@pytest.fixture
def pages(browser, kefu):
    with checked_pages(browser, kefu, [AGENT]):
        yield browser.page


def expect():
    from playwright.sync_api import expect as _expect
    return _expect


def ready_desk(desk):
    """Alice signed in on the desk, logged in on her phone, ready."""
    desk.goto("/#/desk")
    desk.fill("#login-username", AGENT)
    desk.fill("#login-password", AGENT_PW)
    desk.click("#login-submit")
    expect()(desk.locator("#desk[data-ready='1']")).to_be_visible()
    desk.fill("#extension", EXTENSION)
    desk.check("input[name=device][value=phone]")
    desk.check("input[name=ready]")
    desk.click("#agent-login")
    expect()(desk.locator("#agent-session")).to_be_visible()
    return desk


def test_pop_note_during_the_call_and_the_calls_line(kefu, pages, phone):
    # the caller is known, with notes from five earlier calls (the latest: 上次咨询价格)
    for n, text in enumerate(["第一次", "第二次", "第三次", "第四次", "上次咨询价格"], 1):
        status, body = kefu.api("POST", f"/calls/earlier-{n}/notes", {
            "number": CALLER, "type": "inquiry", "result": "resolved", "notes": text,
            "name": "王小明"})
        assert status == 201, body
    customer_id = body["customer"]["id"]

    phone(EXTENSION, tone=1000, answermode="auto")
    caller = phone(CALLER, tone=440)
    desk = ready_desk(pages())

    caller.dial(kefu.uri("8001"))
    caller.wait_established()
    expect()(desk.locator("#state-badge")).to_have_text("通话中", timeout=15000)
    call_id = desk.wait_for_function("window.kefuDesk.call && window.kefuDesk.call.call_id",
                                     timeout=10000).json_value()

    # the pop: the customer, the earlier note in the history, the place of "new ticket"
    pop = desk.locator("#customer-panel")
    expect()(pop.locator("#customer-record")).to_contain_text("王小明", timeout=5000)
    note_line = pop.locator("#customer-history li.tl-item[data-kind=note]")
    expect()(note_line).to_have_count(5)
    expect()(note_line.first).to_contain_text("上次咨询价格")
    expect()(pop.locator("#desk-actions")).to_have_count(1)

    # a note during the call: a complaint needs its content, checked before sending
    form = desk.locator("#wrapup-panel[data-live='1'] #wrapup-form")
    expect()(form).to_be_visible()
    form.locator("select[name=type]").select_option("complaint")
    expect()(form.locator("textarea[name=notes]")).to_have_attribute("data-required", "1")
    form.locator("select[name=handling]").select_option("answered")
    form.locator("select[name=result]").select_option("follow_up")
    form.locator("button[type=submit]").click()
    expect()(desk.locator("#wrapup-error")).to_contain_text("备注")
    assert kefu.api("GET", f"/customers/{customer_id}/history")[1][0]["call_id"] == "earlier-5"
    form.locator("textarea[name=notes]").fill("送货延误,客户不满")
    form.locator("button[type=submit]").click()
    expect()(desk.locator("#notes-saved")).to_be_visible(timeout=5000)
    notes = kefu.api("GET", f"/customers/{customer_id}/history")[1]
    assert (notes[0]["call_id"], notes[0]["type"], notes[0]["handling"], notes[0]["queue"]) == (
        call_id, "complaint", "answered", "sales")
    expect()(desk.locator("#wrapup-panel")).to_have_attribute("data-live", "1")   # still on

    # a ticket from the desk during the call: the form knows the customer and the call
    pop.locator("#btn-new-ticket").click()
    ticket_form = pop.locator("#tk-create")
    expect()(ticket_form).to_be_visible(timeout=5000)
    expect()(ticket_form.locator("input[name=number]")).to_have_value(CALLER)
    ticket_form.locator("#tk-create-type").select_option("complaint")
    ticket_form.locator("input[name=title]").fill("送货延误投诉")
    ticket_form.locator("#tk-create-submit").click()
    expect()(ticket_form).to_have_count(0, timeout=5000)

    def the_ticket():
        status, page = kefu.api("GET", f"/tickets?customer_id={customer_id}")
        assert status == 200, page
        return page["items"]

    [ticket] = wait_for(the_ticket, what="the ticket made from the desk")
    assert (ticket["call_id"], ticket["type"], ticket["state"]) == (
        call_id, "complaint", "registered")

    # the caller hangs up: wrap-up; the call's line reaches the timeline (API and desk)
    caller.hangup()
    caller.wait_closed()
    expect()(desk.locator("#wrapup-panel")).to_have_attribute("data-live", "0", timeout=5000)

    def call_line():
        status, page = kefu.api("GET", f"/customers/{customer_id}/timeline?kinds=call")
        assert status == 200, page
        return [i for i in page["items"] if i["ref"] == call_id]

    [line] = wait_for(call_line, what="the call's timeline line")
    assert line["data"]["direction"] == "inbound" and line["data"]["agent"] == AGENT
    assert line["data"]["queue"] == "sales" and line["data"]["duration"] > 0
    kinds = [i["kind"] for i in kefu.api("GET", f"/customers/{customer_id}/timeline")[1]["items"]]
    assert {"call", "ticket", "note"} <= set(kinds[:4]), kinds   # this call's three
    desk_line = pop.locator(f"#customer-history li.tl-item[data-kind=call][data-ref='{call_id}']")
    expect()(desk_line).to_contain_text("呼入", timeout=10000)
    expect()(desk_line).to_contain_text(AGENT)
    # the desk scrolls its columns, not the page (it fits 1366×768): back to their tops
    desk.evaluate("document.querySelectorAll('.desk-grid > .col')"
                  ".forEach((c) => { c.scrollTop = 0; })")
    screenshot(desk, "desk-crm.png", full_page=False)
    # saved and kept: wrap-up shows the note saved during the call, to correct
    expect()(desk.locator("#wrapup-form textarea[name=notes]")).to_have_value("送货延误,客户不满")
    expect()(desk.locator("#wrapup-form select[name=type]")).to_have_value("complaint")
    # the last five lines (this call's ticket, note and line, two earlier notes), then "more";
    # the note is shown inside its call's line (one contact)
    expect()(desk_line.locator(".tl-joined li.tl-item[data-kind=note]")).to_contain_text("送货延误")
    notes = pop.locator("#customer-history li.tl-item[data-kind=note]")
    expect()(pop.locator("#customer-history li.tl-item")).to_have_count(5)
    expect()(notes.first).to_contain_text("送货延误")
    pop.locator("#customer-history .tl-more").click()
    expect()(notes).to_have_count(6)
    expect()(notes.last).to_contain_text("第一次")
    expect()(pop.locator("#customer-history .tl-more")).to_have_count(0)
    # the kind chips narrow the history to the calls, and back
    pop.locator("#customer-history .tl-chips button[data-kind=call]").click()
    expect()(notes).to_have_count(0)
    expect()(desk_line).to_be_visible()
    pop.locator("#customer-history .tl-chips button[data-kind=call]").click()
    expect()(notes).to_have_count(3)
    desk.click("#btn-wrapup-end")
    expect()(desk.locator("#wrapup-panel")).to_be_hidden(timeout=5000)


def test_an_unknown_caller_linked_to_an_existing_customer(kefu, pages, phone):
    """The pop for a number no customer has offers "link to an existing customer": found
    by name, the number is added to that customer, and the pop shows them."""
    status, known = kefu.api("POST", "/customers", {
        "name": "赵六", "company": "华北物流", "numbers": [{"number": "13900139000",
                                                           "label": "mobile"}]})
    assert status == 201, known
    phone(EXTENSION, tone=1000, answermode="auto")
    caller = phone(SECOND_CALLER, tone=440)
    desk = ready_desk(pages())
    caller.dial(kefu.uri("8001"))
    caller.wait_established()
    pop = desk.locator("#customer-panel")
    expect()(pop.locator("#customer-form")).to_be_visible(timeout=15000)
    link = pop.locator("#customer-link")
    link.locator("input[name=q]").fill("赵六")
    link.locator("button[type=submit]").click()
    link.locator(f"#customer-link-found button[data-link='{known['id']}']").click()
    expect()(pop.locator("#customer-record")).to_contain_text("赵六", timeout=5000)
    status, found = kefu.api("GET", f"/customers?number={SECOND_CALLER}")
    assert status == 200 and [c["id"] for c in found] == [known["id"]]
    assert found[0]["numbers"] == ["+8613900139000", SECOND_CALLER]
    caller.hangup()
    caller.wait_closed()
    expect()(desk.locator("#wrapup-panel")).to_have_attribute("data-live", "0", timeout=5000)
    desk.click("#btn-wrapup-end")


def test_note_statistics_page(kefu, pages):
    """统计分析: a supervisor's table of notes per type, then per agent."""
    add_user(kefu, "sue", "supervisor-password-1", role="supervisor")
    for call_id, type_ in (("s-1", "inquiry"), ("s-2", "inquiry"), ("s-3", "praise")):
        status, body = kefu.api("POST", f"/calls/{call_id}/notes", {
            "number": "13800138000", "type": type_, "result": "resolved"})
        assert status == 201, body
    page = pages()
    page.goto("/#/crm/notes")
    page.fill("#login-username", "sue")
    page.fill("#login-password", "supervisor-password-1")
    page.click("#login-submit")
    table = page.locator("#notes-stats[data-by=type]")
    # the notes of the other test are there too: counts at least these
    inquiry = table.locator("tr[data-key=inquiry]")
    expect()(inquiry).to_contain_text("咨询")
    assert int(inquiry.locator("td.total").inner_text()) >= 2
    expect()(table.locator("tr[data-key=praise] td.total")).to_have_text("1")
    page.select_option("#notes-stats-filter select[name=by]", "agent")
    page.click("#notes-stats-filter button[type=submit]")
    expect()(page.locator("#notes-stats[data-by=agent] tr[data-key=admin]")).to_be_visible()
