"""The customers' API beyond the screen pop: full bodies, search, custom fields, delete,
duplicates, merge, import (on its worker thread), export, the audit; every write route
refuses the roles it is not for."""

from __future__ import annotations

import csv
import io
import time

import pytest
from openpyxl import load_workbook

from kefu.recordings.service import Recording

URL = "/api/v1/customers"
NUMBER = "13800138000"
E164 = "+8613800138000"
OUT_KEYS = {"id", "number", "numbers", "phones", "name", "company", "tier", "owner", "notes",
            "birthday", "address", "emails", "tags", "fields", "created_at", "updated_at"}


def _post(api, path: str, body: dict, role: str = "admin"):  # type: ignore[no-untyped-def]
    return api.client.post(path, json=body, headers=api.as_(role))


def _customer(api, role: str = "agent", **body):  # type: ignore[no-untyped-def]
    r = _post(api, URL, body, role)
    assert r.status_code == 201, r.text
    return r.json()


def test_full_body_in_and_out(api) -> None:  # type: ignore[no-untyped-def]
    assert _post(api, "/api/v1/crm/fields", {"name": "level", "label": "级别",
                                             "kind": "number"}).status_code == 201
    c = _customer(api, name="张三", company="ACME", tier="gold", owner="agent", notes="n",
                  birthday="1990-01-02", address="上海",
                  numbers=[{"number": "139 0013 9000", "label": "work"}],
                  emails=["A@X.cn"], tags=[" vip "], fields={"level": 3})
    assert set(c) == OUT_KEYS
    assert (c["number"], c["numbers"], c["phones"]) == (
        "+8613900139000", ["+8613900139000"],
        [{"number": "+8613900139000", "extension": "", "label": "work"}])
    assert (c["emails"], c["tags"], c["fields"], c["birthday"]) == (
        ["a@x.cn"], ["vip"], {"level": 3}, "1990-01-02")
    old = _customer(api, number=NUMBER)                  # the desk's body still works
    assert old["numbers"] == [E164] and old["fields"] == {}
    r = api.client.patch(f"{URL}/{c['id']}", json={"tags": ["a", "b"], "emails": [],
                                                   "fields": {"level": None}},
                         headers=api.as_("agent"))
    assert r.status_code == 200 and (r.json()["tags"], r.json()["emails"],
                                     r.json()["fields"]) == (["a", "b"], [], {})


@pytest.mark.parametrize("body,named", [
    ({"name": "x", "fields": {"colour": "red"}}, "colour"),
    ({"name": "x", "fields": {"level": "high"}}, "level"),
    ({"name": "x", "emails": ["nope"]}, "e-mail"),
    ({"name": "x", "birthday": "02/01/1990"}, "birthday"),
    ({"name": "x", "numbers": [{"number": NUMBER, "label": "fax"}]}, "label"),
    ({"name": "x", "tags": ["t" * 65]}, "tag"),
    ({}, "name or a number"),
])
def test_bad_data_is_422_with_the_reason(api, body: dict, named: str) -> None:  # type: ignore[no-untyped-def]
    _post(api, "/api/v1/crm/fields", {"name": "level", "label": "级别", "kind": "number"})
    r = _post(api, URL, body, "agent")
    assert r.status_code == 422 and named in r.text


def test_search(api) -> None:  # type: ignore[no-untyped-def]
    a = _customer(api, number=NUMBER, name="张三", company="ACME", tags=["vip"])
    _customer(api, number="13900139000", name="李四", emails=["li@x.cn"])
    r = api.client.get(f"{URL}/search", params={"q": "+86 138 0013 8000"},
                       headers=api.as_("qa"))
    assert r.status_code == 200 and r.json() == {"items": [a], "total": 1}
    r = api.client.get(f"{URL}/search", params={"limit": 1, "offset": 1},
                       headers=api.as_("agent"))
    assert r.json()["total"] == 2 and [c["name"] for c in r.json()["items"]] == ["李四"]
    r = api.client.get(f"{URL}/search", params={"tag": "vip", "company": "ACME"},
                       headers=api.as_("agent"))
    assert [c["id"] for c in r.json()["items"]] == [a["id"]]
    assert api.client.get(f"{URL}/search", params={"limit": 0},
                          headers=api.as_("agent")).status_code == 422


def test_custom_fields(api) -> None:  # type: ignore[no-untyped-def]
    r = _post(api, "/api/v1/crm/fields", {"name": "vip", "label": "VIP", "kind": "choice",
                                          "choices": ["A", "B"], "required": False,
                                          "position": 2})
    assert r.status_code == 201
    field = r.json()
    assert _post(api, "/api/v1/crm/fields", {"name": "vip", "label": "x",
                                             "kind": "text"}).status_code == 409
    assert _post(api, "/api/v1/crm/fields", {"name": "Bad", "label": "x",
                                             "kind": "text"}).status_code == 422
    got = api.client.get("/api/v1/crm/fields", headers=api.as_("qa"))
    assert got.status_code == 200 and got.json() == [field]
    url = f"/api/v1/crm/fields/{field['id']}"
    put = api.client.put(url, json={**{k: field[k] for k in ("name", "kind", "required",
                                                             "position")},
                                    "label": "贵宾", "choices": ["A", "B", "C"]},
                         headers=api.as_("admin"))
    assert put.status_code == 200 and put.json()["choices"] == ["A", "B", "C"]
    assert api.client.put(url, json={"name": "other", "label": "x", "kind": "text"},
                          headers=api.as_("admin")).status_code == 422
    assert api.client.delete(url, headers=api.as_("admin")).status_code == 204
    assert api.client.delete(url, headers=api.as_("admin")).status_code == 404


def test_delete(api) -> None:  # type: ignore[no-untyped-def]
    plain = _customer(api, number=NUMBER, name="a")
    assert api.client.delete(f"{URL}/{plain['id']}",
                             headers=api.as_("supervisor")).status_code == 204
    assert api.client.get(f"{URL}/{plain['id']}", headers=api.as_("agent")).status_code == 404
    busy = _post(api, "/api/v1/calls/call-1/notes", {"number": NUMBER, "type": "inquiry",
                                                     "result": "resolved"}, "agent").json()
    url = f"{URL}/{busy['customer']['id']}"
    assert api.client.delete(url, headers=api.as_("supervisor")).status_code == 409
    assert api.client.delete(url, params={"force": "true"},
                             headers=api.as_("supervisor")).status_code == 403
    assert api.client.delete(url, params={"force": "true"},
                             headers=api.as_("admin")).status_code == 204
    assert api.client.delete(url, headers=api.as_("admin")).status_code == 404
    audit = api.client.get("/api/v1/crm/audit", params={"action": "delete"},
                           headers=api.as_("admin")).json()
    assert [(e["username"], e["detail"]["force"]) for e in audit] == [
        ("admin", True), ("supervisor", False)]


def test_duplicates_and_merge(api) -> None:  # type: ignore[no-untyped-def]
    keep = _customer(api, number=NUMBER, name="张三", company="ACME")
    dup = _customer(api, number="13900139000", name="张三", company="ACME",
                    emails=["z@x.cn"])
    third = _customer(api, number="+86 138 0013 8000", name="三")
    note = _post(api, "/api/v1/calls/call-9/notes", {"number": "13900139000",
                                                     "type": "inquiry",
                                                     "result": "resolved"}, "agent").json()
    assert note["customer"]["id"] == dup["id"]
    rec = api.ctx.recordings.save(Recording(
        id=0, call_id="call-9", segment=1, journey="call-9", caller="13900139000",
        callee="800", started_at=1.0, duration=2.0, agent="agent", queue=None,
        customer_id=dup["id"], direction="inbound", disposition=None, policy="all",
        tier="live", path="/r/call-9.wav", codec="wav", size=None, sha256=None,
        state="done"))
    r = api.client.get(f"{URL}/{keep['id']}/duplicates", headers=api.as_("agent"))
    assert r.status_code == 200
    assert [(d["customer"]["id"], d["reasons"]) for d in r.json()] == [
        (dup["id"], ["name"]), (third["id"], ["number"])]
    groups = api.client.get(f"{URL}/duplicates", headers=api.as_("qa")).json()
    assert [([c["id"] for c in g["customers"]], g["reasons"]) for g in groups] == [
        ([keep["id"], dup["id"], third["id"]], ["name", "number"])]

    for role in ("agent", "qa"):
        assert _post(api, f"{URL}/merge", {"into": keep["id"], "merge": [dup["id"]]},
                     role).status_code == 403
    r = _post(api, f"{URL}/merge", {"into": keep["id"], "merge": [dup["id"], third["id"]]},
              "supervisor")
    assert r.status_code == 200, r.text
    merged = r.json()
    assert merged["numbers"] == [E164, "+8613900139000"] and merged["emails"] == ["z@x.cn"]
    history = api.client.get(f"{URL}/{keep['id']}/history", headers=api.as_("agent")).json()
    assert [n["id"] for n in history] == [note["note"]["id"]]
    assert api.ctx.recordings.get(rec.id).customer_id == keep["id"]
    assert api.client.get(f"{URL}/{dup['id']}", headers=api.as_("agent")).status_code == 404
    assert _post(api, f"{URL}/merge", {"into": keep["id"], "merge": [dup["id"]]},
                 "admin").status_code == 404
    assert _post(api, f"{URL}/merge", {"into": keep["id"], "merge": []},
                 "admin").status_code == 422
    audit = api.client.get("/api/v1/crm/audit", headers=api.as_("admin")).json()
    assert [(e["action"], e["detail"]["merged"]) for e in audit] == [
        ("merge", [dup["id"], third["id"]])]


def _wait(api, job_id: int) -> dict:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 30
    while True:
        r = api.client.get(f"{URL}/import/{job_id}", headers=api.as_("supervisor"))
        assert r.status_code == 200
        if r.json()["state"] != "running" or time.monotonic() > deadline:
            return r.json()
        time.sleep(0.05)


def test_import_on_its_thread_and_errors_csv(api) -> None:  # type: ignore[no-untyped-def]
    text = "\ufeff姓名,电话,邮箱\n张三,13800138000,zs@x.cn\n李四,bad,\n王五,13900139000,=x\n"
    r = api.client.post(f"{URL}/import", files={"file": ("c.csv", text.encode(), "text/csv")},
                        headers=api.as_("supervisor"))
    assert r.status_code == 202, r.text
    job = _wait(api, r.json()["job_id"])
    assert {k: job[k] for k in ("state", "total", "done", "created", "updated", "failed")} == {
        "state": "done", "total": 3, "done": 3, "created": 1, "updated": 0, "failed": 2}
    assert [(e["row"], e["column"]) for e in job["errors"]] == [(3, "电话"), (4, "邮箱")]
    r = api.client.get(f"{URL}/import/{job['id']}/errors.csv", headers=api.as_("admin"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0] == ["row", "column", "message"] and [x[:2] for x in rows[1:]] == [
        ["3", "电话"], ["4", "邮箱"]]
    again = api.client.post(f"{URL}/import", files={"file": ("c.csv", text.encode())},
                            headers=api.as_("admin"))
    assert _wait(api, again.json()["job_id"])["updated"] == 1
    assert api.client.get(f"{URL}/import/9999", headers=api.as_("admin")).status_code == 404


def test_import_refusals(api) -> None:  # type: ignore[no-untyped-def]
    big = b"name\n" + b"x" * (api.ctx.crm.settings.import_max_bytes + 1)
    assert api.client.post(f"{URL}/import", files={"file": ("c.csv", big)},
                           headers=api.as_("admin")).status_code == 413
    assert api.client.post(f"{URL}/import", files={"file": ("c.csv", b"\xff\xfe\x00")},
                           headers=api.as_("admin")).status_code == 422
    assert api.client.post(f"{URL}/import", headers=api.as_("admin")).status_code == 422


def test_export(api) -> None:  # type: ignore[no-untyped-def]
    _customer(api, number=NUMBER, name="=cmd()", company="ACME")
    _customer(api, number="13900139000", name="other")
    r = api.client.get(f"{URL}/export", params={"format": "csv", "company": "ACME"},
                       headers=api.as_("supervisor"))
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(rows) == 2 and rows[1][1] == "'=cmd()"
    x = api.client.get(f"{URL}/export", params={"format": "xlsx"}, headers=api.as_("admin"))
    assert x.status_code == 200
    sheet = load_workbook(io.BytesIO(x.content), read_only=True).worksheets[0]
    assert len(list(sheet.iter_rows(values_only=True))) == 3
    assert api.client.get(f"{URL}/export", params={"format": "pdf"},
                          headers=api.as_("admin")).status_code == 422
    audit = api.client.get("/api/v1/crm/audit", params={"action": "export"},
                           headers=api.as_("admin")).json()
    assert [e["detail"]["format"] for e in audit] == ["xlsx", "csv"]


def test_audit_filters(api) -> None:  # type: ignore[no-untyped-def]
    api.client.get(f"{URL}/export", headers=api.as_("admin"))
    now = time.time()
    r = api.client.get("/api/v1/crm/audit", params={"since": now + 60},
                       headers=api.as_("admin"))
    assert r.status_code == 200 and r.json() == []
    r = api.client.get("/api/v1/crm/audit", params={"until": now + 60, "action": "export"},
                       headers=api.as_("admin"))
    assert len(r.json()) == 1
    assert api.client.get("/api/v1/crm/audit", params={"action": "x"},
                          headers=api.as_("admin")).status_code == 422


# (method, path, body, roles allowed); every other role gets 403 and nothing changes
WRITES = [
    ("post", URL, {"number": NUMBER}, {"admin", "supervisor", "agent"}),
    ("patch", f"{URL}/1", {"name": "x"}, {"admin", "supervisor", "agent"}),
    ("delete", f"{URL}/1", None, {"admin", "supervisor"}),
    ("post", f"{URL}/merge", {"into": 1, "merge": [2]}, {"admin", "supervisor"}),
    ("post", "/api/v1/crm/fields", {"name": "f", "label": "F", "kind": "text"}, {"admin"}),
    ("put", "/api/v1/crm/fields/1", {"name": "f", "label": "F", "kind": "text"}, {"admin"}),
    ("delete", "/api/v1/crm/fields/1", None, {"admin"}),
    ("post", f"{URL}/import", "file", {"admin", "supervisor"}),
    ("get", f"{URL}/export", None, {"admin", "supervisor"}),
    ("get", f"{URL}/import/1", None, {"admin", "supervisor"}),
    ("get", "/api/v1/crm/audit", None, {"admin"}),
]


@pytest.mark.parametrize("method,path,body,allowed", WRITES)
def test_roles_refused(api, method: str, path: str, body, allowed: set) -> None:  # type: ignore[no-untyped-def]
    for role in {"admin", "supervisor", "agent", "qa"} - allowed:
        kwargs: dict = {"headers": api.as_(role)}
        if body == "file":
            kwargs["files"] = {"file": ("c.csv", b"name\nx\n")}
        elif body is not None:
            kwargs["json"] = body
        r = getattr(api.client, method)(path, **kwargs) if method != "delete" else \
            api.client.request("DELETE", path, **kwargs)
        assert r.status_code == 403, (role, r.text)
    with api.store._engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM customers").scalar_one() == 0
        assert conn.exec_driver_sql("SELECT count(*) FROM crm_fields").scalar_one() == 0
        assert conn.exec_driver_sql("SELECT count(*) FROM crm_imports").scalar_one() == 0
