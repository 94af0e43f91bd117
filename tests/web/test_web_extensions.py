"""/extensions CRUD: roles, validation, conflicts, bus events, passwords never returned."""

from __future__ import annotations

import hashlib

import pytest

URL = "/api/v1/extensions"
SECRET = "sup3r-secret"


def _create(api, number: str = "1001", **extra):  # type: ignore[no-untyped-def]
    body = {"number": number, "password": SECRET, "display_name": "Front desk", **extra}
    return api.client.post(URL, json=body, headers=api.as_("admin"))


def test_create_as_admin(api) -> None:  # type: ignore[no-untyped-def]
    r = _create(api)
    assert r.status_code == 201
    body = r.json()
    assert body["number"] == "1001" and body["display_name"] == "Front desk" and body["enabled"]
    assert SECRET not in r.text and "ha1" not in r.text
    ext = api.store.get_extension("1001")
    assert ext.ha1_md5 == hashlib.md5(f"1001:kefu:{SECRET}".encode()).hexdigest()
    assert [(e.type, e.data["number"], e.data["action"]) for e in api.events] == [
        ("extension.changed", "1001", "created")]


@pytest.mark.parametrize("role", ["supervisor", "agent", "qa"])
def test_create_refused_for_non_admins(api, role: str) -> None:  # type: ignore[no-untyped-def]
    r = api.client.post(URL, json={"number": "1001", "password": SECRET}, headers=api.as_(role))
    assert r.status_code == 403
    assert api.store.get_extension("1001") is None and api.events == []


def test_duplicate_is_409(api) -> None:  # type: ignore[no-untyped-def]
    assert _create(api).status_code == 201
    r = _create(api)
    assert r.status_code == 409 and "1001" in r.json()["detail"]
    assert len(api.events) == 1


@pytest.mark.parametrize("body", [
    {"number": "1", "password": SECRET},
    {"number": "12345678901", "password": SECRET},
    {"number": "10a1", "password": SECRET},
    {"number": 1001, "password": SECRET},
    {"number": "1001", "password": "Zq9x5"},
    {"number": "1001"},
    {"password": SECRET},
    {"number": "1001", "password": SECRET, "enabled": False, "extra": 1},
    {"number": "1001", "password": SECRET, "display_name": "x" * 129},
])
def test_bad_bodies_are_422_without_echo(api, body: dict) -> None:  # type: ignore[no-untyped-def]
    r = api.client.post(URL, json=body, headers=api.as_("admin"))
    assert r.status_code == 422
    if "password" in body:
        assert body["password"] not in r.text
    assert api.store.list_extensions() == []


@pytest.mark.parametrize("role", ["admin", "supervisor"])
def test_list_and_get_for_readers(api, role: str) -> None:  # type: ignore[no-untyped-def]
    _create(api, "1002")
    _create(api, "1001")
    r = api.client.get(URL, headers=api.as_(role))
    assert r.status_code == 200
    assert [e["number"] for e in r.json()] == ["1001", "1002"]
    assert all(set(e) == {"number", "display_name", "enabled", "created_at", "updated_at"}
               for e in r.json())
    one = api.client.get(f"{URL}/1002", headers=api.as_(role))
    assert one.status_code == 200 and one.json()["number"] == "1002"
    assert api.client.get(f"{URL}/4040", headers=api.as_(role)).status_code == 404


@pytest.mark.parametrize("role", ["agent", "qa"])
def test_read_refused(api, role: str) -> None:  # type: ignore[no-untyped-def]
    _create(api)
    assert api.client.get(URL, headers=api.as_(role)).status_code == 403
    assert api.client.get(f"{URL}/1001", headers=api.as_(role)).status_code == 403


def test_patch(api) -> None:  # type: ignore[no-untyped-def]
    _create(api)
    before = api.store.get_extension("1001")
    r = api.client.patch(f"{URL}/1001", json={"display_name": "Lobby", "enabled": False},
                         headers=api.as_("admin"))
    assert r.status_code == 200
    assert (r.json()["display_name"], r.json()["enabled"]) == ("Lobby", False)
    assert api.store.get_extension("1001").ha1_md5 == before.ha1_md5
    r = api.client.patch(f"{URL}/1001", json={"password": "n3w-password"},
                         headers=api.as_("admin"))
    assert r.status_code == 200 and "n3w-password" not in r.text
    assert api.store.get_extension("1001").ha1_md5 == \
        hashlib.md5(b"1001:kefu:n3w-password").hexdigest()
    assert [e.data["action"] for e in api.events] == ["created", "updated", "updated"]


def test_empty_patch_changes_nothing(api) -> None:  # type: ignore[no-untyped-def]
    _create(api)
    r = api.client.patch(f"{URL}/1001", json={}, headers=api.as_("admin"))
    assert r.status_code == 200 and r.json()["display_name"] == "Front desk"
    assert len(api.events) == 1


@pytest.mark.parametrize("body", [{"password": "Zq9x"}, {"enabled": "yes"}, {"number": "1002"}])
def test_patch_bad_bodies(api, body: dict) -> None:  # type: ignore[no-untyped-def]
    _create(api)
    r = api.client.patch(f"{URL}/1001", json=body, headers=api.as_("admin"))
    assert r.status_code == 422
    assert "Zq9x" not in r.text
    assert len(api.events) == 1


def test_patch_unknown_and_refused(api) -> None:  # type: ignore[no-untyped-def]
    assert api.client.patch(f"{URL}/4040", json={"enabled": False},
                            headers=api.as_("admin")).status_code == 404
    assert api.client.patch(f"{URL}/4040", json={},
                            headers=api.as_("admin")).status_code == 404
    _create(api)
    assert api.client.patch(f"{URL}/1001", json={"enabled": False},
                            headers=api.as_("supervisor")).status_code == 403
    assert api.store.get_extension("1001").enabled


def test_delete(api) -> None:  # type: ignore[no-untyped-def]
    _create(api)
    assert api.client.delete(f"{URL}/1001", headers=api.as_("supervisor")).status_code == 403
    assert api.client.delete(f"{URL}/1001", headers=api.as_("admin")).status_code == 204
    assert api.store.get_extension("1001") is None
    assert api.client.delete(f"{URL}/1001", headers=api.as_("admin")).status_code == 404
    assert [e.data["action"] for e in api.events] == ["created", "deleted"]
