"""A :class:`~kefu.reports.records.Report` as an Excel file with native charts (XlsxWriter).

One data sheet (header row frozen, autofilter, number formats by column kind, a totals
row), one chart sheet per :class:`~kefu.reports.records.Chart` whose series name the data
sheet's cells (so the chart follows an edit of the figures), and a filter sheet saying what
the report was asked for and when it was made.  Labels in Chinese, or English (``lang``).

Values by kind: ``seconds`` a number of seconds, shown ``[h]:mm:ss`` (written as a
fraction of a day, Excel's time); ``percent`` a fraction (0.853 shows 85.3%);
``datetime`` epoch seconds or a :class:`~datetime.datetime`, shown in ``tz``; ``date`` a
:class:`~datetime.date` or ISO ``YYYY-MM-DD``.

Big reports stream: above :data:`STREAM_ROWS` rows the workbook is written in XlsxWriter's
``constant_memory`` mode (each row flushed to a temporary file as written, memory flat in
the number of rows).  Not below, because in that mode XlsxWriter cannot fill the charts'
cached values (it no longer holds the cells): Excel and LibreOffice recompute a chart from
its ranges, but previewers that draw only the cache (mail clients, phones) show an empty
chart; for a small report the cache is worth its memory.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO, Literal

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from .records import Chart, Column, Kind, Report

Lang = Literal["zh", "en"]

STREAM_ROWS = 5000
"""Above this many rows, ``constant_memory`` (see the module's docstring)."""

PALETTE = ("#4472C4", "#ED7D31", "#A5A5A5", "#FFC000", "#5B9BD5", "#70AD47",
           "#264478", "#9E480E", "#636363", "#997300")
"""Series colours, in order (a pie's slices take them in turn): fixed so that a rendered
file can be checked for its chart."""

PIE_POINTS = 100
"""A pie's first slices get the palette's colours; Excel varies the colours of the rest."""

MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_NUM_FORMATS: dict[Kind, str] = {
    "text": "@", "int": "#,##0", "float": "#,##0.00", "percent": "0.0%",
    "seconds": "[h]:mm:ss", "datetime": "yyyy-mm-dd hh:mm:ss", "date": "yyyy-mm-dd",
}
_AXIS_FORMATS = {"datetime": "mm-dd hh:mm", "date": "yyyy-mm-dd", "seconds": "[h]:mm:ss"}
_WIDTHS: dict[Kind, float] = {"int": 10, "float": 12, "percent": 9, "seconds": 10,
                              "datetime": 19, "date": 11, "text": 8}
_EXCEL_TYPE = {"bar": "bar", "column": "column", "pie": "pie", "line": "line"}
_WORDS = {
    "zh": {"total": "合计", "filters": "筛选条件", "report": "报表", "made": "生成时间",
           "rows": "行数", "none": "（无）", "key": "条件", "value": "值", "chart": "图表",
           "all": "全部"},
    "en": {"total": "Total", "filters": "Filters", "report": "Report", "made": "Made at",
           "rows": "Rows", "none": "(none)", "key": "Filter", "value": "Value",
           "chart": "Chart", "all": "all"},
}
_FILTER_LABELS = {   # the engine's filter keys as people read them; others are shown as is
    "from": ("开始", "From"), "to": ("结束", "To"), "period": ("期间", "Period"),
    "queues": ("队列", "Queues"), "agents": ("座席", "Agents"), "groups": ("组", "Groups"),
    "extensions": ("分机", "Extensions"), "interval": ("时段", "Interval"),
    "business_hours": ("仅营业时间", "Business hours only"), "weekdays": ("星期", "Weekdays"),
    "timezone": ("时区", "Time zone"),
}
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def write(report: Report, target: str | Path | BinaryIO, *, lang: Lang = "zh",
          tz: dt.tzinfo | None = None, made_at: dt.datetime | None = None) -> None:
    """Write ``report`` as .xlsx to a path or a binary file object.  ``tz``: the zone the
    epoch-second values and the "made at" are shown in (None: the server's local zone)."""
    made = made_at or dt.datetime.now(tz)
    stream = len(report.rows) > STREAM_ROWS
    wb = xlsxwriter.Workbook(str(target) if isinstance(target, (str, Path)) else target,
                             {"constant_memory": stream, "strings_to_numbers": False,
                              "strings_to_formulas": False, "strings_to_urls": False,
                              "remove_timezone": True})
    try:
        _Sheets(wb, report, lang, tz).build(made)
    finally:
        wb.close()


def to_bytes(report: Report, *, lang: Lang = "zh", tz: dt.tzinfo | None = None,
             made_at: dt.datetime | None = None) -> bytes:
    """The .xlsx file as bytes (an attachment, an HTTP answer)."""
    buf = io.BytesIO()
    write(report, buf, lang=lang, tz=tz, made_at=made_at)
    return buf.getvalue()


def filename(report: Report, lang: Lang = "zh", day: dt.date | None = None) -> str:
    """``<title>-<YYYY-MM-DD>.xlsx`` with what a file name cannot hold replaced."""
    title = report.title_zh if lang == "zh" else report.title_en
    safe = re.sub(r'[\\/:*?"<>|\s]+', "_", title or report.name).strip("_") or report.name
    return f"{safe}-{(day or dt.date.today()).isoformat()}.xlsx"


def sheet_name(text: str, taken: Sequence[str] = ()) -> str:
    """A legal, unused worksheet name (31 characters, none of ``[]:*?/\\``)."""
    base = _BAD_SHEET_CHARS.sub("_", text).strip("'") or "Sheet"
    name, n = base[:31], 1
    while name.lower() in {t.lower() for t in taken}:
        n += 1
        suffix = f" ({n})"
        name = base[:31 - len(suffix)] + suffix
    return name


class _Sheets:
    """The workbook being built: the data sheet, the chart sheets, the filter sheet."""

    def __init__(self, wb: Workbook, report: Report, lang: Lang, tz: dt.tzinfo | None) -> None:
        self.wb, self.report, self.lang, self.tz = wb, report, lang, tz
        self.words = _WORDS[lang]
        self.names: list[str] = []
        self.header = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1,
                                     "text_wrap": True, "valign": "vcenter",
                                     "align": "center"})
        self.cell = {k: wb.add_format({"num_format": f}) for k, f in _NUM_FORMATS.items()}
        self.total = {k: wb.add_format({"num_format": f, "bold": True, "top": 2,
                                        "bg_color": "#F2F2F2"})
                      for k, f in _NUM_FORMATS.items()}

    def label(self, c: Column) -> str:
        return c.label_zh if self.lang == "zh" else c.label_en

    def title(self) -> str:
        return self.report.title_zh if self.lang == "zh" else self.report.title_en

    def _name(self, text: str) -> str:
        name = sheet_name(text, self.names)
        self.names.append(name)
        return name

    def build(self, made: dt.datetime) -> None:
        data = self.wb.add_worksheet(self._name(self.title() or self.report.name))
        self.data_sheet = data.name
        self._table(data)
        for i, chart in enumerate(self.report.charts):
            self._chart(chart, i)
        self._filters(made)
        data.activate()

    # -- the table ---------------------------------------------------------------------

    def _table(self, ws: Worksheet) -> None:
        cols, rows = self.report.columns, self.report.rows
        ws.set_row(0, 30)
        for j, c in enumerate(cols):
            ws.write_string(0, j, self.label(c), self.header)
            ws.set_column(j, j, self._width(c), self.cell[c.kind])
        for i, row in enumerate(rows, start=1):
            for j, c in enumerate(cols):
                self._put(ws, i, j, c.kind, row.get(c.key), self.cell[c.kind])
        last = len(rows)
        if self.report.totals is not None:
            totals = dict(self.report.totals)
            first = cols[0] if cols else None
            if first is not None and totals.get(first.key) in (None, ""):
                totals[first.key] = self.words["total"]
            for j, c in enumerate(cols):
                value = totals.get(c.key)
                kind: Kind = "text" if (j == 0 and isinstance(value, str)) else c.kind
                self._put(ws, last + 1, j, kind, value, self.total[kind])
        ws.freeze_panes(1, 0)
        if cols:
            ws.autofilter(0, 0, max(last, 1), len(cols) - 1)

    def _width(self, c: Column) -> float:
        """Wide enough for the label and the first rows' values (a CJK character counts
        twice), within 6..60."""
        widest = max(_display_width(self.label(c)) + 2, _WIDTHS[c.kind])
        if c.kind == "text":
            for row in self.report.rows[:200]:
                widest = max(widest, _display_width(str(row.get(c.key) or "")) + 1)
        return min(max(widest, 6), 60)

    def _put(self, ws: Worksheet, r: int, c: int, kind: Kind, value: Any, fmt: Format) -> None:
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            ws.write_blank(r, c, None, fmt)
        elif kind == "seconds" and isinstance(value, (int, float)):
            ws.write_number(r, c, float(value) / 86400.0, fmt)
        elif kind == "datetime":
            ws.write_datetime(r, c, self._local(value), fmt)
        elif kind == "date":
            day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
            ws.write_datetime(r, c, dt.datetime.combine(day, dt.time()), fmt)
        elif isinstance(value, bool):
            ws.write_boolean(r, c, value, fmt)
        elif isinstance(value, (int, float)) and kind != "text":
            ws.write_number(r, c, value, fmt)
        else:
            ws.write_string(r, c, str(value), fmt)

    def _local(self, value: Any) -> dt.datetime:
        """A naive wall-clock time in ``tz`` (Excel has no zones)."""
        if isinstance(value, (int, float)):
            return dt.datetime.fromtimestamp(value, self.tz).replace(tzinfo=None)
        if isinstance(value, dt.datetime):
            return value.astimezone(self.tz).replace(tzinfo=None) if value.tzinfo else value
        return dt.datetime.fromisoformat(str(value))

    # -- the charts ----------------------------------------------------------------------

    def _ref(self, key: str) -> tuple[int, int, int, int]:
        """(first row, col, last row, col) of a column's data cells: the rows, no header
        or totals."""
        j = [c.key for c in self.report.columns].index(key)
        return (1, j, max(len(self.report.rows), 1), j)

    def _chart(self, chart: Chart, index: int) -> None:
        keys = [c.key for c in self.report.columns]
        missing = [k for k in (chart.category, *chart.values) if k not in keys]
        if missing:
            raise ValueError(f"chart {chart.title_en!r} names no column {missing}")
        c = self.wb.add_chart({"type": _EXCEL_TYPE[chart.kind]})
        assert c is not None
        by_key = {col.key: col for col in self.report.columns}
        values = chart.values[:1] if chart.kind == "pie" else chart.values
        cat = self._ref(chart.category)
        for n, key in enumerate(values):
            colour = PALETTE[n % len(PALETTE)]
            val = self._ref(key)
            series: dict[str, Any] = {
                "name": [self.data_sheet, 0, val[1]],
                "categories": [self.data_sheet, *cat],
                "values": [self.data_sheet, *val],
            }
            if chart.kind == "pie":
                series["points"] = [{"fill": {"color": PALETTE[i % len(PALETTE)]}}
                                    for i in range(min(len(self.report.rows), PIE_POINTS))]
                series["data_labels"] = {"percentage": True, "category": True,
                                         "leader_lines": True}
            elif chart.kind == "line":
                series["line"] = {"color": colour, "width": 2.25}
                series["marker"] = {"type": "circle", "size": 5,
                                    "fill": {"color": colour}, "border": {"color": colour}}
            else:
                series["fill"] = {"color": colour}
                series["border"] = {"color": colour}
            c.add_series(series)
        title = chart.title_zh if self.lang == "zh" else chart.title_en
        c.set_title({"name": title})
        if chart.kind != "pie":
            category = by_key[chart.category]
            axis: dict[str, Any] = {"name": self.label(category)}
            if category.kind in ("datetime", "date", "seconds"):
                # one label per row: a date axis would put a day's intervals on one point
                axis.update(text_axis=True, num_format=_AXIS_FORMATS[category.kind],
                            num_font={"rotation": -45})
            (c.set_y_axis if chart.kind == "bar" else c.set_x_axis)(axis)
            kinds = {by_key[k].kind for k in values}
            if len(kinds) == 1:     # one number format for the value axis when it is shared
                fmt = _NUM_FORMATS[kinds.pop()]
                (c.set_x_axis if chart.kind == "bar" else c.set_y_axis)(
                    {"num_format": fmt, "major_gridlines": {"visible": True}})
            c.set_legend({"position": "bottom" if len(values) > 1 else "none"})
        else:
            c.set_legend({"position": "right"})
        sheet = self.wb.add_chartsheet(self._name(f"{self.words['chart']}{index + 1} {title}"))
        sheet.set_chart(c)
        sheet.set_landscape()       # a chart prints wider than tall
        sheet.set_paper(9)          # A4

    # -- the filter sheet ------------------------------------------------------------------

    def _filters(self, made: dt.datetime) -> None:
        w = self.words
        ws = self.wb.add_worksheet(self._name(w["filters"]))
        bold = self.wb.add_format({"bold": True})
        stamp = self.wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss", "align": "left"})
        ws.set_column(0, 0, 18)
        ws.set_column(1, 1, 60)
        ws.write_string(0, 0, w["report"], bold)
        ws.write_string(0, 1, f"{self.title()} ({self.report.name})")
        ws.write_string(1, 0, w["made"], bold)
        ws.write_datetime(1, 1, self._local(made), stamp)
        ws.write_string(2, 0, w["rows"], bold)
        ws.write_number(2, 1, len(self.report.rows))
        ws.write_string(4, 0, w["key"], self.header)
        ws.write_string(4, 1, w["value"], self.header)
        items = list(self.report.filters.items())
        if not items:
            ws.write_string(5, 0, w["none"])
        for i, (key, value) in enumerate(items, start=5):
            zh_en = _FILTER_LABELS.get(key)
            label = (zh_en[0] if self.lang == "zh" else zh_en[1]) if zh_en else key
            ws.write_string(i, 0, label, bold)
            ws.write_string(i, 1, self._filter_text(value))

    def _filter_text(self, value: Any) -> str:
        if value is None or value == [] or value == ():
            return self.words["all"]
        if isinstance(value, bool):
            return ("是" if value else "否") if self.lang == "zh" else ("yes" if value else "no")
        if isinstance(value, (list, tuple, set)):
            return ", ".join(str(v) for v in value)
        if isinstance(value, dt.datetime):
            return self._local(value).isoformat(sep=" ", timespec="seconds")
        if isinstance(value, dict):
            return json.dumps(value, ensure_ascii=False, default=str)
        return str(value)


def _display_width(text: str) -> int:
    """Columns a text takes in a spreadsheet: wide (CJK) characters count two."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)

