"""The FastAPI application factory.

Store errors become HTTP answers here, once, so routes stay straight-line code; validation
errors are stripped of the offending input so a rejected password is never echoed back.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from kefu import __version__
from kefu.cti.control import ControlError
from kefu.store import Conflict, Invalid, NotFound

from .context import AppContext
from .routers import (agents, announcements, auth, calls, customers, directory, events,
                      extensions, health, lines, live, pages, rooms, users)

API_PREFIX = "/api/v1"


def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    detail = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
              for e in exc.errors()]
    return JSONResponse({"detail": detail}, status_code=422)


def _store_error(status_code: int):  # type: ignore[no-untyped-def]
    def handler(_request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=status_code)
    return handler


def _control_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ControlError)
    return JSONResponse({"detail": str(exc)}, status_code=exc.status)


def create_app(ctx: AppContext) -> FastAPI:
    """The HTTP API over ``ctx``'s services; OpenAPI UI at ``/docs``."""
    app = FastAPI(title="kefu", version=__version__, docs_url=None, redoc_url=None,
                  openapi_url=f"{API_PREFIX}/openapi.json",
                  description="kefu contact centre API. Log in at /api/v1/auth/login, then "
                              "send `Authorization: Bearer <token>`.")
    app.state.ctx = ctx
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Conflict, _store_error(409))
    app.add_exception_handler(NotFound, _store_error(404))
    app.add_exception_handler(Invalid, _store_error(422))
    app.add_exception_handler(ControlError, _control_error)
    for module in (health, auth, calls, live, agents, directory, lines, events, extensions,
                   users, customers, announcements, rooms):
        app.include_router(module.router, prefix=API_PREFIX)
    _mount_docs(app)
    pages.install(app)          # /desk, /wall and their static files (not under /api/v1)
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
