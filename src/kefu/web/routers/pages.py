"""The browser pages: the web shell at ``/`` (one sign-in, navigation by role, the
screens below in it), the agent desktop (坐席工作台) at ``/desk`` and the supervisor
wallboard (监控大屏) at ``/wall``.

All are static HTML + ES modules (``web/static/desk/`` at ``/static/desk/``,
``web/static/shell/`` at ``/static/shell/``; no build step, nothing from a CDN) that sign
in through ``/api/v1/auth/login`` and then use the API and the events WebSocket like any
other client; so these routes need no auth.  The shell imports Preact, htm and signals
through an import map to the npm packages ``kefu.web.vendor`` serves.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

from kefu.web import vendor

STATIC_DIR = Path(__file__).resolve().parent.parent / "static" / "desk"
STATIC_URL = "/static/desk"
SHELL_DIR = STATIC_DIR.parent / "shell"
SHELL_URL = "/static/shell"
IMPORT_MAP_MARK = "<!-- importmap -->"

router = APIRouter(include_in_schema=False)
# The pages change with kefu, the browser must not keep an old one next to new modules.
_NO_CACHE = {"Cache-Control": "no-cache"}


def _page(name: str) -> FileResponse:
    return FileResponse(STATIC_DIR / name, media_type="text/html; charset=utf-8",
                        headers=_NO_CACHE)


@router.get("/")
def shell() -> HTMLResponse:
    """The web shell; 503 with the reason when its front-end packages are not installed."""
    if vendor.missing():
        vendor.check_installed()
        return HTMLResponse(f"<!doctype html><meta charset=utf-8><title>kefu</title>"
                            f"<p>kefu: the web shell's front-end packages are not installed: "
                            f"{vendor.INSTALL_HINT}. <a href=/desk>/desk</a> and "
                            f"<a href=/wall>/wall</a> still work.</p>", 503, headers=_NO_CACHE)
    page = (SHELL_DIR / "index.html").read_text(encoding="utf-8")
    script = f'<script type="importmap">\n{vendor.import_map()}\n</script>'
    return HTMLResponse(page.replace(IMPORT_MAP_MARK, script), headers=_NO_CACHE)


@router.get("/desk")
def desk() -> FileResponse:
    """The agent desktop: sign in, agent login, states, offers, call control, wrap-up."""
    return _page("desk.html")


@router.get("/wall")
def wall() -> FileResponse:
    """The supervisor wallboard: agents, queues, live calls, supervision, announcements."""
    return _page("wall.html")


def static_files() -> StaticFiles:
    """The pages' CSS and JavaScript, to mount at ``STATIC_URL``."""
    return StaticFiles(directory=STATIC_DIR)


def install(app: FastAPI) -> None:
    """All in one call: the page routes, the static mounts and the vendor modules (a clear
    error in the log now when those are not installed)."""
    vendor.check_installed()
    app.include_router(router)
    app.include_router(vendor.router)
    app.mount(STATIC_URL, static_files(), name="desk")
    app.mount(SHELL_URL, StaticFiles(directory=SHELL_DIR), name="shell")
