"""The browser pages: the agent desktop (坐席工作台) at ``/desk`` and the supervisor
wallboard (监控大屏) at ``/wall``.

Both are static HTML + ES modules under ``web/static/desk/`` (served at ``/static/desk/``;
no build step, nothing from a CDN) that sign in through ``/api/v1/auth/login`` and then use
the API and the events WebSocket like any other client; so these routes need no auth.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parent.parent / "static" / "desk"
STATIC_URL = "/static/desk"

router = APIRouter(include_in_schema=False)
# The pages change with kefu, the browser must not keep an old one next to new modules.
_NO_CACHE = {"Cache-Control": "no-cache"}


def _page(name: str) -> FileResponse:
    return FileResponse(STATIC_DIR / name, media_type="text/html; charset=utf-8",
                        headers=_NO_CACHE)


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
    """Both in one call: the page routes and the static mount."""
    app.include_router(router)
    app.mount(STATIC_URL, static_files(), name="desk")
