"""The web shell (/) in headless Chromium against a real ``kefu serve``: one sign-in,
navigation by role, the client-side router, the screens as components of the page (no
frames), one events socket shared by them, the language switch reaching every screen,
the old page URLs redirecting into the routes, and nothing loaded from outside
127.0.0.1 (Preact, htm and signals come from the npm packages kefu serves), the
navigation's menus and the administration of users and extensions.  Writes
docs/img/shell.png and docs/img/admin.png."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest


from .browser import BROWSER_MARKS, expect, open_screen, screenshot, session_on, shell_server

pytestmark = BROWSER_MARKS

AGENT = ("amy", "agent-password-1", "1001")
ADMIN = ("admin", "admin-password-1")       # conftest's admin


@pytest.fixture(scope="module")
def kefu(tmp_path_factory):
    queue = '[[queues]]\nname = "sales"\nnumber = "8001"\nmembers = { amy = 1 }\n'
    with shell_server(tmp_path_factory.mktemp("kefu-shell"), AGENT, queue) as server:
        yield server


@pytest.fixture
def browser(kefu):
    with session_on(kefu) as session:
        yield session


def open_signed_in(browser, username: str, password: str):
    """The shell at /, signed in; every URL it asked for is in ``page.requested``."""
    page = browser.page()
    requested: list[str] = []
    page.context.on("request", lambda r: requested.append(r.url))
    page.requested = requested
    page.goto("/")
    page.fill("#login-username", username)
    page.fill("#login-password", password)
    page.click("#login-submit")
    expect()(page.locator("#shell-nav")).to_be_visible()
    return page


TOP = "#shell-nav > a, #shell-nav > .nav-group > button"      # the navigation's entries


def nav_paths(page) -> list[str]:
    return page.locator("#shell-nav a").evaluate_all("links => links.map(a => a.dataset.path)")


def test_agent_sees_only_the_desk_and_lands_on_it(browser):
    page = open_signed_in(browser, AGENT[0], AGENT[1])
    assert nav_paths(page) == ["/desk", "/ivr/voicemail", "/qa/mine", "/qa/examples",
                               "/customers", "/followups", "/tickets", "/tickets/board",
                               "/reports", "/kb"]
    # a group of one screen is a link of its own, a group of more a menu
    expect()(page.locator(TOP)).to_have_text(["坐席工作台", "语音信箱", "录音质检", "客户", "工单",
                                             "报表", "知识库"])
    page.wait_for_function("location.hash === '#/desk'")
    # the desk is a component of the shell's page, signed in by the shell: no frame, no
    # second sign-in form
    expect()(page.locator("#desk[data-ready='1']")).to_be_visible()
    expect()(page.locator("#me")).to_contain_text("Amy")
    assert page.locator("iframe").count() == 0
    expect()(page.locator("#login-form")).to_have_count(0)
    # a wallboard route typed by hand is not the agent's: back to the desk
    page.evaluate("location.hash = '#/wall'")
    page.wait_for_function("location.hash === '#/desk'")
    expect()(page.locator("#wall")).to_have_count(0)
    expect()(page.locator("#desk")).to_be_visible()
    # the old page's URL (a bookmark) lands on the same screen, still signed in
    page.goto("/desk")
    page.wait_for_function("location.pathname === '/' && location.hash === '#/desk'")
    expect()(page.locator("#desk[data-ready='1']")).to_be_visible()
    local = {urlsplit(url).hostname for url in page.requested if not url.startswith(("data:", "blob:"))}
    assert local == {"127.0.0.1"}, page.requested


def test_admin_gets_the_wallboard_and_the_language_switch(browser):
    page = open_signed_in(browser, *ADMIN)
    # the shell's one socket is open first (on a loaded machine it may open after the
    # sign-in returns): only sockets opened after this one count
    expect()(page.locator("#shell-ws")).to_have_attribute("data-status", "open")
    opened: list[str] = []
    page.on("websocket", lambda ws: opened.append(ws.url))
    assert nav_paths(page) == ["/wall", "/desk", "/admin", "/ivr/flows", "/ivr/prompts",
                               "/ivr/records", "/ivr/stats", "/ivr/voicemail", "/recordings",
                               "/recordings/audit", "/qa/inspect", "/qa/scorecards", "/qa/summary",
                               "/qa/examples", "/customers", "/customers/import", "/crm/fields",
                               "/crm/notes", "/followups", "/tickets", "/tickets/board",
                               "/tickets/types", "/tickets/stats", "/reports", "/reports/schedules",
                               "/kb", "/kb/approvals", "/kb/categories", "/kb/stats",
                               "/kb/trees"]
    page.wait_for_function("location.hash === '#/wall'")
    expect()(page.locator("#wall[data-ready='1']")).to_be_visible()
    expect()(page.locator("#agent-table tr[data-agent=amy]")).to_be_visible()
    expect()(page.locator("#queue-table tr[data-queue=sales]")).to_be_visible()
    nav = page.locator("#shell-nav a[data-path='/wall']")
    expect()(nav).to_have_text("监控大屏")
    expect()(nav).to_have_class("active")
    expect()(page.locator("#shell-ws")).to_have_attribute("data-status", "open")
    # one row of entries: three screens of their own, six groups, each a menu
    expect()(page.locator(TOP)).to_have_text(["监控大屏", "坐席工作台", "系统管理", "语音导航", "录音质检",
                                             "客户", "工单", "报表", "知识库"])
    kb = page.locator("#shell-nav .nav-group[data-group=kb]")
    expect()(kb.locator(".nav-menu")).to_be_hidden()
    kb.locator("button").click()
    expect()(kb.locator(".nav-menu a")).to_have_text(["知识库", "知识审批", "知识栏目", "知识统计", "问题推测"])
    screenshot(page, "shell.png", full_page=False)
    page.keyboard.press("Escape")
    expect()(kb.locator(".nav-menu")).to_be_hidden()
    kb.locator("button").click()
    page.click("#queue-table")                                  # a click elsewhere closes it
    expect()(kb.locator(".nav-menu")).to_be_hidden()

    page.click("#shell-lang")
    expect()(nav).to_have_text("Wallboard")
    expect()(page.locator("#shell-logout")).to_have_text("Sign out")
    # the screen follows the switch: one i18n for the page
    expect()(page.locator("#agent-table th").first).to_have_text("Agent")
    expect()(page.locator("#agent-table tr[data-agent=amy] .badge")).to_have_text("Logged out")
    assert page.title() == "Wallboard · Contact centre"

    # another screen, the same socket: moving around opens no new one
    open_screen(page, "/desk")
    page.wait_for_function("location.hash === '#/desk'")
    expect()(page.locator("#desk[data-ready='1']")).to_be_visible()
    expect()(page.locator("#btn-ready")).to_have_text("Ready")
    expect()(page.locator("#wall")).to_have_count(0)
    open_screen(page, "/admin")
    expect()(page.locator("#admin-screen")).to_contain_text("/docs")
    page.go_back()
    page.wait_for_function("location.hash === '#/desk'")
    page.go_back()
    page.wait_for_function("location.hash === '#/wall'")
    expect()(page.locator("#wall[data-ready='1']")).to_be_visible()
    assert opened == [], opened

    page.click("#shell-lang")
    page.click("#shell-logout")
    expect()(page.locator("#login-submit")).to_have_text("登录")
    expect()(page.locator("#wall")).to_have_count(0)
    expect()(page.locator("#shell-ws")).to_have_count(0)
    local = {urlsplit(url).hostname for url in page.requested if not url.startswith(("data:", "blob:"))}
    assert local == {"127.0.0.1"}, page.requested


def test_admin_keeps_users_and_extensions(kefu, browser):
    page = open_signed_in(browser, *ADMIN)
    open_screen(page, "/admin")
    users = page.locator("#admin-users")
    expect()(users.locator("tr[data-user=amy] .admin-exts")).to_have_value("1001")
    # an extension: created, renamed, disabled, given a new SIP password
    new = page.locator("#admin-new-extension")
    new.locator("input[name=number]").fill("1009")
    new.locator("input[name=display_name]").fill("前台")
    new.locator("input[name=password]").fill("sip-pass-1009")
    new.locator("button[type=submit]").click()
    row = page.locator("#admin-extensions tr[data-number='1009']")
    expect()(row.locator(".admin-ext-name")).to_have_value("前台")
    row.locator(".admin-ext-name").fill("前台二")
    row.locator(".admin-ext-name").press("Tab")
    expect()(page.locator("#toasts .toast", has_text="已保存").first).to_be_visible()
    row.locator(".admin-ext-enabled").uncheck()
    expect()(row).to_have_class("muted")
    row.locator(".admin-ext-password").fill("sip-pass-2")
    row.locator(".admin-ext-password-set").click()
    expect()(page.locator("#toasts .toast", has_text="SIP 密码已修改")).to_be_visible()
    status, ext = kefu.api("GET", "/extensions/1009")
    assert status == 200 and (ext["display_name"], ext["enabled"]) == ("前台二", False), ext
    # an agent on it, who can sign in; its extensions changed in place
    form = page.locator("#admin-new-user")
    form.locator("input[name=username]").fill("zoe")
    form.locator("input[name=display_name]").fill("周")
    expect()(form.locator("select[name=role]")).to_have_value("agent")      # the default
    form.locator("input[name=password]").fill("zoe-password-1")
    form.locator("input[name=extensions]").fill("1009")
    form.locator("button[type=submit]").click()
    zoe = users.locator("tr[data-user=zoe]")
    expect()(zoe.locator("td").nth(2)).to_have_text("坐席")
    expect()(row.locator("td").nth(3)).to_have_text("zoe")
    assert kefu.api("POST", "/auth/login", {"username": "zoe", "password": "zoe-password-1"})[0] == 200
    # a new display name; a new password: zoe signs in with it only
    zoe.locator(".admin-user-name").fill("周琳")
    zoe.locator(".admin-user-name").press("Tab")
    zoe.locator(".admin-user-password").fill("zoe-password-2")
    zoe.locator(".admin-user-password-set").click()
    expect()(page.locator("#toasts .toast", has_text="登录密码已修改")).to_be_visible()
    expect()(zoe.locator(".admin-user-password")).to_have_value("")
    assert kefu.api("POST", "/auth/login", {"username": "zoe", "password": "zoe-password-1"})[0] == 401
    assert kefu.api("POST", "/auth/login", {"username": "zoe", "password": "zoe-password-2"})[0] == 200
    assert [u["display_name"] for u in kefu.api("GET", "/users")[1] if u["username"] == "zoe"] == ["周琳"]
    zoe.locator(".admin-exts").fill("1009, 1001")
    zoe.locator(".admin-save-exts").click()
    expect()(zoe.locator(".admin-save-exts")).to_have_count(0)
    assert kefu.api("GET", "/users/zoe/extensions")[1]["extensions"] == ["1001", "1009"]
    screenshot(page, "admin.png", full_page=False)
    # a refusal is said, nothing is created
    form.locator("input[name=username]").fill("yan")
    form.locator("input[name=password]").fill("short")
    form.locator("button[type=submit]").click()
    expect()(page.locator("#toasts .toast.error")).to_be_visible()
    assert "yan" not in [u["username"] for u in kefu.api("GET", "/users")[1]]
    # deleted in two steps; its bindings go with it
    row.locator(".admin-ext-delete").click()
    row.locator(".admin-ext-delete-sure").click()
    expect()(row).to_have_count(0)
    expect()(zoe.locator(".admin-exts")).to_have_value("1001")
