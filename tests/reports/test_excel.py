"""The Excel file of a report: opened with openpyxl (values, formats, totals, frozen
header, autofilter) and its chart XML read from the zip (kind, the ranges the series name)."""

from __future__ import annotations

import datetime as dt
import io
import re
import tracemalloc
import zipfile
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from kefu.reports import excel
from kefu.reports.records import Chart, Column, Report
from reportkit import AGENTS, INTERVALS, big

SHANGHAI = ZoneInfo("Asia/Shanghai")
MADE = dt.datetime(2026, 12, 1, 7, 0, tzinfo=SHANGHAI)


def _book(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def _chart_xml(data: bytes, n: int) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read(f"xl/charts/chart{n}.xml").decode("utf-8")


def _refs(xml: str, tag: str) -> list[str]:
    """The formulas of every series' ``<c:cat>`` or ``<c:val>`` (or ``<c:tx>``)."""
    return re.findall(rf"<c:{tag}>.*?<c:f>(.*?)</c:f>", xml, re.S)


def test_the_table_values_formats_totals_and_header() -> None:
    wb = _book(excel.to_bytes(AGENTS, tz=SHANGHAI, made_at=MADE))
    assert wb.sheetnames[0] == "座席话务统计报表" and wb.sheetnames[-1] == "筛选条件"
    ws = wb["座席话务统计报表"]
    assert [c.value for c in ws[1]] == ["座席", "接听", "未接", "通话时长", "占用率"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:E4"            # header and rows, not the totals
    assert [c.value for c in ws[2]][:3] == ["1001 张三", 40, 2]
    talk = ws["D2"]
    assert talk.number_format == "[h]:mm:ss" and talk.value == dt.timedelta(seconds=7322)   # 2:02:02
    assert ws["E2"].number_format == "0.0%" and ws["E2"].value == 0.8125
    assert ws["E4"].value is None                    # no figure: an empty cell, not 0
    assert ws["B2"].number_format == "#,##0"
    totals = [c.value for c in ws[5]]
    assert totals[:3] == ["合计", 75, 7] and totals[3] == dt.timedelta(seconds=10981)
    assert ws["B5"].font.b and ws["A1"].font.b
    assert ws.column_dimensions["A"].width >= 10     # "1001 张三": CJK counted wide


def test_english_labels_and_the_filter_sheet() -> None:
    wb = _book(excel.to_bytes(AGENTS, lang="en", tz=SHANGHAI, made_at=MADE))
    assert wb.sheetnames[0] == "Agent traffic summary" and wb.sheetnames[-1] == "Filters"
    assert [c.value for c in wb.worksheets[0][1]][:2] == ["Agent", "Answered"]
    assert wb.worksheets[0]["A5"].value == "Total"
    f = {r[0]: r[1] for r in wb["Filters"].iter_rows(values_only=True) if r[0]}
    assert f["Report"] == "Agent traffic summary (agent_summary)"
    assert f["Made at"] == dt.datetime(2026, 12, 1, 7, 0)      # wall clock in the zone
    assert f["Queues"] == "sales, support" and f["Business hours only"] == "yes"
    assert f["From"] == "2026-11-23" and f["Rows"] == 3
    zh = {r[0]: r[1] for r in _book(excel.to_bytes(AGENTS, made_at=MADE))["筛选条件"]
          .iter_rows(values_only=True) if r[0]}
    assert zh["队列"] == "sales, support" and zh["仅营业时间"] == "是"


def test_a_pie_and_a_column_chart_name_the_right_cells() -> None:
    data = excel.to_bytes(AGENTS, made_at=MADE)
    pie, col = _chart_xml(data, 1), _chart_xml(data, 2)
    assert "<c:pieChart>" in pie and "<c:barChart>" not in pie
    assert _refs(pie, "cat") == ["座席话务统计报表!$A$2:$A$4"]
    assert _refs(pie, "val") == ["座席话务统计报表!$B$2:$B$4"]
    assert "<c:barChart>" in col and '<c:barDir val="col"/>' in col
    assert _refs(col, "cat") == ["座席话务统计报表!$A$2:$A$4"] * 2
    assert _refs(col, "val") == ["座席话务统计报表!$B$2:$B$4", "座席话务统计报表!$C$2:$C$4"]
    assert _refs(col, "tx") == ["座席话务统计报表!$B$1", "座席话务统计报表!$C$1"]
    assert "4472C4" in col and "ED7D31" in col                 # the palette, in order
    wb = _book(data)
    assert wb.sheetnames == ["座席话务统计报表", "图表1 接听分布", "图表2 接听与未接", "筛选条件"]


def test_a_line_chart_over_intervals_and_datetimes_in_the_zone() -> None:
    data = excel.to_bytes(INTERVALS, tz=SHANGHAI, made_at=MADE)
    xml = _chart_xml(data, 1)
    assert "<c:lineChart>" in xml
    assert "<c:catAx>" in xml and "<c:dateAx>" not in xml     # one point per interval
    assert 'formatCode="mm-dd hh:mm"' in xml
    assert _refs(xml, "cat") == ["分时段话务量统计表!$A$2:$A$9"] * 2
    assert _refs(xml, "val") == ["分时段话务量统计表!$B$2:$B$9", "分时段话务量统计表!$C$2:$C$9"]
    ws = _book(data).worksheets[0]
    # 1_764_547_200 is 2025-12-01 00:00 UTC: 08:00 in Shanghai
    assert ws["A2"].value == dt.datetime(2025, 12, 1, 8, 0)
    assert ws["A2"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert [c.value for c in ws[10]][:3] == ["合计", 164, 7]


def test_a_sheet_name_is_made_legal_and_unique() -> None:
    assert excel.sheet_name("In/out: [a]*?") == "In_out_ _a___"
    assert excel.sheet_name("x" * 40) == "x" * 31
    assert excel.sheet_name("Filters", ["filters"]) == "Filters (2)"
    r = Report("r", "呼入/呼出", "In/out", (Column("a", "甲", "A"), Column("n", "数", "N", "int")),
               [{"a": "x", "n": 1}], charts=(Chart("bar", "图", "G", "a", ("n",)),))
    data = excel.to_bytes(r)
    assert _book(data).sheetnames[0] == "呼入_呼出"
    assert _refs(_chart_xml(data, 1), "val") == ["呼入_呼出!$B$2"]


def test_a_chart_over_a_missing_column_is_refused() -> None:
    r = Report("r", "甲", "A", (Column("a", "甲", "A"),), [{"a": "x"}],
               charts=(Chart("pie", "图", "G", "a", ("nope",)),))
    with pytest.raises(ValueError, match="nope"):
        excel.to_bytes(r)


def test_an_empty_report_still_opens() -> None:
    r = Report("r", "空", "Empty", AGENTS.columns, [], charts=AGENTS.charts)
    wb = _book(excel.to_bytes(r))
    assert [c.value for c in wb.worksheets[0][1]][0] == "座席"
    assert wb.worksheets[0].max_row == 1


def test_a_big_report_streams_with_its_chart(tmp_path) -> None:
    """Above STREAM_ROWS rows the file is written row by row (constant_memory): memory
    stays far below what the rows would take held as cells; the chart still names them."""
    report = big(12_000)
    path = tmp_path / "big.xlsx"
    tracemalloc.start()
    excel.write(report, path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 4_000_000, peak           # held as cells: ~10 MB for these
    data = path.read_bytes()
    assert _refs(_chart_xml(data, 1), "val") == ["分机话务量统计表!$B$2:$B$12001"]
    ws = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    rows = ws.iter_rows(min_row=12_001, max_row=12_001, values_only=True)
    assert next(rows) == ("1049", dt.timedelta(seconds=599))


def test_text_that_looks_like_a_formula_stays_text() -> None:
    """A caller's name or a note is never run by the spreadsheet (CSV/Excel injection)."""
    r = Report("r", "甲", "A", (Column("a", "甲", "A"), Column("n", "数", "N", "int")),
               [{"a": "=HYPERLINK(\"http://x\")", "n": "12"}, {"a": "+1 800", "n": 3}])
    ws = _book(excel.to_bytes(r)).worksheets[0]
    assert ws["A2"].data_type == "s" and ws["A2"].value == "=HYPERLINK(\"http://x\")"
    assert ws["B2"].value == "12" and ws["B3"].value == 3     # a string is not made a number
