"""The browser pages: the web shell at ``/`` (one sign-in, navigation by role, every
screen in it: the agent desktop 坐席工作台 at ``#/desk``, the supervisor wallboard
监控大屏 at ``#/wall``), and the old page URLs ``/desk`` and ``/wall`` redirecting there so
bookmarks keep working.

The shell is static HTML + ES modules (``web/static/shell/`` at ``/static/shell/``; no
build step, nothing from a CDN) that signs in through ``/api/v1/auth/login`` and then uses
the API and the events WebSocket like any other client; so these routes need no auth.
It imports Preact, htm and signals through an import map to the npm packages
``kefu.web.vendor`` serves.  A business slice's screens are its own: the files in
``src/kefu/<slice>/static/`` are served at ``/static/<slice>/`` (``SLICE_SCREENS``).

The public help centre (帮助中心) at ``/help`` is the knowledge base's page for customers:
no sign-in, no shell, only the ``/public/kb`` API (``kefu/kb/static/help.html``).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from kefu.web import vendor

SHELL_DIR = Path(__file__).resolve().parent.parent / "static" / "shell"
SHELL_URL = "/static/shell"
IMPORT_MAP_MARK = "<!-- importmap -->"
# the slices that have screens: kefu.<slice>/static/ at /static/<slice>/
SLICE_SCREENS = ("crm", "announcements", "ivr", "recordings", "qa", "tickets", "followups",
                 "reports", "kb")
# old page → its shell route
OLD_PAGES = {"/desk": "/desk", "/wall": "/wall"}

router = APIRouter(include_in_schema=False)
# The page changes with kefu, the browser must not keep an old one next to new modules.
_NO_CACHE = {"Cache-Control": "no-cache"}


@router.get("/")
def shell() -> HTMLResponse:
    """The web shell; 503 with the reason when its front-end packages are not installed."""
    if vendor.missing():
        vendor.check_installed()
        return HTMLResponse(f"<!doctype html><meta charset=utf-8><title>kefu</title>"
                            f"<p>kefu: the web shell's front-end packages are not installed: "
                            f"{vendor.INSTALL_HINT}.</p>", 503, headers=_NO_CACHE)
    page = (SHELL_DIR / "index.html").read_text(encoding="utf-8")
    script = f'<script type="importmap">\n{vendor.import_map()}\n</script>'
    return HTMLResponse(page.replace(IMPORT_MAP_MARK, script), headers=_NO_CACHE)


@router.get("/help")
def help_centre() -> HTMLResponse:
    """The public help centre: public published articles, no login (503 as the shell's)."""
    if vendor.missing():
        return shell()
    page = (slice_dir("kb") / "help.html").read_text(encoding="utf-8")
    script = f'<script type="importmap">\n{vendor.import_map()}\n</script>'
    return HTMLResponse(page.replace(IMPORT_MAP_MARK, script), headers=_NO_CACHE)


def _redirect(route: str) -> Callable[[], RedirectResponse]:
    def old_page() -> RedirectResponse:
        """An old page's URL: the same screen in the shell (a bookmark keeps working)."""
        return RedirectResponse(f"/#{route}", status_code=308, headers=_NO_CACHE)
    return old_page


for _path, _route in OLD_PAGES.items():
    router.add_api_route(_path, _redirect(_route), methods=["GET"])


def slice_dir(name: str) -> Path:
    """Where slice ``name`` keeps its screens (``kefu/<name>/static``)."""
    return Path(str(files(f"kefu.{name}"))) / "static"


def install(app: FastAPI) -> None:
    """All in one call: the page routes, the static mounts (the shell's and each slice's
    screens) and the vendor modules (a clear error in the log now when those are not
    installed)."""
    vendor.check_installed()
    app.include_router(router)
    app.include_router(vendor.router)
    app.mount(SHELL_URL, StaticFiles(directory=SHELL_DIR), name="shell")
    for name in SLICE_SCREENS:
        app.mount(f"/static/{name}", StaticFiles(directory=slice_dir(name)), name=f"screens-{name}")
