"""Customers in and out of files: an import's table (CSV in UTF-8, a BOM allowed, or
.xlsx read with openpyxl read-only), its columns found by their Chinese or English
headers; the export as CSV (formula-safe cells) or .xlsx (XlsxWriter)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from kefu.store.errors import Invalid
from kefu.store.export import safe_cell

from .records import Customer, FieldDef

# header (lower-cased, trailing digits and spaces dropped) → (part, number label)
HEADERS: dict[str, tuple[str, str]] = {
    "姓名": ("name", ""), "名字": ("name", ""), "name": ("name", ""),
    "电话": ("numbers", ""), "phone": ("numbers", ""), "number": ("numbers", ""),
    "numbers": ("numbers", ""), "号码": ("numbers", ""),
    "手机": ("numbers", "mobile"), "mobile": ("numbers", "mobile"),
    "工作电话": ("numbers", "work"), "办公电话": ("numbers", "work"), "work": ("numbers", "work"),
    "家庭电话": ("numbers", "home"), "home": ("numbers", "home"),
    "邮箱": ("emails", ""), "email": ("emails", ""), "e-mail": ("emails", ""),
    "emails": ("emails", ""), "电子邮件": ("emails", ""),
    "公司": ("company", ""), "company": ("company", ""),
    "生日": ("birthday", ""), "birthday": ("birthday", ""),
    "地址": ("address", ""), "address": ("address", ""),
    "等级": ("tier", ""), "tier": ("tier", ""),
    "标签": ("tags", ""), "tags": ("tags", ""), "tag": ("tags", ""),
    "负责人": ("owner", ""), "owner": ("owner", ""),
    "备注": ("notes", ""), "notes": ("notes", ""),
    "编号": ("id", ""), "id": ("id", ""),          # the export's own column: not imported
}
LISTS = {"numbers", "emails", "tags"}
_SPLIT = {"numbers": re.compile(r"[;；]"), "emails": re.compile(r"[;；,，\s]+"),
          "tags": re.compile(r"[;；,，]")}
_SUFFIX = re.compile(r"[\s_]*\d+$")
EXPORT_HEADERS = ("编号", "姓名", "电话", "邮箱", "公司", "生日", "地址", "等级", "标签",
                  "负责人", "备注")


@dataclass(frozen=True)
class Column:
    index: int
    header: str                   # as the file spells it (errors name it)
    part: str                     # name, numbers, …, or "field"
    label: str = ""               # a number's label; a custom field's name


def read_table(filename: str, data: bytes) -> list[list[str]]:
    """The file's rows (the header first) as text cells; :class:`Invalid` when it is
    neither UTF-8 CSV nor an .xlsx workbook."""
    if filename.lower().endswith(".xlsx") or data[:2] == b"PK":
        return _read_xlsx(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid("the file is neither UTF-8 CSV nor .xlsx") from None
    try:
        return [row for row in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error as e:
        raise Invalid(f"the CSV cannot be read: {e}") from None


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))        # a phone number Excel keeps as a number
    return str(value).strip()


def _read_xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise Invalid("the file is not an .xlsx workbook") from None
    try:
        sheet = book.worksheets[0]
        return [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def columns(header: Sequence[str], defs: Sequence[FieldDef]) -> tuple[list[Column], list[str]]:
    """The columns the header names, and the headers that name nothing (ignored)."""
    fields = {d.name.lower(): d.name for d in defs} | {d.label.strip().lower(): d.name
                                                       for d in defs}
    found: list[Column] = []
    unknown: list[str] = []
    for index, raw in enumerate(header):
        title = (raw or "").strip()
        key = title.lower()
        if not key:
            continue
        if key in fields:
            found.append(Column(index, title, "field", fields[key]))
        elif (hit := HEADERS.get(key) or HEADERS.get(_SUFFIX.sub("", key))) is not None:
            if hit[0] != "id":
                found.append(Column(index, title, *hit))
        else:
            unknown.append(title)
    if not any(c.part in ("name", "numbers") for c in found):
        raise Invalid("the file has no 姓名/name or 电话/phone column")
    return found, unknown


def row_data(cols: Sequence[Column], cells: Sequence[str]) -> dict[str, Any]:
    """A row as :func:`kefu.crm.data.check_customer` takes it: only the cells that hold
    something (an empty cell leaves a known customer's value as it is)."""
    raw: dict[str, Any] = {}
    for col in cols:
        text = cells[col.index].strip() if col.index < len(cells) else ""
        if not text:
            continue
        if col.part == "field":
            raw.setdefault("fields", {})[col.label] = text
        elif col.part in LISTS:
            items = [t.strip() for t in _SPLIT[col.part].split(text) if t.strip()]
            if col.part == "numbers":
                items = [{"number": t, "label": col.label} for t in items]   # type: ignore[misc]
            raw.setdefault(col.part, []).extend(items)
        else:
            raw[col.part] = text
    return raw


def which_column(cols: Sequence[Column], part: str, field: str | None = None) -> str:
    """The header of the column holding ``part`` (for a row's error)."""
    for col in cols:
        if col.part == part and (field is None or col.label == field):
            return col.header
    return ""


# --- export -------------------------------------------------------------------------------

def export_row(c: Customer, defs: Sequence[FieldDef]) -> list[str]:
    values = [str(c.id), c.name, "; ".join(c.numbers), "; ".join(c.emails), c.company,
              c.birthday or "", c.address, c.tier, "; ".join(c.tags), c.owner, c.notes]
    return values + ["" if c.fields.get(d.name) is None else str(c.fields[d.name])
                     for d in defs]


def export_header(defs: Sequence[FieldDef]) -> list[str]:
    return list(EXPORT_HEADERS) + [d.name for d in defs]


def to_csv(header: Sequence[str], rows: Iterable[Sequence[str]]) -> tuple[bytes, int]:
    """UTF-8 with a BOM (Excel reads it so), every cell formula-safe; and the row count."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
        count += 1
    return ("\ufeff" + out.getvalue()).encode("utf-8"), count


def to_xlsx(header: Sequence[str], rows: Iterable[Sequence[str]]) -> tuple[bytes, int]:
    """Every cell written as a string (never a formula)."""
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False,
                                     "strings_to_numbers": False, "strings_to_urls": False})
    sheet = book.add_worksheet("customers")
    sheet.write_row(0, 0, list(header))
    count = 0
    for count, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            sheet.write_string(count, col, value)
    book.close()
    return out.getvalue(), count


def errors_csv(errors: Iterable[tuple[int, str, str]]) -> bytes:
    rows = ([str(row), column, message] for row, column, message in errors)
    return to_csv(("row", "column", "message"), rows)[0]
