"""/ticket-types and /tickets over HTTP: the complaint flow end to end, role checks with
their reasons, attachments' limits (by content), the statistics, nothing half-written."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
import sqlalchemy as sa

from kefu.config import TicketsSettings

URL = "/api/v1/tickets"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"


def _count(api, table: str) -> int:  # type: ignore[no-untyped-def]
    with api.store._engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()


def _new(api, role: str = "agent", **body: Any):  # type: ignore[no-untyped-def]
    return api.client.post(URL, json={"type": "complaint", "title": "快递破损", **body},
                           headers=api.as_(role))


def _move(api, tid: int, role: str, transition: str, **body: Any):  # type: ignore[no-untyped-def]
    return api.client.post(f"{URL}/{tid}/transitions", json={"transition": transition, **body},
                           headers=api.as_(role))


def test_complaint_flow_through_the_api(api) -> None:  # type: ignore[no-untyped-def]
    visits: list[dict[str, Any]] = []
    api.ctx.tickets.schedule_visit = lambda **kw: visits.append(kw)
    customer = api.client.post("/api/v1/customers", json={"number": "13800138000",
                                                          "name": "张三"},
                               headers=api.as_("agent")).json()
    r = _new(api, number="138-0013-8000", description="外箱压坏", fields={"category": "delivery"})
    assert r.status_code == 201, r.text
    t = r.json()
    assert (t["state"], t["state_label_zh"], t["customer_id"], t["customer_name"],
            t["created_by"], t["transitions"]) == ("registered", "登记", customer["id"], "张三",
                                                   "agent", [])
    tid = t["id"]
    r = _move(api, tid, "agent", "assign", assignee="agent")
    assert r.status_code == 403 and "supervisor, admin only" in r.text
    r = _move(api, tid, "supervisor", "assign")
    assert r.status_code == 422 and "assignee" in r.text
    r = _move(api, tid, "supervisor", "assign", assignee="agent")
    assert r.status_code == 200 and r.json()["assignee"] == "agent"
    assert [x["name"] for x in r.json()["transitions"]] == ["assign", "process"]
    assert _move(api, tid, "agent", "close", comment="x").status_code == 409
    assert _move(api, tid, "agent", "process").status_code == 200
    r = _move(api, tid, "agent", "wait", comment="等客户照片")
    assert r.json()["sla"]["resolution"]["state"] == "paused"
    assert r.json()["state_kind"] == "waiting"
    r = _move(api, tid, "agent", "resume")
    assert r.json()["sla"]["resolution"]["state"] == "running"
    r = _move(api, tid, "agent", "visit", comment="已补发")
    assert r.json()["state"] == "visit" and visits[0]["ticket_id"] == tid
    assert visits[0]["customer_id"] == customer["id"] and visits[0]["kind"] == "visit"
    r = _move(api, tid, "agent", "close", comment="客户满意")
    assert (r.json()["state_kind"], r.json()["sla"]["resolution"]["state"]) == ("closed", "met")
    detail = api.client.get(f"{URL}/{tid}", headers=api.as_("supervisor")).json()
    assert [c["body"] for c in detail["comments"]] == ["等客户照片", "已补发", "客户满意"]
    assert [a["action"] for a in detail["activity"]] == ["created"] + ["assigned", "transition"] \
        + ["transition"] * 5
    timeline = api.client.get(f"/api/v1/customers/{customer['id']}/timeline",
                              headers=api.as_("agent"))
    if timeline.status_code == 200:                       # the route is the customers branch's
        assert any(e["kind"] == "ticket" for e in timeline.json()["items"])
    assert [e.type for e in api.events if e.type.startswith("ticket.")][:2] == [
        "ticket.created", "ticket.changed"]


def test_types_read_by_all_written_by_admin(api) -> None:  # type: ignore[no-untyped-def]
    r = api.client.get("/api/v1/ticket-types", headers=api.as_("qa"))
    assert [t["name"] for t in r.json()] == ["complaint", "inquiry"]
    inquiry = r.json()[1]
    body = {k: inquiry[k] for k in ("label_zh", "label_en", "workflow", "sla", "fields")}
    new = {**body, "name": "repair", "label_zh": "报修"}
    assert api.client.post("/api/v1/ticket-types", json=new,
                           headers=api.as_("supervisor")).status_code == 403
    r = api.client.post("/api/v1/ticket-types", json=new, headers=api.as_("admin"))
    assert r.status_code == 201 and r.json()["version"] == 1
    broken = {**new, "name": "broken", "workflow": {**body["workflow"], "initial": "nowhere"}}
    r = api.client.post("/api/v1/ticket-types", json=broken, headers=api.as_("admin"))
    assert r.status_code == 422 and "initial state 'nowhere'" in r.text
    assert _count(api, "ticket_types") == 3


def test_type_update_with_state_map(api) -> None:  # type: ignore[no-untyped-def]
    inquiry = api.client.get("/api/v1/ticket-types", headers=api.as_("agent")).json()[1]
    tid = _new(api, type="inquiry").json()["id"]
    wf = inquiry["workflow"]
    wf["states"][0] = {**wf["states"][0], "name": "new", "label_zh": "新建"}
    wf["initial"] = "new"
    for t in wf["transitions"]:
        t["from"] = ["new" if f == "open" else f for f in t["from"]]
        t["to"] = "new" if t["to"] == "open" else t["to"]
    body = {k: inquiry[k] for k in ("name", "label_zh", "label_en", "sla", "fields")}
    url = f"/api/v1/ticket-types/{inquiry['id']}"
    r = api.client.put(url, json={**body, "workflow": wf}, headers=api.as_("admin"))
    assert r.status_code == 422 and "open tickets are in open" in r.text
    r = api.client.put(url, json={**body, "workflow": wf, "state_map": {"open": "new"}},
                       headers=api.as_("admin"))
    assert r.status_code == 200 and r.json()["version"] == 2
    t = api.client.get(f"{URL}/{tid}", headers=api.as_("admin")).json()
    assert t["state"] == "new" and t["activity"][-1]["action"] == "state_mapped"


@pytest.mark.parametrize("body", [
    {}, {"type": "complaint"}, {"type": "complaint", "title": ""},
    {"type": "nosuch", "title": "x"}, {"type": "complaint", "title": "x", "priority": "asap"},
    {"type": "complaint", "title": "x", "assignee": "nobody"},
    {"type": "complaint", "title": "x", "fields": {"category": "weather"}},
    {"type": "complaint", "title": "x", "number": "abc"},
    {"type": "complaint", "title": "x", "customer_id": 999},
    {"type": "complaint", "title": "x", "id": 3},
    {"type": "complaint", "title": "x", "due_at": 1e300}, {"type": "complaint", "title": " "},
])
def test_create_bad_bodies(api, body: dict) -> None:  # type: ignore[no-untyped-def]
    r = api.client.post(URL, json=body, headers=api.as_("agent"))
    assert r.status_code == 422, r.text
    assert _count(api, "tickets") == 0 and _count(api, "ticket_activity") == 0


def test_roles(api) -> None:  # type: ignore[no-untyped-def]
    assert _new(api, "qa").status_code == 403
    tid = _new(api).json()["id"]
    assert api.client.get(URL, headers=api.as_("qa")).status_code == 403
    assert api.client.get(f"{URL}/stats", headers=api.as_("agent")).status_code == 403
    assert api.client.get(URL).status_code == 401
    r = api.client.patch(f"{URL}/{tid}", json={"assignee": "supervisor"}, headers=api.as_("agent"))
    assert r.status_code == 403 and "an agent may only take" in r.text
    r = api.client.patch(f"{URL}/{tid}", json={"priority": "urgent", "due_at": 1.0e9},
                         headers=api.as_("agent"))
    assert (r.json()["priority"], r.json()["due_at"]) == ("urgent", 1.0e9)
    r = api.client.patch(f"{URL}/{tid}", json={"due_at": None}, headers=api.as_("agent"))
    assert r.json()["due_at"] is None
    assert api.client.get(f"{URL}/999", headers=api.as_("admin")).status_code == 404


def test_list_filters_and_paging(api) -> None:  # type: ignore[no-untyped-def]
    a = _new(api, priority="low").json()["id"]
    b = _new(api, "supervisor", type="inquiry", title="发票问题", priority="urgent",
             assignee="agent").json()["id"]

    def ids(**params: Any) -> list[int]:
        r = api.client.get(URL, params=params, headers=api.as_("admin"))
        assert r.status_code == 200, r.text
        return [t["id"] for t in r.json()["items"]]

    assert ids() == [b, a] and ids(sort="created_at") == [a, b]
    assert ids(sort="-priority") == [b, a] and ids(type="inquiry") == [b]
    assert ids(assignee="agent") == [b] and ids(q="发票") == [b] and ids(q=f"#{a}") == [a]
    assert ids(open="false") == [] and ids(state_kind="open") == [b, a]
    assert ids(limit=1, offset=1) == [a] and ids(breached="true") == []
    assert ids(q="9" * 40) == [] and ids(q="%") == []
    assert ids(priority="urgent") == [b] and ids(priority="low") == [a]
    assert ids(priority="high") == []
    assert api.client.get(URL, params={"priority": "asap"},
                          headers=api.as_("admin")).status_code == 422
    r = api.client.get(URL, params={"limit": 1}, headers=api.as_("admin")).json()
    assert r["total"] == 2
    assert api.client.get(URL, params={"sort": "x"}, headers=api.as_("admin")).status_code == 422


def test_comments(api) -> None:  # type: ignore[no-untyped-def]
    tid = _new(api).json()["id"]
    r = api.client.post(f"{URL}/{tid}/comments", json={"body": "内部", "internal": True},
                        headers=api.as_("agent"))
    assert r.status_code == 201 and r.json()["internal"] is True
    t = api.client.get(f"{URL}/{tid}", headers=api.as_("agent")).json()
    assert t["sla"]["first_response"]["state"] != "met"
    api.client.post(f"{URL}/{tid}/comments", json={"body": "您好"}, headers=api.as_("agent"))
    t = api.client.get(f"{URL}/{tid}", headers=api.as_("agent")).json()
    assert t["sla"]["first_response"]["state"] == "met"
    assert api.client.post(f"{URL}/{tid}/comments", json={"body": ""},
                           headers=api.as_("agent")).status_code == 422


def _docx() -> bytes:
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return b.getvalue()


@pytest.mark.parametrize("name,data,mime", [
    ("photo.png", PNG, "image/png"), ("scan.pdf", PDF, "application/pdf"),
    ("信.docx", _docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("notes.txt", "客户说明".encode(), "text/plain"), ("list.csv", b"a,b\n1,2\n", "text/csv"),
    ("../../etc/passwd.png", PNG, "image/png"),
])
def test_attachments_stored_and_served(api, name: str, data: bytes, mime: str) -> None:  # type: ignore[no-untyped-def]
    tid = _new(api).json()["id"]
    r = api.client.post(f"{URL}/{tid}/attachments", files={"file": (name, data, "x/y")},
                        headers=api.as_("agent"))
    assert r.status_code == 201, r.text
    a = r.json()
    assert (a["mime"], a["size"], a["by"]) == (mime, len(data), "agent")
    assert "/" not in a["name"]
    stored = list(api.ctx.tickets.files_dir.iterdir())
    assert len(stored) == 1 and stored[0].name not in name
    got = api.client.get(f"{URL}/{tid}/attachments/{a['id']}", headers=api.as_("supervisor"))
    assert got.status_code == 200 and got.content == data
    assert got.headers["content-type"].startswith(mime)
    detail = api.client.get(f"{URL}/{tid}", headers=api.as_("agent")).json()
    assert detail["attachments"] == [a] and detail["activity"][-1]["action"] == "attachment"


@pytest.mark.parametrize("name,data,status,reason", [
    ("fake.pdf", b"MZ\x90\x00" + b"\0" * 60, 415, "allowed"),     # an exe named .pdf
    ("x.txt", b"\xff\xfe\0\0binary", 415, "allowed"),
    ("big.png", PNG + b"\0" * 2000, 413, "at most 1000"),
    ("a.gif", b"GIF89a" + b"\0" * 20, 415, "gif files are not allowed"),
])
def test_attachments_refused(api, name: str, data: bytes, status: int, reason: str) -> None:  # type: ignore[no-untyped-def]
    api.ctx.tickets.settings = TicketsSettings(attachments_max_bytes=1000,
                                               attachment_types=["png", "pdf", "txt"])
    tid = _new(api).json()["id"]
    r = api.client.post(f"{URL}/{tid}/attachments", files={"file": (name, data)},
                        headers=api.as_("agent"))
    assert r.status_code == status and reason in r.text
    assert _count(api, "ticket_attachments") == 0
    assert not api.ctx.tickets.files_dir.exists() or not list(api.ctx.tickets.files_dir.iterdir())


def test_attachment_of_another_ticket_is_not_found(api) -> None:  # type: ignore[no-untyped-def]
    a, b = _new(api).json()["id"], _new(api).json()["id"]
    aid = api.client.post(f"{URL}/{a}/attachments", files={"file": ("p.png", PNG)},
                          headers=api.as_("agent")).json()["id"]
    assert api.client.get(f"{URL}/{b}/attachments/{aid}",
                          headers=api.as_("agent")).status_code == 404
    assert api.client.post(f"{URL}/{a}/attachments", files={"file": ("p.png", PNG)},
                           headers=api.as_("qa")).status_code == 403


def test_activity_has_no_route_that_changes_it(api) -> None:  # type: ignore[no-untyped-def]
    schema = api.client.get("/api/v1/openapi.json").json()
    for path, ops in schema["paths"].items():
        if "activity" in path:
            assert set(ops) <= {"get"}


def test_stats_route(api) -> None:  # type: ignore[no-untyped-def]
    _new(api, fields={"category": "delivery"})
    _new(api, "supervisor", type="inquiry", title="q", group="support")
    r = api.client.get(f"{URL}/stats", headers=api.as_("supervisor"))
    assert r.status_code == 200, r.text
    s = r.json()
    assert {x["key"]: x["total"] for x in s["by_type"]} == {"complaint": 1, "inquiry": 1}
    assert s["complaints_by_category"] == [{"key": "delivery", "total": 1}]
    assert len(s["complaints_by_period"]) == 1 and s["complaints_by_period"][0]["total"] == 1
    r = api.client.get(f"{URL}/stats", params={"type": "inquiry", "since": 0},
                       headers=api.as_("admin"))
    assert [x["key"] for x in r.json()["by_type"]] == ["inquiry"]
