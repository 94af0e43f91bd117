"""Login, logout, token checks and role refusal."""

from __future__ import annotations

import logging
import time

import pytest

from kefu.web.routers.auth import throttle_for

PASSWORD = "password-123"   # as in conftest.py


def test_login_returns_token_role_expiry(api) -> None:  # type: ignore[no-untyped-def]
    r = api.client.post("/api/v1/auth/login",
                        json={"username": "supervisor", "password": PASSWORD})
    assert r.status_code == 200
    body = r.json()
    assert body["role"] == "supervisor"
    assert abs(body["expires_at"] - (time.time() + 12 * 3600)) < 60
    me = api.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200 and me.json()["username"] == "supervisor"


@pytest.mark.parametrize("username,password", [("admin", "wrong-pass"), ("ghost", PASSWORD)])
def test_login_refused_and_logged_without_password(api, caplog, username: str,  # type: ignore[no-untyped-def]
                                                   password: str) -> None:
    with caplog.at_level(logging.INFO, logger="kefu.web"):
        r = api.client.post("/api/v1/auth/login",
                            json={"username": username, "password": password})
    assert r.status_code == 401
    assert r.json()["detail"] == "invalid username or password"
    assert any("login failed" in m and username in m for m in caplog.messages)
    assert all(password not in m for m in caplog.messages)


@pytest.mark.parametrize("body", [{}, {"username": "admin"}, {"username": "", "password": "x"},
                                  {"username": "admin", "password": 5}])
def test_login_bad_body(api, body: dict) -> None:  # type: ignore[no-untyped-def]
    assert api.client.post("/api/v1/auth/login", json=body).status_code == 422


def test_logout_revokes_token(api) -> None:  # type: ignore[no-untyped-def]
    h = api.as_("agent")
    assert api.client.get("/api/v1/auth/me", headers=h).status_code == 200
    assert api.client.post("/api/v1/auth/logout", headers=h).status_code == 204
    assert api.client.get("/api/v1/auth/me", headers=h).status_code == 401
    assert api.client.post("/api/v1/auth/logout", headers=h).status_code == 401


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic YWRtaW46eA=="},
    {"Authorization": "Bearer"},
])
def test_missing_or_invalid_token_is_401(api, headers: dict) -> None:  # type: ignore[no-untyped-def]
    for path in ("/api/v1/calls", "/api/v1/extensions", "/api/v1/users", "/api/v1/auth/me"):
        r = api.client.get(path, headers=headers)
        assert r.status_code == 401, path
        assert r.headers["www-authenticate"] == "Bearer"


def test_expired_token_is_401(api) -> None:  # type: ignore[no-untyped-def]
    admin = api.users.authenticate("admin", PASSWORD)
    old = api.users.issue_token(admin.id, ttl_s=5, now=time.time() - 10)
    r = api.client.get("/api/v1/users", headers={"Authorization": f"Bearer {old}"})
    assert r.status_code == 401 and "expired" in r.json()["detail"]


def test_require_roles_rejects_unknown_roles() -> None:
    from kefu.web import require_roles

    with pytest.raises(ValueError):
        require_roles("root")
    with pytest.raises(ValueError):
        require_roles()


def test_brute_force_is_throttled_then_locked_out(api, caplog) -> None:  # type: ignore[no-untyped-def]
    """50 wrong passwords, then the right one: 429 with Retry-After, not a token; the
    refused tries never reach the password check."""
    checked = []
    authenticate = api.users.authenticate
    api.users.authenticate = lambda u, p: checked.append(u) or authenticate(u, p)  # type: ignore[method-assign]
    codes = []
    with caplog.at_level(logging.INFO):
        for i in range(50):
            r = api.client.post("/api/v1/auth/login",
                                json={"username": "admin", "password": f"guess-{i}"})
            codes.append(r.status_code)
        r = api.client.post("/api/v1/auth/login",
                            json={"username": "admin", "password": PASSWORD})
    assert r.status_code == 429, r.text
    assert int(r.headers["retry-after"]) >= 1 and "token" not in r.json()
    assert codes[:3] == [401] * 3 and set(codes) == {401, 429}
    assert 3 <= len(checked) == codes.count(401) <= 10   # free tries .. http.login_fail_limit
    assert all(f"guess-{i}" not in caplog.text for i in range(50))
    # another user from the same client is not locked out by admin's failures
    assert api.client.post("/api/v1/auth/login", json={"username": "agent",
                                                      "password": PASSWORD}).status_code == 200


def test_admin_sees_and_lifts_a_lockout(api) -> None:  # type: ignore[no-untyped-def]
    s = api.ctx.settings
    api.ctx.settings = s.model_copy(update={"http": s.http.model_copy(update={"login_fail_limit": 3})})
    api.client.app.state.login_throttle = throttle_for(api.ctx.settings)
    for i in range(3):
        api.client.post("/api/v1/auth/login", json={"username": "qa", "password": f"x-{i}"})
    assert api.client.post("/api/v1/auth/login", json={"username": "qa",
                                                       "password": PASSWORD}).status_code == 429
    assert api.client.get("/api/v1/auth/lockouts", headers=api.as_("supervisor")).status_code == 403
    r = api.client.get("/api/v1/auth/lockouts", headers=api.as_("admin"))
    assert r.status_code == 200
    entry = next(e for e in r.json()["entries"] if e["kind"] == "username")
    assert entry["key"] == "qa" and entry["failures"] == 3 and entry["locked_until"]
    assert entry["refused"] == 1 and entry["retry_after"] > 800
    types = [e["type"] for e in r.json()["events"]]
    assert types[0] == "lockout" and types.count("failed") == 3
    assert api.client.delete("/api/v1/auth/lockouts/username/qa",
                             headers=api.as_("agent")).status_code == 403
    assert api.client.delete("/api/v1/auth/lockouts/username/qa",
                             headers=api.as_("admin")).status_code == 204
    assert api.client.delete("/api/v1/auth/lockouts/username/qa",
                             headers=api.as_("admin")).status_code == 404
    assert api.client.post("/api/v1/auth/login", json={"username": "qa",
                                                       "password": PASSWORD}).status_code == 200
