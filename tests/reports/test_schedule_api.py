"""The /report-schedules API over SQLite: supervisors and admins only, 422 with the
reasons, 409 while the engine is missing, the CRUD, the delivery log and send-now to a
local SMTP server."""

from __future__ import annotations

import io

import openpyxl
import pytest

from fake_clock import FakeClock
from kefu.reports.schedule import ENGINE_MISSING
from schedkit import Engine, Inbox, local, schedules
from webkit import Api

BODY = {"report": "agent_summary", "period": "yesterday", "frequency": "daily",
        "at": "07:30", "recipients": ["boss@cc.test"], "filters": {"queues": "sales"}}
URL = "/api/v1/report-schedules"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(local(2026, 12, 1, 10, 0))


@pytest.fixture
def sched_api(api: Api, smtp: tuple[Inbox, int], clock: FakeClock) -> Api:
    api.ctx.report_schedules = schedules(api.store.db, clock, smtp[1], Engine())
    return api


def test_only_supervisors_and_admins(sched_api: Api) -> None:
    api = sched_api
    made = api.client.post(URL, json=BODY, headers=api.as_("supervisor"))
    assert made.status_code == 201, made.text
    sid = made.json()["id"]
    for method, path, body in [("GET", "", None), ("POST", "", BODY), ("GET", f"/{sid}", None),
                               ("PATCH", f"/{sid}", {"at": "08:00"}),
                               ("DELETE", f"/{sid}", None), ("GET", f"/{sid}/deliveries", None),
                               ("POST", f"/{sid}/send-now", None)]:
        r = api.client.request(method, URL + path, json=body, headers=api.as_("agent"))
        assert r.status_code == 403, (method, path, r.status_code)
        assert api.client.request(method, URL + path, json=body).status_code == 401
    assert api.client.get(URL, headers=api.as_("admin")).json()[0]["id"] == sid


def test_create_read_change_delete(sched_api: Api) -> None:
    api, admin = sched_api, sched_api.as_("admin")
    s = api.client.post(URL, json=BODY, headers=admin).json()
    assert s["at"] == "07:30" and s["next_at"] == local(2026, 12, 2, 7, 30)
    assert s["created_by"] == "admin" and s["lang"] == "zh" and s["failing_since"] is None
    r = api.client.patch(f"{URL}/{s['id']}", json={"frequency": "weekly", "weekday": 4,
                                                  "lang": "en"}, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["next_at"] == local(2026, 12, 4, 7, 30)     # Friday
    assert api.client.get(f"{URL}/{s['id']}", headers=admin).json()["weekday"] == 4
    assert api.client.delete(f"{URL}/{s['id']}", headers=admin).status_code == 204
    assert api.client.get(f"{URL}/{s['id']}", headers=admin).status_code == 404
    assert api.client.get(f"{URL}/{s['id']}/deliveries", headers=admin).status_code == 404


@pytest.mark.parametrize("change,reason", [
    ({"at": "7:30"}, "at"),
    ({"frequency": "hourly"}, "frequency"),
    ({"recipients": []}, "recipients"),
    ({"extra": 1}, "extra"),
    ({"report": "nope"}, "no report 'nope'"),
    ({"frequency": "monthly"}, "day: a monthly schedule needs one"),
    ({"recipients": ["not-an-address"]}, "not an email address"),
    ({"filters": {"to": "2026-01-01"}}, "filters: to are set by the period"),
])
def test_bad_input_is_a_422_with_the_reason(sched_api: Api, change: dict, reason: str) -> None:
    r = sched_api.client.post(URL, json={**BODY, **change}, headers=sched_api.as_("admin"))
    assert r.status_code == 422 and reason in r.text, r.text
    assert sched_api.client.get(URL, headers=sched_api.as_("admin")).json() == []


def test_send_now_and_the_delivery_log(sched_api: Api, smtp: tuple[Inbox, int]) -> None:
    api, admin = sched_api, sched_api.as_("admin")
    sid = api.client.post(URL, json=BODY, headers=admin).json()["id"]
    r = api.client.post(f"{URL}/{sid}/send-now", headers=admin)
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["ok"] and d["trigger"] == "manual" and d["size"] > 1000
    (_, to, msg), = smtp[0].mail
    (att,) = list(msg.iter_attachments())
    assert to == ["boss@cc.test"] and att.get_filename() == d["filename"]
    assert openpyxl.load_workbook(io.BytesIO(att.get_content())).sheetnames[-1] == "筛选条件"
    log = api.client.get(f"{URL}/{sid}/deliveries", headers=admin).json()
    assert [x["id"] for x in log] == [d["id"]]


def test_without_the_engine_a_409_says_why(api: Api, clock: FakeClock) -> None:
    api.ctx.report_schedules = schedules(api.store.db, clock, 25, None)
    r = api.client.post(URL, json=BODY, headers=api.as_("admin"))
    assert r.status_code == 409 and ENGINE_MISSING in r.text
    api.ctx.report_schedules = None
    assert api.client.get(URL, headers=api.as_("admin")).status_code == 503   # no service
