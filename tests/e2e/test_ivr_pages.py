"""The IVR screens in headless Chromium against a real ``kefu serve``: an admin creates a
flow, types one with an error and sees the problem naming the node (its line marked),
fixes it, sees the diagram (the nodes and the digits on the arrows, as SVG text),
publishes version 1, publishes a second, and rolls back to the first.  The other IVR
screens open for their roles.  The statistics page shows walks stored in call_events: the
figures, the chart, the node funnel, the menu choices, the hang-up points, a flow picked.
Writes docs/img/ivr-flow.png and docs/img/ivr-stats.png."""

from __future__ import annotations

import time

import pytest


from .browser import BROWSER_MARKS, expect, open_screen, screenshot, session_on, shell_server

pytestmark = BROWSER_MARKS

ADMIN = ("admin", "admin-password-1")       # conftest's admin
AGENT = ("amy", "agent-password-1", "1001")

FLOW = """name: hotline
start: menu
nodes:
  menu:
    type: menu
    label: 主菜单
    prompt: "查询余额请按1,人工服务请按2"
    choices:
      "1": balance
      "2": agents
    fallback: bye
  balance:
    type: play
    prompt: "您的余额是一百元"
    next: bye
  agents:
    type: queue
    queue: support
    fallback: bye
  bye:
    type: hangup
"""


@pytest.fixture(scope="module")
def kefu(tmp_path_factory):
    with shell_server(tmp_path_factory.mktemp("kefu-ivr-pages"), AGENT) as server:
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


def svg_texts(page) -> list[str]:
    return page.locator("#flow-diagram svg text").all_text_contents()


def test_admin_writes_checks_draws_publishes_and_rolls_back_a_flow(browser):
    page = signed_in(browser, *ADMIN)
    open_screen(page, "/ivr/flows")
    page.wait_for_function("location.hash === '#/ivr/flows'")
    page.fill("#flow-create input[name=name]", "hotline")
    page.fill("#flow-create input[name=description]", "客服热线")
    page.click("#flow-create button[type=submit]")
    expect()(page.locator("#flow-page[data-flow=hotline]")).to_be_visible()
    expect()(page.locator("#flow-status")).to_have_attribute("data-state", "valid")  # the starter

    # an arrow to a node that does not exist: the problem names the node, its line is marked
    broken = FLOW.replace('"2": agents', '"2": billing')
    page.fill("#flow-text", broken)
    problem = page.locator("#flow-problems li", has_text="node `menu`: digit 2 goes to `billing`")
    expect()(problem).to_be_visible()
    menu_line = broken.split("\n").index("  menu:") + 1
    expect()(problem).to_have_attribute("data-line", str(menu_line))
    expect()(page.locator(f".ivr-editor .gutter div.bad[data-line='{menu_line}']")).to_be_visible()
    expect()(page.locator("#flow-publish")).to_be_disabled()
    expect()(page.locator("#flow-diagram .node.missing[data-node=billing]")).to_be_visible()

    # fixed: valid, and the diagram has the nodes and the labelled arrows
    page.fill("#flow-text", FLOW)
    expect()(page.locator("#flow-status")).to_have_attribute("data-state", "valid")
    expect()(page.locator("#flow-diagram .node.missing")).to_have_count(0)
    expect()(page.locator("#flow-diagram .node")).to_have_count(4)
    texts = svg_texts(page)
    for caption in ("主菜单", "balance", "agents", "bye", "1", "2", "timeout / invalid", "refused"):
        assert caption in texts, (caption, texts)
    digit = page.locator("#flow-diagram .edge.digit[data-from=menu][data-to=balance] text")
    expect()(digit).to_have_text("1")

    page.click("#flow-publish")                        # saves the draft, then publishes
    expect()(page.locator("#flow-published")).to_contain_text("1")
    expect()(page.locator("#flow-versions tr[data-version='1']")).to_have_attribute("data-status", "published")
    screenshot(page, "ivr-flow.png")

    page.fill("#flow-text", FLOW.replace("一百元", "两百元"))
    expect()(page.locator("#flow-status")).to_have_attribute("data-state", "valid")
    page.click("#flow-publish")
    expect()(page.locator("#flow-versions tr[data-version='2']")).to_have_attribute("data-status", "published")
    expect()(page.locator("#flow-versions tr[data-version='1']")).to_have_attribute("data-status", "retired")

    page.click("#flow-versions tr[data-version='1'] .rollback")     # confirm() is accepted
    row = page.locator("#flow-versions tr[data-version='3']")
    expect()(row).to_have_attribute("data-status", "published")
    expect()(row).to_contain_text("← 1")
    expect()(page.locator("#flow-text")).to_have_value(FLOW)        # version 1's text again

    page.click("#flow-back")
    row = page.locator("#ivr-flows tr[data-flow=hotline]")
    expect()(row).to_contain_text("客服热线")
    expect()(row.locator("td").nth(2)).to_have_text("3")


def test_the_other_ivr_screens_open_for_their_roles(browser):
    page = signed_in(browser, *ADMIN)
    open_screen(page, "/ivr/prompts")
    page.set_input_files("#prompt-upload input[type=file]",
                         files=[{"name": "broken.wav", "mimeType": "audio/wav", "buffer": b"RIFF nonsense"}])
    page.fill("#prompt-upload input[name=name]", "welcome")
    page.click("#prompt-upload button[type=submit]")
    expect()(page.locator("#prompt-refused")).to_contain_text("422")
    open_screen(page, "/ivr/records")
    expect()(page.locator("#ivr-records")).to_contain_text("暂无")
    open_screen(page, "/ivr/voicemail")
    expect()(page.locator("#ivr-voicemail")).to_be_visible()

    agent = signed_in(browser, AGENT[0], AGENT[1])
    open_screen(agent, "/ivr/voicemail")
    expect()(agent.locator("#ivr-voicemail")).to_contain_text("暂无")


def ivr_walks(now: float) -> list:
    """Six walks of ``hotline`` a minute apart ending at ``now``: three to the queue, one
    self-served, two hung up in the menu (one after an invalid key)."""
    from kefu.bus import Event

    out = []
    for i, (key, end) in enumerate([("2", "queue"), ("1", "hangup"), ("2", "queue"), ("2", "queue"),
                                    (None, "caller_hangup"), ("9", "caller_hangup")]):
        t, call = now - 360 + 60 * i, f"stats-{i}"

        def ev(type_, node, **data):  # type: ignore[no-untyped-def]
            out.append(Event(f"ivr.{type_}", call, {"flow": "hotline", "node": node, **data}, t))
        ev("start", "menu", version=1, caller="13900000000")
        ev("node", "menu", type="menu")
        if key == "9":
            ev("invalid", "menu", digits="9", problem="not a choice", attempt=1)
        elif key:
            to = {"1": "balance", "2": "agents"}[key]
            ev("choice", "menu", key=key, to=to)
            ev("node", to, type="play" if key == "1" else "queue")
            if key == "1":
                ev("node", "bye", type="hangup")
        node = {"queue": "agents", "hangup": "bye"}.get(end, "menu")
        ev("exit", node, reason=end, **({"to": "support"} if end == "queue" else {}))
    return out


def test_the_statistics_page(kefu, browser):
    from kefu.store import Store

    midnight = time.mktime(time.localtime()[:3] + (0, 0, 0, 0, 0, -1))
    store = Store(f"sqlite:///{(kefu.dir / 'data' / 'kefu.db').resolve()}")
    store.append_events(ivr_walks(max(time.time(), midnight + 400)))
    store.close()

    page = signed_in(browser, *ADMIN)
    open_screen(page, "/ivr/stats")
    page.wait_for_function("location.hash === '#/ivr/stats'")
    expect()(page.locator("#stats-summary [data-figure=entered] b")).to_have_text("6")
    expect()(page.locator("#stats-summary [data-figure=completion_rate] b")).to_have_text("16.7%")
    expect()(page.locator("#stats-summary [data-figure=queues]")).to_contain_text("support 3")
    expect()(page.locator("#stats-definition")).to_contain_text("自助完成率 = 自助完成 / 结束")
    assert page.locator("#stats-chart .bar").count() >= 1
    flow = page.locator(".stats-flow[data-flow=hotline]")
    expect()(flow.locator(".stats-funnel tr[data-node=menu] td").nth(1)).to_have_text("6")
    expect()(flow.locator(".stats-funnel tr[data-node=agents] td").nth(1)).to_have_text("3")
    expect()(flow.locator(".stats-choices tr[data-node=menu][data-key='2'] td").nth(3)).to_have_text("3")
    expect()(flow.locator(".stats-hangups tr[data-node=menu] td").nth(1)).to_have_text("2")
    page.select_option("#stats-filter select[name=flow]", "hotline")
    page.select_option("#stats-filter select[name=interval]", "15m")
    page.click("#stats-filter button[type=submit]")
    expect()(page.locator("#stats-intervals tbody tr[data-label]").first).to_be_visible()
    expect()(page.locator(".stats-flow")).to_have_count(1)
    screenshot(page, "ivr-stats.png")

    agent = signed_in(browser, AGENT[0], AGENT[1])
    expect()(agent.locator("#shell-nav a[data-path='/ivr/voicemail']")).to_be_visible()
    expect()(agent.locator("#shell-nav a[data-path='/ivr/stats']")).to_have_count(0)
