"""The recordings slice's queries: each takes the caller's session, so the service decides
what one transaction holds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, fields
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session, aliased

from .models import RecordingAuditRow, RecordingRow, RecordingTagRow
from .records import AuditEntry, Recording, Search

_COLUMNS = tuple(f.name for f in fields(Recording) if f.name not in ("id", "tags"))


def to_recording(row: RecordingRow, tags: tuple[str, ...] = ()) -> Recording:
    values: dict[str, Any] = {name: getattr(row, name) for name in _COLUMNS}
    values["paused"] = tuple((float(a), float(b)) for a, b in row.paused or ())
    return Recording(id=row.id, tags=tags, **values)


def columns_of(rec: Recording) -> dict[str, Any]:
    """The row's columns for ``rec`` (its id and tags aside)."""
    values = {k: v for k, v in asdict(rec).items() if k in _COLUMNS}
    values["paused"] = [list(span) for span in rec.paused]
    return values


def tags_of(s: Session, ids: list[int]) -> dict[int, tuple[str, ...]]:
    found: dict[int, list[str]] = {}
    if ids:
        for rid, tag in s.execute(select(RecordingTagRow.recording_id, RecordingTagRow.tag)
                                  .where(RecordingTagRow.recording_id.in_(ids))
                                  .order_by(RecordingTagRow.tag)):
            found.setdefault(rid, []).append(tag)
    return {rid: tuple(tags) for rid, tags in found.items()}


def _prefix(column: Any, prefix: str, dialect: str) -> Any:
    """``column`` starts with ``prefix``, in a form the dialect answers from an index:
    SQLite's LIKE ignores its BINARY indexes, so a range there; PostgreSQL's LIKE uses the
    ``varchar_pattern_ops`` index whatever the collation."""
    if dialect == "sqlite":
        return (column >= prefix) & (column < prefix[:-1] + chr(ord(prefix[-1]) + 1))
    escaped = prefix.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return column.like(escaped + "%", escape="/")


def filtered(search: Search, dialect: str = "sqlite", walk_time: bool = False) -> Select[Any]:
    """The rows ``search`` matches (unordered).

    ``walk_time``: many rows match and the page is in time order, so reading the time
    index backwards finds a page soonest; SQLite (without range statistics) would rather
    start from the score, duration or tag and sort all they match, so those conditions are
    written so it cannot (``column + 0``, the tag as a per-row EXISTS)."""
    walk = walk_time and dialect == "sqlite"
    R = RecordingRow
    q = select(R).where(R.state != "deleted")
    if search.agents is not None:
        q = q.where(R.agent.in_(search.agents))
    equals: tuple[tuple[Any, object], ...] = (
        (R.agent, search.agent), (R.queue, search.queue), (R.customer_id, search.customer_id),
        (R.call_id, search.call_id), (R.disposition, search.disposition))
    for column, value in equals:
        if value is not None:
            q = q.where(column == value)
    if search.number:
        q = q.where(_prefix(R.caller, search.number, dialect)
                    | _prefix(R.callee, search.number, dialect))
    ranges: tuple[tuple[Any, float | None, float | None], ...] = (
        (R.started_at, search.since, search.until),
        (R.duration, search.min_duration, search.max_duration),
        (R.qa_score, search.min_score, search.max_score))
    for column, low, high in ranges:
        if walk and column is not R.started_at:
            column = column + 0
        if low is not None:
            q = q.where(column >= low)
        if high is not None:
            q = q.where(column <= high)
    for tag in search.tags:     # a join (one row per tag and recording): the planner
        T = aliased(RecordingTagRow)   # may start from the tag's rows
        if walk:
            q = q.where(select(T.recording_id).where(T.recording_id == R.id, T.tag == tag)
                        .exists())
        else:
            q = q.join(T, (T.recording_id == R.id) & (T.tag == tag))
    return q


def count(s: Session, q: Select[Any], cap: int | None = None) -> int:
    """How many rows ``q`` matches, counting no further than ``cap`` + 1 (None: all)."""
    inner = q.with_only_columns(RecordingRow.id).order_by(None)
    if cap is not None:
        inner = inner.limit(cap + 1)
    return s.scalar(select(func.count()).select_from(inner.subquery())) or 0


def to_audit(row: RecordingAuditRow) -> AuditEntry:
    return AuditEntry(id=row.id, at=row.at, username=row.username, action=row.action,
                      recording_id=row.recording_id, address=row.address, detail=row.detail)


def move_customer(s: Session, merged: Sequence[int], into: int) -> None:
    s.execute(update(RecordingRow).where(RecordingRow.customer_id.in_(merged))
              .values(customer_id=into))
