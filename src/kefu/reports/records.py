"""What a report is once computed: the one shape every output reads.

The engine computes a :class:`Report` (columns, rows, totals, the charts that suit it and
the filters it was made with); the web page, the CSV, the Excel file (native charts) and a
scheduled delivery all render that same value, so a figure is computed once and shown the
same everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["text", "int", "float", "percent", "seconds", "datetime", "date"]
ChartKind = Literal["bar", "column", "pie", "line"]


@dataclass(frozen=True)
class Column:
    """One column: ``key`` in each row, its label in Chinese and English, how to show it."""

    key: str
    label_zh: str
    label_en: str
    kind: Kind = "text"


@dataclass(frozen=True)
class Chart:
    """A chart over the rows: ``category`` is the column along the axis (a pie's slices),
    ``values`` the columns plotted (a pie takes the first)."""

    kind: ChartKind
    title_zh: str
    title_en: str
    category: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Report:
    """A computed report.  ``name`` is its id (``agent_summary``); ``filters`` what it was
    asked for, as shown on the Excel file's filter sheet; ``totals`` the totals row (the
    same keys as a row; a rate is recomputed from the summed parts, never averaged)."""

    name: str
    title_zh: str
    title_en: str
    columns: tuple[Column, ...]
    rows: list[dict[str, Any]]
    totals: dict[str, Any] | None = None
    charts: tuple[Chart, ...] = ()
    filters: dict[str, Any] = field(default_factory=dict)
