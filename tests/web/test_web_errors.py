"""The API's edges: every integer parameter is bounded (422, never a database error), and
errors have one shape, declared in the OpenAPI schema: a 422 is always FastAPI's
validation list, every other error ``{"detail": "<reason>"}`` (the ``Error`` model)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import HTTPException

API = "/api/v1"
MAX_INT = 2**31 - 1          # kefu.web.deps.MAX_INT: the bound of every integer parameter
ERROR_REF = "#/components/schemas/Error"
VALIDATION_REF = "#/components/schemas/HTTPValidationError"


def _operations(api) -> list[tuple[str, str, dict[str, Any]]]:  # type: ignore[no-untyped-def]
    spec = api.client.get(f"{API}/openapi.json").json()
    return [(method, path, op) for path, item in spec["paths"].items()
            for method, op in item.items()]


def _is_validation_list(body: dict[str, Any]) -> bool:
    detail = body.get("detail")
    return (isinstance(detail, list) and len(detail) > 0
            and all(isinstance(d, dict) and isinstance(d.get("loc"), list)
                    and isinstance(d.get("msg"), str) and isinstance(d.get("type"), str)
                    for d in detail))


def test_every_integer_parameter_has_an_upper_bound(api) -> None:  # type: ignore[no-untyped-def]
    unbounded = []
    for method, path, op in _operations(api):
        for param in op.get("parameters", []):
            schema = param.get("schema", {})
            integers = [s for s in (schema, *schema.get("anyOf", ())) if s.get("type") == "integer"]
            if any("maximum" not in s for s in integers):
                unbounded.append(f"{method.upper()} {path} {param['name']}")
    assert unbounded == []


@pytest.mark.parametrize("offset", [str(10**33), str(2**63), str(MAX_INT + 1)])
def test_huge_offset_is_422_not_500(api, offset: str) -> None:  # type: ignore[no-untyped-def]
    r = api.client.get(f"{API}/calls", params={"offset": offset}, headers=api.as_("admin"))
    assert r.status_code == 422, r.text
    assert _is_validation_list(r.json()) and r.json()["detail"][0]["loc"] == ["query", "offset"]
    r = api.client.get(f"{API}/calls", params={"offset": MAX_INT}, headers=api.as_("admin"))
    assert r.status_code == 200, r.text                 # the bound itself is an empty page
    assert r.json()["items"] == [] and r.json()["offset"] == MAX_INT


def test_a_store_422_has_the_validation_shape(api) -> None:  # type: ignore[no-untyped-def]
    """``Invalid`` from the store (an announcement to a queue that does not exist)."""
    r = api.client.post(f"{API}/announcements", headers=api.as_("admin"),
                        json={"title": "t", "groups": ["nope"]})
    assert r.status_code == 422, r.text
    assert _is_validation_list(r.json())
    assert r.json()["detail"][0]["type"] == "value_error"
    assert "nope" in r.json()["detail"][0]["msg"]


def test_http_exceptions_422_is_a_list_others_a_reason(api) -> None:  # type: ignore[no-untyped-def]
    def refuse() -> None:
        raise HTTPException(422, "target or agent is required")

    api.client.app.add_api_route(f"{API}/_refuse", refuse, methods=["POST"])
    r = api.client.post(f"{API}/_refuse")
    assert r.status_code == 422
    assert r.json() == {"detail": [{"loc": ["body"], "msg": "target or agent is required",
                                    "type": "value_error"}]}
    r = api.client.get(f"{API}/calls")
    assert r.status_code == 401 and r.json() == {"detail": "missing bearer token"}
    assert r.headers["www-authenticate"] == "Bearer"
    r = api.client.get(f"{API}/customers/7", headers=api.as_("agent"))
    assert r.status_code == 404 and r.json() == {"detail": "customer 7 does not exist"}


def test_the_schema_declares_both_shapes(api) -> None:  # type: ignore[no-untyped-def]
    spec = api.client.get(f"{API}/openapi.json").json()
    assert spec["components"]["schemas"]["Error"]["required"] == ["detail"]
    assert spec["components"]["schemas"]["Error"]["properties"]["detail"]["type"] == "string"
    missing = []
    for method, path, op in _operations(api):
        if path == f"{API}/health":         # no auth; its 503 is the health body
            assert "503" in op["responses"]
            continue
        for code in ("400", "401", "403", "404", "409", "413", "429", "503"):
            ref = (op["responses"].get(code, {}).get("content", {})
                   .get("application/json", {}).get("schema", {}).get("$ref"))
            if ref != ERROR_REF:
                missing.append(f"{method.upper()} {path} {code}")
        if "422" in op["responses"]:
            ref = op["responses"]["422"]["content"]["application/json"]["schema"]["$ref"]
            assert ref == VALIDATION_REF, (method, path)
    assert missing == []
