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


def _disposition(r) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """(the ASCII ``filename``, the RFC 5987 ``filename*`` decoded) of a download."""
    from urllib.parse import unquote
    header = r.headers["content-disposition"]
    plain = header.split('filename="')[1].split('"')[0]
    assert "filename*=UTF-8''" in header, header
    return plain, unquote(header.split("filename*=UTF-8''")[1])


def test_excel_download_with_its_file_name_charts_and_refusals(api) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt
    import io

    import openpyxl
    wired(api)
    r = api.client.get("/api/v1/reports/traffic_by_interval.xlsx",
                       params={**DAY, "queues": "sales", "interval": "day"},
                       headers=api.as_("supervisor"))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == ("application/vnd.openxmlformats-officedocument."
                                         "spreadsheetml.sheet")
    assert r.content[:2] == b"PK"
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()   # the reports' zone: UTC
    assert _disposition(r) == (f"Traffic_by_interval-{today}.xlsx",
                               f"分时段话务量统计表-{today}.xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    # the data sheet, a chart sheet per chart (line, column), the filters last
    assert wb.sheetnames[0] == "分时段话务量统计表" and wb.sheetnames[-1] == "筛选条件"
    assert len(wb.chartsheets) == 2
    sheet = wb.worksheets[0]
    header = [c.value for c in sheet[1]]
    level = header.index("服务水平") + 1
    assert sheet.cell(2, 1).value == "2026-12-01"
    assert sheet.cell(2, level).value == 0.25              # the same figure as the JSON's
    assert sheet.cell(3, 1).value == "合计"                 # one day: one row, then the totals
    en = api.client.get("/api/v1/reports/agent_summary.xlsx",
                        params={**DAY, "lang": "en"}, headers=api.as_("admin"))
    assert en.status_code == 200
    assert _disposition(en)[1] == f"Agent_traffic_summary-{today}.xlsx"
    assert openpyxl.load_workbook(io.BytesIO(en.content)).sheetnames[-1] == "Filters"
    # the same refusals as the JSON and the CSV
    assert api.client.get("/api/v1/reports/abandon.xlsx", params=DAY,
                          headers=api.as_("agent")).status_code == 403
    assert api.client.get("/api/v1/reports/abandon.xlsx", params=DAY,
                          headers=api.as_("qa")).status_code == 403
    assert api.client.get("/api/v1/reports/abandon.xlsx", params=DAY).status_code == 401
    assert api.client.get("/api/v1/reports/nope.xlsx",
                          headers=api.as_("admin")).status_code == 404
    bad = api.client.get("/api/v1/reports/abandon.xlsx", params={"from": "2026-13-01"},
                         headers=api.as_("admin"))
    assert bad.status_code == 422 and "date" in bad.text
    mine = api.client.get("/api/v1/reports/agent_summary.xlsx", params=DAY,
                          headers=api.as_("agent"))
    assert mine.status_code == 200 and mine.content[:2] == b"PK"


def test_csv_names_its_file_for_every_client(api) -> None:  # type: ignore[no-untyped-def]
    wired(api)
    r = api.client.get("/api/v1/reports/abandon.csv", params=DAY, headers=api.as_("admin"))
    assert r.status_code == 200
    assert _disposition(r) == ("abandon.csv", "用户放弃率统计表.csv")
