"""The announcements slice's queries: each takes the caller's session, so the service
decides what one transaction holds."""

from __future__ import annotations

import time
from typing import Any, Sequence

from sqlalchemy import ColumnElement, exists, func, or_, select, type_coerce
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from .models import AnnouncementAckRow, AnnouncementRow
from .records import Announcement


def to_announcement(row: AnnouncementRow, acked: bool = False,
                    acks: int | None = None) -> Announcement:
    return Announcement(id=row.id, title=row.title, body=row.body, author=row.author,
                        audience=tuple(row.audience or ()), created_at=row.created_at,
                        acked=acked, acks=acks, groups=tuple(row.groups or ()),
                        recipients=tuple(row.recipients or ()))


def addressed(recipients: Sequence[str], username: str) -> bool:
    """The rule :func:`addressed_clause` applies in SQL."""
    return not recipients or username in recipients


def addressed_clause(dialect: str, username: str) -> ColumnElement[bool]:
    """SQL for "the announcement is for every agent or reaches ``username``".

    JSON membership has no portable SQL: jsonb containment on PostgreSQL, json_each
    on SQLite.  :func:`addressed` is the same rule in Python.
    """
    recipients = AnnouncementRow.recipients
    if dialect == "postgresql":
        doc = type_coerce(recipients, JSONB)
        return or_(func.jsonb_array_length(doc) == 0, doc.contains([username]))
    members = func.json_each(recipients).table_valued("value")
    return or_(func.json_array_length(recipients) == 0,
               exists(select(members.c.value).where(members.c.value == username)))


def newest(s: Session, dialect: str, username: str, is_staff: bool,
           limit: int) -> list[Announcement]:
    """Newest first with ``username``'s acks; staff get all, with ack counts."""
    mine = (select(AnnouncementAckRow.announcement_id)
            .where(AnnouncementAckRow.username == username))
    stmt = (select(AnnouncementRow, AnnouncementRow.id.in_(mine).label("acked"))
            .order_by(AnnouncementRow.created_at.desc(), AnnouncementRow.id.desc())
            .limit(limit))
    if not is_staff:
        stmt = stmt.where(addressed_clause(dialect, username))
    rows = s.execute(stmt).all()
    if not is_staff:
        return [to_announcement(row, acked=bool(acked)) for row, acked in rows]
    counts = dict(s.execute(
        select(AnnouncementAckRow.announcement_id, func.count())
        .where(AnnouncementAckRow.announcement_id.in_([row.id for row, _ in rows]))
        .group_by(AnnouncementAckRow.announcement_id)).all())
    return [to_announcement(row, acked=bool(acked), acks=counts.get(row.id, 0))
            for row, acked in rows]


def add_ack(s: Session, insert: Any, announcement_id: int, username: str) -> bool:
    """True when the ack is new.  ``insert`` is the dialect's INSERT (``Database.insert``)."""
    stmt = (insert(AnnouncementAckRow.__table__)
            .values(announcement_id=announcement_id, username=username,
                    acked_at=time.time())
            .on_conflict_do_nothing()
            .returning(AnnouncementAckRow.__table__.c.username))
    return s.execute(stmt).first() is not None
