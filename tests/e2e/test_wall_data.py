"""The wallboard's data in a real browser (headless Chromium through Playwright) against a
real ``kefu serve``, with a baresip caller: the callers waiting in a queue (wait and
priority), the alerts for a long wait and a long not-ready (raised past the queue's
thresholds, cleared when the condition ends), the agents' sorting and state filter (kept
over a reload), an announcement to a group ticked in the list reaching its member's desk,
and toasts in the language of the moment.
"""

from __future__ import annotations

import time

import pytest

from .browser import BROWSER_MARKS
from .conftest import checked_pages, shell_browser, staffed, wait_for

pytestmark = BROWSER_MARKS

AGENTS = {"alice": "1001", "bob": "1002"}
AGENT_PW = "agent-password-1"
SUPERVISOR = ("sue", "supervisor-password-1")
CALLER = "1003"

# alerts at 2 s: a test's seconds for a call centre's minutes
QUEUES = """
[[queues]]
name = "sales"
number = "8001"
members = { alice = 5, bob = 3 }
tiers = { gold = 5 }
alert_wait = 2
alert_not_ready = 2

[[queues]]
name = "support"
number = "8002"
members = { bob = 1 }
alert_not_ready = 0
"""


@pytest.fixture(scope="module")
def kefu(tmp_path_factory):
    yield from staffed(tmp_path_factory.mktemp("kefu-wall-data"), QUEUES, AGENTS, AGENT_PW,
                       SUPERVISOR)


@pytest.fixture(scope="module")
def browser(kefu):
    yield from shell_browser(kefu)


@pytest.fixture
def pages(browser, kefu):
    """New pages for this test; afterwards: no uncaught page errors, agents logged out."""
    with checked_pages(browser, kefu, AGENTS):
        yield browser.page


def expect():
    from playwright.sync_api import expect as _expect
    return _expect


def sign_in(page, path: str, username: str, password: str) -> None:
    page.goto(f"/#{path}")
    page.fill("#login-username", username)
    page.fill("#login-password", password)
    page.click("#login-submit")
    expect()(page.locator(f"{path.replace('/', '#')}[data-ready='1']")).to_be_visible()


def login(kefu, username: str, ready: bool) -> None:
    status, body = kefu.api("POST", f"/agents/{username}/login",
                            {"extension": AGENTS[username], "ready": ready})
    assert status == 200, body


def agent_rows(page) -> list[str]:
    return page.locator("#agent-table tbody tr[data-agent]").evaluate_all(
        "rows => rows.map(r => r.dataset.agent)")


def test_waiting_caller_long_wait_and_not_ready_alerts(kefu, pages, phone):
    """alice logs in not ready, so a caller to sales waits: the wallboard lists it under
    the queue with a ticking wait and its priority (gold: 5, learned while waiting); past
    2 s both alerts show, with since when; each clears when its condition ends."""
    login(kefu, "alice", ready=False)
    wall = pages()
    sign_in(wall, "/wall", *SUPERVISOR)
    alice = wall.locator("#agent-table tr[data-agent=alice]")
    expect()(alice).to_have_attribute("data-alert", "not_ready", timeout=5000)
    expect()(alice).to_have_class("agent alert-not_ready")
    not_ready = wall.locator("#alerts li[data-key='not_ready:alice']")
    expect()(not_ready).to_contain_text("alice 示忙超过 00:02")
    expect()(not_ready).to_contain_text("自 ")
    assert wall.locator("#alerts li[data-alert=wait]").count() == 0

    caller = phone(CALLER, tone=440)
    caller.dial(kefu.uri("8001"))
    caller.wait_established()                       # kefu answers: music while waiting
    row = wall.locator("#queue-table tr[data-queue=sales]")
    expect()(row.locator("td.waiting")).to_have_text("1", timeout=5000)
    row.locator("[data-act=callers]").click()
    waiting = wall.locator("#queue-table tr[data-callers=sales] tr[data-caller='%s']" % CALLER)
    expect()(waiting).to_be_visible()
    expect()(waiting.locator(".position")).to_have_text("1")
    expect()(waiting.locator(".priority")).to_have_text("0")
    first = waiting.locator(".wait").inner_text()
    expect()(waiting.locator(".wait")).not_to_have_text(first, timeout=3000)    # it ticks

    (call,) = kefu.api("GET", "/queues/sales")[1]["calls"]
    status, body = kefu.api("PATCH", f"/live-calls/{call['call_id']}/data", {"tier": "gold"})
    assert status == 200, body
    expect()(waiting.locator(".priority")).to_have_text("5", timeout=5000)
    expect()(waiting.locator(".tier")).to_have_text("gold")

    wait_alert = wall.locator(f"#alerts li[data-key='wait:{call['call_id']}']")
    expect()(wait_alert).to_contain_text(f"{CALLER} 在 sales 排队超过 00:02", timeout=5000)
    expect()(row).to_have_class("alert alert-wait")
    expect()(waiting).to_have_class("alert-wait")
    expect()(wall.locator("#alerts")).to_have_attribute("data-count", "2")

    caller.hangup()                                 # the wait ends: its alert goes
    expect()(wait_alert).to_have_count(0, timeout=5000)
    expect()(row).not_to_have_class("alert alert-wait")
    alice.locator("[data-act=ready]").click()        # not ready ends: its alert goes
    expect()(not_ready).to_have_count(0, timeout=5000)
    expect()(alice).not_to_have_attribute("data-alert", "not_ready")
    expect()(wall.locator("#alerts")).to_have_attribute("data-count", "0")


def test_sorting_and_filter_kept_over_a_reload(kefu, pages):
    login(kefu, "alice", ready=False)
    login(kefu, "bob", ready=True)
    wall = pages()
    sign_in(wall, "/wall", *SUPERVISOR)
    wall.evaluate("localStorage.removeItem('kefu.wall.agents')")
    wall.reload()
    expect()(wall.locator("#wall[data-ready='1']")).to_be_visible()
    wait_for(lambda: agent_rows(wall)[:2] == ["alice", "bob"], what="by name")
    rows = agent_rows(wall)
    name = wall.locator("#agent-table th[data-sort=name]")
    name.click()                                    # a new column: ascending first
    expect()(name).to_have_attribute("aria-sort", "ascending")
    assert agent_rows(wall) == sorted(rows)
    name.click()
    expect()(name).to_have_attribute("aria-sort", "descending")
    assert agent_rows(wall) == sorted(rows, reverse=True)
    wall.locator("#agent-table th[data-sort=state]").click()
    assert agent_rows(wall)[:2] == ["bob", "alice"]          # ready before not ready

    wall.select_option("#filter-state", "not_ready")
    wait_for(lambda: agent_rows(wall) == ["alice"], what="only the not-ready agent")
    wall.select_option("#filter-state", "")
    wall.select_option("#filter-group", "support")            # bob is its only member
    wait_for(lambda: agent_rows(wall) == ["bob"], what="support's members")
    wall.select_option("#filter-group", "")
    wall.select_option("#filter-queue", "sales")              # logged in to sales: both
    wait_for(lambda: agent_rows(wall) == ["bob", "alice"], what="logged in to sales")
    wall.select_option("#filter-state", "ready")
    wall.reload()                                             # the filter is kept
    expect()(wall.locator("#wall[data-ready='1']")).to_be_visible()
    wait_for(lambda: agent_rows(wall) == ["bob"], what="the kept filter")
    expect()(wall.locator("#filter-state")).to_have_value("ready")
    expect()(wall.locator("#filter-queue")).to_have_value("sales")
    wall.click("#filter-clear")
    wait_for(lambda: set(agent_rows(wall)) == {"alice", "bob"}, what="no filter")
    wall.evaluate("localStorage.removeItem('kefu.wall.agents')")


def test_announcement_to_a_group_and_an_agent_from_the_lists(kefu, pages):
    """The supervisor ticks group support (bob) and agent alice in the form's lists: both
    desks get it; the lists come from the directory, not typed names."""
    bob, alice = pages(), pages()
    sign_in(bob, "/desk", "bob", AGENT_PW)
    sign_in(alice, "/desk", "alice", AGENT_PW)
    wall = pages()
    sign_in(wall, "/wall", *SUPERVISOR)
    assert wall.locator("#announce-form input[name=audience][type=text]").count() == 0
    expect()(wall.locator("#announce-agents [data-agent]")).to_have_count(2)
    wall.fill("#announce-form input[name=title]", "售后组例会")
    wall.fill("#announce-form textarea[name=body]", "周五 17:00 三楼会议室。")
    wall.check("#announce-groups input[name=groups][value=support]")
    wall.click("#announce-form button[type=submit]")
    item = bob.locator("#announcements li", has_text="售后组例会")
    expect()(item).to_have_class("unread", timeout=10000)      # live, from the event
    expect()(item.locator(".ann-group[data-group=support]")).to_have_count(1)
    expect()(alice.locator("#announcements li", has_text="售后组例会")).to_have_count(0)
    expect()(wall.locator("#announce-groups input[value=support]")).not_to_be_checked()

    wall.fill("#announce-form input[name=title]", "午餐提醒")
    wall.fill("#announce-form textarea[name=body]", "12:00 轮换就餐。")
    wall.check("#announce-agents [data-agent=alice] input")
    wall.click("#announce-form button[type=submit]")
    expect()(alice.locator("#announcements li", has_text="午餐提醒")).to_have_class(
        "unread", timeout=10000)
    expect()(wall.locator("#announcements li").first.locator(".ann-agents")).to_have_text("alice")
    bob.reload()
    expect()(bob.locator("#desk[data-ready='1']")).to_be_visible()
    expect()(bob.locator("#announcements li", has_text="售后组例会")).to_have_count(1)
    expect()(bob.locator("#announcements li", has_text="午餐提醒")).to_have_count(0)


def test_toasts_follow_the_language(kefu, pages):
    """A toast made after switching to English is English; one showing at the switch
    changes language with the page."""
    login(kefu, "alice", ready=False)
    wall = pages()
    sign_in(wall, "/wall", *SUPERVISOR)
    alice = wall.locator("#agent-table tr[data-agent=alice]")
    alice.locator("[data-act=ready]").click()
    toast = wall.locator("#toasts .toast").last
    expect()(toast).to_have_text("已执行")
    wall.click("#shell-lang")                         # while it shows
    expect()(toast).to_have_text("Done")
    expect()(wall.locator("#toasts .toast")).to_have_count(0, timeout=6000)
    expect()(alice.locator(".badge")).to_have_text("Ready", timeout=5000)
    alice.locator("[data-act=not_ready]").click()
    expect()(wall.locator("#toasts .toast").last).to_have_text("Done")
    wall.click("#shell-lang")
    expect()(wall.locator("#toasts .toast").last).to_have_text("已执行")
