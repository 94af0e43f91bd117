"""The web shell (/) in headless Chromium against a real ``kefu serve``: one sign-in,
navigation by role, the client-side router, the language switch reaching the embedded
desk, and nothing loaded from outside 127.0.0.1 (Preact, htm and signals come from the
npm packages kefu serves).  Writes docs/img/shell.png."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import pytest

from kefu.web import vendor

from .browser import BrowserSession, have_browser, screenshot
from .conftest import add_user, start_kefu, stop_kefu

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not have_browser() and not os.environ.get("CI"),
                       reason="chromium (/usr/bin/chromium) or playwright not installed"),
]

AGENT = ("amy", "agent-password-1", "1001")
ADMIN = ("admin", "admin-password-1")       # conftest's admin


@pytest.fixture(scope="module")
def kefu(tmp_path_factory):
    assert not vendor.missing(), f"front-end packages not installed: {vendor.INSTALL_HINT}"
    server = start_kefu(tmp_path_factory.mktemp("kefu-shell"),
                        extra='[[queues]]\nname = "sales"\nnumber = "8001"\nmembers = { amy = 1 }\n')
    add_user(server, AGENT[0], AGENT[1], extensions=[AGENT[2]], display_name="Amy")
    yield server
    log = stop_kefu(server)
    assert "Traceback" not in log, log


@pytest.fixture
def browser(kefu):
    session = BrowserSession(f"http://127.0.0.1:{kefu.http_port}").start()
    yield session
    try:
        session.check()
    finally:
        session.close()


def expect():
    from playwright.sync_api import expect as _expect
    return _expect


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


def nav_paths(page) -> list[str]:
    return page.locator("#shell-nav a").evaluate_all("links => links.map(a => a.dataset.path)")


def test_agent_sees_only_the_desk_and_lands_on_it(browser):
    page = open_signed_in(browser, AGENT[0], AGENT[1])
    assert nav_paths(page) == ["/desk"]
    page.wait_for_function("location.hash === '#/desk'")
    # the embedded desk is signed in by the shell's token: no second sign-in form
    desk = page.frame_locator("iframe[data-path='/desk']")
    expect()(desk.locator("body[data-ready='1']")).to_be_attached()
    expect()(desk.locator("#app")).to_be_visible()
    expect()(desk.locator("#me")).to_contain_text("Amy")
    # a wallboard route typed by hand is not the agent's: back to the desk
    page.evaluate("location.hash = '#/wall'")
    page.wait_for_function("location.hash === '#/desk'")
    assert page.locator("iframe[data-path='/wall']").count() == 0
    local = {urlsplit(url).hostname for url in page.requested if not url.startswith(("data:", "blob:"))}
    assert local == {"127.0.0.1"}, page.requested


def test_admin_gets_the_wallboard_and_the_language_switch(browser):
    page = open_signed_in(browser, *ADMIN)
    assert nav_paths(page) == ["/wall", "/desk"]
    page.wait_for_function("location.hash === '#/wall'")
    wall = page.frame_locator("iframe[data-path='/wall']")
    expect()(wall.locator("#app")).to_be_visible()
    nav = page.locator("#shell-nav a[data-path='/wall']")
    expect()(nav).to_have_text("监控大屏")
    expect()(nav).to_have_class("active")
    screenshot(page, "shell.png", full_page=False)

    page.click("#shell-lang")
    expect()(nav).to_have_text("Wallboard")
    expect()(page.locator("#shell-logout")).to_have_text("Sign out")
    # the embedded page follows the switch (same-origin storage event)
    expect()(wall.locator("h1 [data-i18n='wall.title']")).to_have_text("Wallboard")

    page.click("#shell-nav a[data-path='/desk']")
    page.wait_for_function("location.hash === '#/desk'")
    expect()(page.locator("iframe[data-path='/desk']")).to_be_visible()
    expect()(page.locator("iframe[data-path='/wall']")).to_be_hidden()   # kept, not reloaded

    page.click("#shell-logout")
    expect()(page.locator("#login-submit")).to_have_text("Sign in")
    assert page.locator("iframe").count() == 0
    local = {urlsplit(url).hostname for url in page.requested if not url.startswith(("data:", "blob:"))}
    assert local == {"127.0.0.1"}, page.requested
