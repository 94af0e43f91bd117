"""The desk's screen pop with the caller's history, in a real browser against a real
``kefu serve`` with baresip phones: a caller no customer has calls, the agent answers and
writes a complaint note during the call, which wrap-up then shows saved (not a blank
form); the same caller calls again and the pop shows, while the call is only offered, the
first call and its note as one contact; the agent's recent calls list the first call, and
its call-back button rings the caller's phone.  It writes docs/img/desk-history.png.
"""

from __future__ import annotations

import time

import pytest

from .browser import BROWSER_MARKS, screenshot
from .conftest import checked_pages, shell_browser, staffed, wait_for
from .test_crm_desk import AGENT, EXTENSION, expect, ready_desk

pytestmark = BROWSER_MARKS

CALLER = "1003"
NOTE = "快递三天未到,客户要求赔偿"
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
    yield from staffed(tmp_path_factory.mktemp("kefu-desk-history"), QUEUES, {AGENT: EXTENSION},
                       "agent-password-1")


@pytest.fixture(scope="module")
def browser(kefu):
    yield from shell_browser(kefu)


@pytest.fixture
def pages(browser, kefu):
    with checked_pages(browser, kefu, [AGENT]):
        yield browser.page


def end_wrap_up(desk):
    """Once the agent is in wrap-up (its events all in), end it from the desk."""
    expect()(desk.locator("#wrapup-panel")).to_have_attribute("data-live", "0", timeout=5000)
    expect()(desk.locator("#state-badge")).to_have_text("话后处理", timeout=5000)
    desk.click("#btn-wrapup-end")
    expect()(desk.locator("#wrapup-panel")).to_be_hidden(timeout=5000)
    expect()(desk.locator("#state-badge")).to_have_text("空闲", timeout=5000)


def test_second_call_pops_the_first_calls_note_and_call_back(kefu, pages, phone):
    agent_phone = phone(EXTENSION, tone=1000, answermode="auto")
    caller = phone(CALLER, tone=440)
    desk = ready_desk(pages())
    pop = desk.locator("#customer-panel")
    recent = desk.locator("#recent-panel")
    expect()(recent.locator("#recent-calls-none")).to_be_visible(timeout=5000)

    # the first call: a stranger (the new-customer form), answered by the phone
    caller.dial(kefu.uri("8001"))
    caller.wait_established()
    expect()(desk.locator("#state-badge")).to_have_text("通话中", timeout=15000)
    first = desk.wait_for_function("window.kefuDesk.call && window.kefuDesk.call.call_id",
                                   timeout=10000).json_value()
    expect()(pop.locator("#customer-form")).to_be_visible(timeout=5000)
    pop.locator("#customer-form input[name=name]").fill("李四")   # saved with the note

    # a complaint note while talking
    form = desk.locator("#wrapup-panel[data-live='1'] #wrapup-form")
    form.locator("select[name=type]").select_option("complaint")
    form.locator("select[name=handling]").select_option("ticket")
    form.locator("select[name=result]").select_option("follow_up")
    form.locator("textarea[name=notes]").fill(NOTE)
    form.locator("button[type=submit]").click()
    expect()(desk.locator("#notes-saved")).to_be_visible(timeout=5000)

    # hung up: wrap-up shows the saved note to correct, not a blank form
    caller.hangup()
    caller.wait_closed()
    wrap = desk.locator("#wrapup-panel[data-live='0'] #wrapup-form")
    expect()(wrap).to_have_attribute("data-saved", "1", timeout=5000)
    expect()(wrap.locator("textarea[name=notes]")).to_have_value(NOTE)
    expect()(wrap.locator("select[name=type]")).to_have_value("complaint")
    expect()(wrap.locator("select[name=handling]")).to_have_value("ticket")
    expect()(desk.locator("#state-badge")).to_have_text("话后处理", timeout=5000)
    wrap.locator("button[type=submit]").click()          # unchanged: nothing added, wrap-up ends
    expect()(desk.locator("#wrapup-panel")).to_be_hidden(timeout=5000)
    status, [customer] = kefu.api("GET", f"/customers?number={CALLER}")
    assert status == 200
    notes = kefu.api("GET", f"/customers/{customer['id']}/history")[1]
    assert [(n["call_id"], n["type"], n["notes"]) for n in notes] == [(first, "complaint", NOTE)]

    # the recent calls: the first call, inbound, answered, with the customer's name
    row = recent.locator(f"#recent-calls tr[data-call='{first}']")
    expect()(row).to_contain_text(CALLER, timeout=10000)
    expect()(row.locator(".rc-name")).to_have_text("李四")
    expect()(row).to_contain_text("呼入")
    expect()(row).to_contain_text("已接听")

    # the second call, only offered (the phone does not answer): the pop has the first
    # call with its note as one contact
    agent_phone.set_answermode("manual")
    agent_phone.drain()
    caller.drain()
    caller.dial(kefu.uri("8001"))
    agent_phone.wait_incoming(timeout=15000)
    expect()(desk.locator("#offer-panel")).to_be_visible(timeout=5000)
    contact = pop.locator(f"#customer-history li.tl-item[data-kind=call][data-ref='{first}']")
    expect()(contact).to_contain_text("呼入", timeout=5000)
    joined = contact.locator(".tl-joined li.tl-item[data-kind=note]")
    expect()(joined).to_contain_text(NOTE)
    expect()(joined).to_contain_text("投诉")
    expect()(pop.locator("#customer-history > .timeline > .tl-list > li[data-kind=note]")).to_have_count(0)
    # the desk scrolls its columns, not the page (it fits 1366×768): back to their tops
    desk.evaluate("document.querySelectorAll('.desk-grid > .col')"
                  ".forEach((c) => { c.scrollTop = 0; })")
    screenshot(desk, "desk-history.png", full_page=False)
    agent_phone.accept()
    expect()(desk.locator("#state-badge")).to_have_text("通话中", timeout=10000)
    caller.hangup()
    caller.wait_closed()
    end_wrap_up(desk)

    # call back from the recent calls: the desk's click-to-call rings the caller's phone
    expect()(recent.locator("#recent-calls tbody tr")).to_have_count(2, timeout=10000)
    agent_phone.set_answermode("auto")
    caller.drain()
    row.locator("button.rc-dial").click()
    caller.wait_incoming(timeout=15000)
    caller.hangup()
    wait_for(lambda: not kefu.api("GET", "/live-calls")[1], timeout=10, what="the call-back's end")
    # the call-back is the newest of the recent calls: outbound, to the caller
    expect()(recent.locator("#recent-calls tbody tr")).to_have_count(3, timeout=10000)
    newest = recent.locator("#recent-calls tbody tr").first
    expect()(newest).to_have_attribute("data-number", CALLER)
    expect()(newest).to_contain_text("呼出")
    expect()(newest.locator(".rc-name")).to_have_text("李四")


def test_a_strangers_second_call_pops_its_first_call(kefu, pages, phone):
    """A number no customer has, called before without a note: the pop lists that call
    (from the CDRs) with a call-back link."""
    stranger = "1004"
    agent_phone = phone(EXTENSION, tone=1000, answermode="auto")
    caller = phone(stranger, tone=440)
    desk = ready_desk(pages())
    caller.dial(kefu.uri("8001"))
    caller.wait_established()
    first = desk.wait_for_function("window.kefuDesk.call && window.kefuDesk.call.call_id",
                                   timeout=15000).json_value()
    caller.hangup()
    caller.wait_closed()
    end_wrap_up(desk)

    agent_phone.set_answermode("manual")
    agent_phone.drain()
    caller.dial(kefu.uri("8001"))
    agent_phone.wait_incoming(timeout=15000)
    pop = desk.locator("#customer-panel")
    expect()(pop.locator("#customer-form")).to_be_visible(timeout=5000)
    row = pop.locator(f"#number-calls tr[data-call='{first}']")
    expect()(row).to_contain_text("呼入", timeout=5000)
    expect()(row).to_contain_text("已接听")
    expect()(row.locator("button.rc-dial")).to_be_visible()
    caller.hangup()
    caller.wait_closed()
    expect()(desk.locator("#offer-panel")).to_be_hidden(timeout=10000)
