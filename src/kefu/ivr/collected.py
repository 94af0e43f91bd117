"""Collected records (数据采集): what a flow's ``store`` node saves with the call and the
caller, listed with filters and paging, and exported as CSV for a spreadsheet.

Records are append-only.  The CSV has one column per field name found in the exported
records (sorted), after the fixed ones, and neutralises cells a spreadsheet would run as a
formula (a leading ``=``, ``@``, or ``+``/``-`` not starting a plain number).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
from collections.abc import Mapping

from kefu.store.checks import check_text
from kefu.store.db import Database
from kefu.store.export import safe_cell
from kefu.store.errors import Invalid

from . import repo
from .flowstore import check_name
from .models import CollectedRow
from .records import (MAX_EXPORT, MAX_FIELD_VALUE, MAX_FIELDS, MAX_PAGE, CollectedRecord, Page)

Filters = tuple[str | None, str | None, float | None, float | None]
COLUMNS = ("id", "time", "call_id", "caller", "flow", "version", "node", "record")


def _check_fields(fields: object) -> dict[str, str]:
    if not isinstance(fields, Mapping) or not 0 < len(fields) <= MAX_FIELDS:
        raise Invalid(f"fields must be a mapping of 1 to {MAX_FIELDS} names to values")
    for key, value in fields.items():
        check_text("field name", key, 64, required=True)
        if key in COLUMNS:
            raise Invalid(f"field name {key!r} is taken by a column of the record")
        check_text(f"field {key}", value, MAX_FIELD_VALUE)
    return dict(fields)


def _filters(flow: str | None, caller: str | None, since: float | None,
             until: float | None) -> Filters:
    if flow is not None:
        check_name(flow)
    if caller is not None:
        check_text("caller", caller, 255)
    if since is not None and until is not None and until <= since:
        raise Invalid("until must be after since")
    return flow, caller, since, until


class Collected:
    """Collected records over the shared :class:`Database`."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, call_id: str, caller: str, flow: str, version: int, node: str,
            record: str, fields: Mapping[str, str]) -> CollectedRecord:
        """Save what a ``store`` node collected (the engine's ``StoreRecord`` action)."""
        check_text("call_id", call_id, 128, required=True)
        check_text("caller", caller, 255)
        check_name(flow)
        check_name(node, "node name")
        check_text("record", record, 64, required=True)
        if not isinstance(version, int) or version < 1:
            raise Invalid("version must be a positive integer")
        row = CollectedRow(call_id=call_id, caller=caller, flow=flow, version=version,
                           node=node, record=record, fields=_check_fields(fields),
                           created_at=time.time())
        with self._db.tx() as s:
            s.add(row)
            s.flush()
            return repo.to_collected(row)

    def list(self, *, flow: str | None = None, caller: str | None = None,
             since: float | None = None, until: float | None = None, limit: int = 50,
             offset: int = 0) -> Page:
        """Records newest first, filtered (``until`` exclusive), one page of them."""
        if not 1 <= limit <= MAX_PAGE or offset < 0:
            raise Invalid(f"limit must be 1 to {MAX_PAGE} and offset at least 0")
        found = _filters(flow, caller, since, until)
        with self._db.tx(write=False) as s:
            items, total = repo.collected(s, found, limit, offset)
        return Page(items, total)

    def export_csv(self, *, flow: str | None = None, caller: str | None = None,
                   since: float | None = None, until: float | None = None) -> str:
        """The matching records (oldest first, at most :data:`MAX_EXPORT`) as CSV, times in
        UTC ISO 8601; Invalid when more match (narrow the time range)."""
        found = _filters(flow, caller, since, until)
        with self._db.tx(write=False) as s:
            items, total = repo.collected(s, found, MAX_EXPORT, 0)
        if total > MAX_EXPORT:
            raise Invalid(f"{total} records match; export at most {MAX_EXPORT} at a time")
        names = sorted({k for r in items for k in r.fields})
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(COLUMNS + tuple(names))
        for r in reversed(items):
            when = dt.datetime.fromtimestamp(r.created_at, dt.timezone.utc).isoformat()
            fixed = (r.id, when, r.call_id, r.caller, r.flow, r.version, r.node, r.record)
            writer.writerow([safe_cell(str(v)) for v in fixed]
                            + [safe_cell(r.fields.get(n, "")) for n in names])
        return out.getvalue()
