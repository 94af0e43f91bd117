"""Headless Chromium for the browser tests: Debian's ``/usr/bin/chromium`` driven by
Playwright for Python (no browser download, nothing from the network).

The microphone is a WAV file (fake media device, permission granted without a prompt),
WebRTC may use loopback addresses and shows real host candidates instead of mDNS
names, and audio plays without a user gesture, so a softphone page can call kefu on
127.0.0.1 unattended.

``BrowserSession`` is one browser (per test module or per test); each ``page()`` is a
fresh context (its own sessionStorage/localStorage) with the server as base URL.  Every
console error and uncaught page error is recorded per page; ``check()`` fails the test
on uncaught errors (the ``page_errors`` list), console errors are kept for the report
(a 404 from an endpoint not built yet is logged by Chromium as a console error).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pytest

CHROMIUM = os.environ.get("KEFU_CHROMIUM", "/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
IMG_DIR = REPO / "docs" / "img"


def chromium_args(audio_wav: str | os.PathLike | None = None) -> list[str]:
    """The command-line flags for a headless, offline, unattended softphone browser."""
    args = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
            "--allow-loopback-in-peer-connection",
            "--disable-features=WebRtcHideLocalIpsWithMdns",
            "--autoplay-policy=no-user-gesture-required",
            "--no-sandbox", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"]
    if audio_wav:
        args.append(f"--use-file-for-fake-audio-capture={Path(audio_wav).resolve()}")
    return args


def have_browser() -> bool:
    """Debian's Chromium and Playwright's Python package are both installed."""
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return False
    try:
        return importlib.util.find_spec("playwright.sync_api") is not None
    except ImportError:         # no playwright package at all
        return False


# a browser test is skipped where no browser is installed, never in CI (it must run there)
needs_browser = pytest.mark.skipif(not have_browser() and not os.environ.get("CI"),
                                   reason="chromium (/usr/bin/chromium) or playwright not installed")
# the marks of a module of browser tests
BROWSER_MARKS = [pytest.mark.e2e, needs_browser]


@dataclass
class PageLog:
    """What one page said: console messages of type error, and uncaught errors."""
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    http_errors: list[str] = field(default_factory=list)   # "404 GET http://…" (≥ 400)


class BrowserSession:
    """``with BrowserSession(base_url, audio_wav) as b: page = b.page(); …; b.check()``"""

    def __init__(self, base_url: str, audio_wav: str | os.PathLike | None = None, *,
                 viewport: tuple[int, int] = (1440, 900), locale: str = "zh-CN",
                 headless: bool = True, slow_mo: float = 0):
        self.base_url = base_url.rstrip("/")
        self.audio_wav = audio_wav
        self.viewport = {"width": viewport[0], "height": viewport[1]}
        self.locale = locale
        self.headless = headless
        self.slow_mo = slow_mo
        self.logs: dict[object, PageLog] = {}
        self._pw = None
        self.browser = None
        self._contexts: list = []

    def start(self) -> "BrowserSession":
        from playwright.sync_api import sync_playwright
        self._pw = sync_playwright().start()
        self.browser = self._pw.chromium.launch(
            executable_path=CHROMIUM, args=chromium_args(self.audio_wav),
            headless=self.headless, slow_mo=self.slow_mo)
        return self

    def page(self, path: str | None = None, **context_options):
        """A new page in a new context (own storage, microphone allowed, base URL set);
        goes to ``path`` when given."""
        options = {"base_url": self.base_url, "viewport": self.viewport, "locale": self.locale,
                   "permissions": ["microphone"], **context_options}
        context = self.browser.new_context(**options)
        self._contexts.append(context)
        page = context.new_page()
        log = self.logs[page] = PageLog()
        page.on("console", lambda m: (log.console.append(f"{m.type}: {m.text}"),
                                      m.type == "error" and log.console_errors.append(m.text)))
        page.on("pageerror", lambda err: log.page_errors.append(str(err)))
        page.on("response", lambda r: r.status >= 400 and log.http_errors.append(
            f"{r.status} {r.request.method} {r.url}"))
        page.on("dialog", lambda dialog: dialog.accept())   # confirm(): yes
        if path is not None:
            page.goto(path)
        return page

    def errors(self) -> list[str]:
        return [e for log in self.logs.values() for e in log.page_errors]

    def console_errors(self) -> list[str]:
        return [e for log in self.logs.values() for e in log.console_errors]

    def http_errors(self) -> list[str]:
        return [e for log in self.logs.values() for e in log.http_errors]

    def check(self) -> None:
        """Fail on any uncaught error in any page so far; forget them afterwards."""
        errors = self.errors()
        for log in self.logs.values():
            log.page_errors.clear()
        assert not errors, "uncaught errors in the page:\n" + "\n".join(errors)

    def close_pages(self) -> None:
        for context in self._contexts:
            try:
                context.close()
            except Exception:   # already closed with the browser
                pass
        self._contexts.clear()
        self.logs.clear()

    def close(self) -> None:
        self.close_pages()
        if self.browser is not None:
            self.browser.close()
            self.browser = None
        if self._pw is not None:
            self._pw.stop()
            self._pw = None

    def __enter__(self) -> "BrowserSession":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()


@contextmanager
def session_on(server: Any) -> Iterator[BrowserSession]:
    """A browser on ``server``'s web port, its page errors checked when the test is done."""
    session = BrowserSession(f"http://127.0.0.1:{server.http_port}").start()
    try:
        yield session
        session.check()
    finally:
        session.close()


@contextmanager
def shell_server(tmp: Path, agent: tuple[str, str, str], extra: str = "") -> Iterator[Any]:
    """A real ``kefu serve`` for the shell's pages, with one agent bound to an extension;
    its log must hold no traceback when it stops."""
    from kefu.web import vendor

    from .conftest import add_user, start_kefu, stop_kefu
    assert not vendor.missing(), f"front-end packages not installed: {vendor.INSTALL_HINT}"
    server = start_kefu(tmp, extra=extra)
    add_user(server, agent[0], agent[1], extensions=[agent[2]], display_name="Amy")
    yield server
    log = stop_kefu(server)
    assert "Traceback" not in log, log


def expect() -> Any:
    """Playwright's ``expect`` (imported late: playwright is optional outside CI)."""
    from playwright.sync_api import expect as _expect
    return _expect


def open_screen(page, path: str) -> None:  # type: ignore[no-untyped-def]
    """Click the navigation's entry of the screen at ``path``, opening its group's menu
    first (a screen of its own is a plain link)."""
    group = page.locator(f"#shell-nav .nav-group:has(a[data-path='{path}']) > button")
    if group.count():
        group.click()
    page.click(f"#shell-nav a[data-path='{path}']")


def screenshot(page, name: str, *, full_page: bool = True) -> Path:
    """Save ``page`` as ``docs/img/<name>`` (PNG) and return the path."""
    IMG_DIR.mkdir(parents=True, exist_ok=True)
    path = IMG_DIR / name
    page.screenshot(path=str(path), full_page=full_page)
    return path
