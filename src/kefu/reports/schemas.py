"""The reports API's bodies: the list entry and a report as JSON (the :class:`Report`
value as it is; rows are open dicts, their keys the columns' plus ``drill``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ReportEntryOut(BaseModel):
    name: str
    title_zh: str
    title_en: str
    filters: list[str]


class ColumnOut(BaseModel):
    key: str
    label_zh: str
    label_en: str
    kind: str


class ChartOut(BaseModel):
    kind: str
    title_zh: str
    title_en: str
    category: str
    values: list[str]


class ReportOut(BaseModel):
    name: str
    title_zh: str
    title_en: str
    columns: list[ColumnOut]
    rows: list[dict[str, Any]]
    totals: dict[str, Any] | None
    charts: list[ChartOut]
    filters: dict[str, Any]
