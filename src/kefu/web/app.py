"""The FastAPI application factory.

Store errors and the calls layer's refusals (``ControlError`` by its kind) become HTTP
answers here, once, so routes stay straight-line code; validation errors are stripped of
the offending input so a rejected password is never echoed back.

Every error leaves in the one shape of :mod:`kefu.web.errors`.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from swagger_ui_bundle import swagger_ui_path

from kefu import __version__
from kefu.announcements import api as announcements
from kefu.qa import api as qa
from kefu.tickets import api as tickets
from kefu.recordings import api as recordings
from kefu.crm import api as customers
from kefu.followups import api as followups
from kefu.reports import api as reports
from kefu.reports import schedules_api as report_schedules
from kefu.ivr import api as ivr
from kefu.kb import api as kb
from kefu.kb import trees_api as kb_trees
from kefu.kb import suggest_api as kb_suggest
from kefu.calls.errors import ControlError, Kind
from kefu.store import Conflict, Invalid, NotFound
from kefu.store.uploads import TooLarge, Unsupported
from kefu.users import api as users

from .context import AppContext
from .errors import ERRORS, error_response
from .routers import (agents, auth, calls, choices, directory, events, extensions, health,
                      lines, live, pages, rooms)

API_PREFIX = "/api/v1"


def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    detail = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
              for e in exc.errors()]
    return error_response(422, detail)


def _http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code in (204, 304):           # no body allowed (as FastAPI's own handler)
        return Response(status_code=exc.status_code, headers=exc.headers)
    return error_response(exc.status_code, exc.detail, exc.headers)


def _store_error(status_code: int):  # type: ignore[no-untyped-def]
    def handler(_request: Request, exc: Exception) -> JSONResponse:
        return error_response(status_code, str(exc))
    return handler


# The calls layer's (and the ACD's) kinds of refusal, as HTTP answers: the one place.
CONTROL_STATUS: dict[Kind, int] = {
    Kind.NOT_FOUND: 404,
    Kind.CONFLICT: 409,
    Kind.INVALID: 422,
    Kind.FORBIDDEN: 403,
    Kind.TOO_LARGE: 413,
}


def _control_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ControlError)
    return error_response(CONTROL_STATUS[exc.kind], str(exc))


def create_app(ctx: AppContext) -> FastAPI:
    """The HTTP API over ``ctx``'s services; OpenAPI UI at ``/docs``."""
    app = FastAPI(title="kefu", version=__version__, docs_url=None, redoc_url=None,
                  openapi_url=f"{API_PREFIX}/openapi.json",
                  description="kefu contact centre API. Log in at /api/v1/auth/login, then "
                              "send `Authorization: Bearer <token>`.")
    app.state.ctx = ctx
    app.state.login_throttle = auth.throttle_for(ctx.settings)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Conflict, _store_error(409))
    app.add_exception_handler(NotFound, _store_error(404))
    app.add_exception_handler(Invalid, _store_error(422))
    app.add_exception_handler(TooLarge, _store_error(413))      # uploads (store/uploads.py)
    app.add_exception_handler(Unsupported, _store_error(415))
    app.add_exception_handler(ControlError, _control_error)
    app.include_router(health.router, prefix=API_PREFIX)        # its own 503 (no auth)
    for module in (auth, calls, live, agents, directory, lines, events, extensions,
                   users, customers, announcements, ivr, recordings, qa, tickets, rooms,
                   choices, followups, reports, report_schedules, kb, kb_trees, kb_suggest):
        app.include_router(module.router, prefix=API_PREFIX, responses=ERRORS)
    app.include_router(kb.public_router, prefix=API_PREFIX, responses=ERRORS)   # no login
    _mount_docs(app)
    pages.install(app)          # the web shell, its screens and modules (not under /api/v1)
    return app


def _mount_docs(app: FastAPI) -> None:
    """Swagger UI 5 from the installed ``swagger-ui-bundle-v2`` package, not a CDN:
    the docs page must work on a machine without Internet access."""
    app.mount("/static/swagger", StaticFiles(directory=swagger_ui_path), name="swagger")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=app.openapi_url or "", title="kefu API",
                                   swagger_js_url="/static/swagger/swagger-ui-bundle.js",
                                   swagger_css_url="/static/swagger/swagger-ui.css",
                                   swagger_favicon_url="/static/swagger/favicon-32x32.png")
