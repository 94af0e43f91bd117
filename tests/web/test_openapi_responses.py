"""``/openapi.json`` describes every successful response: each 2xx of every operation has a
schema that names its fields (a model, or a list of one), so the desk, reports and
integrators can rely on it.  What may stand without one is listed here with its reason."""

from __future__ import annotations

from typing import Any

API = "/api/v1"

# 2xx responses with no body besides 204 (which never has one): (method, path) → why
NO_BODY = {
    ("post", f"{API}/live-calls/{{call_id}}/{action}"):
        "202: a phone is rung or digits played; the outcome comes as events"
    for action in ("transfer", "parties", "consult", "dtmf")
} | {("post", f"{API}/live-calls/{{call_id}}/ivr"):
     "202: the caller walks a flow; its return comes as events (ivr.back)"}
# routes whose JSON body is a document with its own standard → why
DOCUMENTS = {
    ("get", f"{API}/ivr/flow-schema"): "a JSON Schema document: the meta-schema describes it",
}
# named models that are free-form maps on purpose → why
FREE_FORM = {
    "AttachedData": "call-attached data: keys and JSON values chosen by the integrator",
}


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    ref = schema.get("$ref")
    if ref is None:
        return None, schema
    name = ref.rsplit("/", 1)[-1]
    return name, spec["components"]["schemas"][name]


def _describes(spec: dict[str, Any], schema: dict[str, Any]) -> bool:
    """Whether ``schema`` names what the body holds: an object with properties, a list of
    such, a choice among such, or a free-form model listed in :data:`FREE_FORM`."""
    name, schema = _resolve(spec, schema)
    if name in FREE_FORM:
        return True
    choices = schema.get("anyOf") or schema.get("oneOf")
    if choices:
        return all(_describes(spec, c) for c in choices if c.get("type") != "null")
    if schema.get("type") == "array":
        return _describes(spec, schema.get("items", {}))
    return schema.get("type") == "object" and bool(schema.get("properties"))


def untyped_responses(spec: dict[str, Any]) -> list[str]:
    """Every 2xx response of ``spec`` that has no schema naming its fields (and is not
    listed), and every operation with no 2xx at all."""
    found = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            ok = {code: r for code, r in op.get("responses", {}).items() if code.startswith("2")}
            if not ok:
                found.append(f"{method.upper()} {path}: no 2xx response")
            for code, response in ok.items():
                content = response.get("content")
                if not content:
                    if code != "204" and (method, path) not in NO_BODY:
                        found.append(f"{method.upper()} {path} {code}: no body declared")
                    continue
                if (method, path) in DOCUMENTS:
                    continue
                for media, body in content.items():
                    if media != "application/json":
                        continue        # a file (CSV, WAV): its media type is its description
                    if not _describes(spec, body.get("schema", {})):
                        found.append(f"{method.upper()} {path} {code} {media}: "
                                     f"{body.get('schema')}")
    return found


def test_every_success_response_has_a_schema(api) -> None:  # type: ignore[no-untyped-def]
    spec = api.client.get(f"{API}/openapi.json").json()
    assert untyped_responses(spec) == []


def test_the_listed_exceptions_exist(api) -> None:  # type: ignore[no-untyped-def]
    """A route listed here that changed (or went) must leave the list too."""
    spec = api.client.get(f"{API}/openapi.json").json()
    for method, path in NO_BODY:
        assert "content" not in spec["paths"][path][method]["responses"]["202"]
    for method, path in DOCUMENTS:
        assert "application/json" in spec["paths"][path][method]["responses"]["200"]["content"]
    assert set(FREE_FORM) <= set(spec["components"]["schemas"])


def test_an_untyped_route_is_found(api) -> None:  # type: ignore[no-untyped-def]
    """The walk can fail: a dict route, an ``Any`` route and a 202 with a null body."""
    app = api.client.app

    def as_dict() -> dict[str, Any]:
        return {}

    def as_any() -> Any:
        return None

    app.add_api_route(f"{API}/_dict", as_dict, methods=["GET"])
    app.add_api_route(f"{API}/_any", as_any, methods=["GET"])
    app.add_api_route(f"{API}/_started", as_any, methods=["POST"], status_code=202)
    app.openapi_schema = None           # built again with the new routes
    found = untyped_responses(api.client.get(f"{API}/openapi.json").json())
    assert [f.split(" 2")[0] for f in found] == [
        f"GET {API}/_dict", f"GET {API}/_any", f"POST {API}/_started"], found
