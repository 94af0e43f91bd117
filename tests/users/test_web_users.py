"""/users: admin only; created users can log in; passwords write-only."""

from __future__ import annotations

import pytest

URL = "/api/v1/users"


def test_list_as_admin(api) -> None:  # type: ignore[no-untyped-def]
    r = api.client.get(URL, headers=api.as_("admin"))
    assert r.status_code == 200
    assert sorted(u["username"] for u in r.json()) == ["admin", "agent", "qa", "supervisor"]
    assert all("password" not in str(u) for u in r.json())


def test_create_then_login(api) -> None:  # type: ignore[no-untyped-def]
    body = {"username": "li.wei", "password": "a-long-pass", "role": "agent",
            "display_name": "李伟"}
    r = api.client.post(URL, json=body, headers=api.as_("admin"))
    assert r.status_code == 201
    assert r.json()["username"] == "li.wei" and r.json()["display_name"] == "李伟"
    assert "a-long-pass" not in r.text
    login = api.client.post("/api/v1/auth/login",
                            json={"username": "li.wei", "password": "a-long-pass"})
    assert login.status_code == 200 and login.json()["role"] == "agent"


@pytest.mark.parametrize("role", ["supervisor", "agent", "qa"])
def test_refused_for_non_admins(api, role: str) -> None:  # type: ignore[no-untyped-def]
    assert api.client.get(URL, headers=api.as_(role)).status_code == 403
    body = {"username": "x", "password": "a-long-pass", "role": "admin"}
    assert api.client.post(URL, json=body, headers=api.as_(role)).status_code == 403


def test_duplicate_is_409(api) -> None:  # type: ignore[no-untyped-def]
    body = {"username": "qa", "password": "a-long-pass", "role": "qa"}
    assert api.client.post(URL, json=body, headers=api.as_("admin")).status_code == 409


@pytest.mark.parametrize("body", [
    {"username": "bob", "password": "a-long-pass", "role": "root"},
    {"username": "bob", "password": "Pw-12ab", "role": "agent"},
    {"username": "bob smith", "password": "a-long-pass", "role": "agent"},
    {"username": "", "password": "a-long-pass", "role": "agent"},
    {"username": "bob", "role": "agent"},
    {"username": "bob", "password": "a-long-pass", "role": "agent", "is_admin": True},
])
def test_bad_bodies(api, body: dict) -> None:  # type: ignore[no-untyped-def]
    r = api.client.post(URL, json=body, headers=api.as_("admin"))
    assert r.status_code == 422
    if "password" in body:
        assert body["password"] not in r.text


def test_a_new_password_signs_the_user_out_everywhere(api) -> None:  # type: ignore[no-untyped-def]
    login = {"username": "agent", "password": api.password}
    token = api.client.post("/api/v1/auth/login", json=login).json()["token"]
    mine = {"Authorization": f"Bearer {token}"}
    assert api.client.get("/api/v1/auth/me", headers=mine).status_code == 200
    r = api.client.patch(f"{URL}/agent", json={"password": "a-new-long-pass",
                                              "display_name": "王芳"},
                         headers=api.as_("admin"))
    assert r.status_code == 200 and r.json()["display_name"] == "王芳"
    assert "a-new-long-pass" not in r.text
    assert api.client.get("/api/v1/auth/me", headers=mine).status_code == 401
    assert api.client.post("/api/v1/auth/login", json=login).status_code == 401
    login["password"] = "a-new-long-pass"
    assert api.client.post("/api/v1/auth/login", json=login).status_code == 200


def test_a_new_display_name_keeps_the_sessions(api) -> None:  # type: ignore[no-untyped-def]
    r = api.client.patch(f"{URL}/qa", json={"display_name": "质检 一"}, headers=api.as_("admin"))
    assert r.status_code == 200 and r.json()["display_name"] == "质检 一"
    assert api.client.get("/api/v1/auth/me", headers=api.as_("qa")).status_code == 200


@pytest.mark.parametrize(("who", "body", "status"), [
    ("nobody", {"display_name": "x"}, 404),
    ("agent", {"password": "Pw-x9z"}, 422),
    ("agent", {"display_name": "x" * 129}, 422),
    ("agent", {"role": "admin"}, 422),
])
def test_patch_refusals_change_nothing(api, who: str, body: dict, status: int) -> None:  # type: ignore[no-untyped-def]
    r = api.client.patch(f"{URL}/{who}", json=body, headers=api.as_("admin"))
    assert r.status_code == status, r.text
    assert "Pw-x9z" not in r.text
    assert api.client.get("/api/v1/auth/me", headers=api.as_("agent")).json()["role"] == "agent"
    for role in ("supervisor", "agent", "qa"):
        assert api.client.patch(f"{URL}/agent", json={"display_name": "y"},
                                headers=api.as_(role)).status_code == 403
