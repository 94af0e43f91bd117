"""The reports' API over SQLite: the list by role, a report as JSON and CSV, 403, 404, 422."""

from __future__ import annotations

from kefu.config import ReportsSettings
from kefu.reports.service import Reports
from kefu.reports.summary import Summaries

from scenario import SHORT, SL, day

DAY = {"from": "2026-12-01", "to": "2026-12-01"}


def wired(api) -> None:  # type: ignore[no-untyped-def]
    api.store.append_events(day())
    Summaries(api.store.db, SL.__getitem__, SHORT).sync()
    api.ctx.reports = Reports(api.store.db, ReportsSettings(short_abandon=SHORT,
                                                            timezone="UTC"))


def test_list_by_role(api) -> None:  # type: ignore[no-untyped-def]
    wired(api)
    names = [r["name"] for r in api.client.get("/api/v1/reports",
                                               headers=api.as_("supervisor")).json()]
    assert len(names) == 8 and "abandon" in names and "kpis" in names
    mine = [r["name"] for r in api.client.get("/api/v1/reports",
                                              headers=api.as_("agent")).json()]
    assert mine == ["agent_summary", "agent_detail", "service_time"]
    assert api.client.get("/api/v1/reports", headers=api.as_("qa")).status_code == 403
    assert api.client.get("/api/v1/reports").status_code == 401


def test_json_csv_and_refusals(api) -> None:  # type: ignore[no-untyped-def]
    wired(api)
    r = api.client.get("/api/v1/reports/traffic_by_interval",
                       params={**DAY, "queues": "sales", "interval": "day"},
                       headers=api.as_("admin"))
    assert r.status_code == 200
    body = r.json()
    assert body["rows"][0]["service_level"] == 0.25
    assert body["columns"][0] == {"key": "period", "label_zh": "时段", "label_en": "Period",
                                  "kind": "text"}
    assert body["charts"][0]["kind"] == "line"
    assert (body["filters"]["from"], body["filters"]["to"]) == ("2026-12-01", "2026-12-01")
    c = api.client.get("/api/v1/reports/agent_summary.csv", params={**DAY, "lang": "en"},
                       headers=api.as_("supervisor"))
    assert c.status_code == 200 and c.headers["content-type"].startswith("text/csv")
    lines = c.text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("Agent,Offered,Answered")
    assert lines[-1].startswith("Total,")
    assert api.client.get("/api/v1/reports/abandon", params=DAY,
                          headers=api.as_("agent")).status_code == 403
    assert api.client.get("/api/v1/reports/agent_summary", params={**DAY, "agents": "bob"},
                          headers=api.as_("agent")).status_code == 403
    assert api.client.get("/api/v1/reports/nope", headers=api.as_("admin")).status_code == 404
    bad = api.client.get("/api/v1/reports/abandon", params={"from": "2026-13-01"},
                         headers=api.as_("admin"))
    assert bad.status_code == 422 and "date" in bad.text
