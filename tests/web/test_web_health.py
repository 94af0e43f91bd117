"""GET /health: no auth, database state, live figures from status()."""

from __future__ import annotations

import dataclasses

from kefu import __version__
from kefu.web import create_app

from fastapi.testclient import TestClient


def test_health_without_auth(api) -> None:  # type: ignore[no-untyped-def]
    r = api.client.get("/api/v1/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "version": __version__, "database": "ok"}


def test_health_includes_status(api) -> None:  # type: ignore[no-untyped-def]
    api.ctx.status = lambda: {"registrations": 3, "calls": {"active": 1}, "status": "ignored"}
    body = api.client.get("/api/v1/health").json()
    assert body["registrations"] == 3 and body["calls"] == {"active": 1}
    assert body["status"] == "ok"


def test_health_survives_failing_status(api) -> None:  # type: ignore[no-untyped-def]
    def broken() -> dict:
        raise RuntimeError("boom")

    api.ctx.status = broken
    r = api.client.get("/api/v1/health")
    assert r.status_code == 200 and r.json()["pbx"] == "error"


def test_health_reports_database_error(api) -> None:  # type: ignore[no-untyped-def]
    class DownStore:
        def ping(self) -> bool:
            return False

    ctx = dataclasses.replace(api.ctx, store=DownStore())  # type: ignore[arg-type]
    r = TestClient(create_app(ctx)).get("/api/v1/health")
    assert r.status_code == 503
    assert r.json()["database"] == "error" and r.json()["status"] == "error"


def test_docs_and_openapi(api) -> None:  # type: ignore[no-untyped-def]
    page = api.client.get("/docs")
    assert page.status_code == 200
    assert "/static/swagger/swagger-ui-bundle.js" in page.text and "cdn" not in page.text.lower()
    js = api.client.get("/static/swagger/swagger-ui-bundle.js")
    assert js.status_code == 200 and len(js.content) > 100_000
    spec = api.client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/calls", "/api/v1/extensions", "/api/v1/users",
            "/api/v1/auth/login"} <= set(spec["paths"])
