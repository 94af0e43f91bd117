"""The tickets slice's queries and row conversions (only the slice imports this)."""

from __future__ import annotations

import time
from typing import Any, Sequence

from sqlalchemy import ColumnElement, and_, false, func, or_, select, true
from sqlalchemy.orm import Session

from kefu.users.service import User

from .models import (TicketActivityRow, TicketAttachmentRow, TicketCommentRow, TicketRow,
                     TicketTypeRow)
from .records import Activity, Attachment, Comment, TicketType
from .typespec import fields_of, sla_of

T = TicketRow


def to_type(row: TicketTypeRow) -> TicketType:
    return TicketType(id=row.id, name=row.name, label_zh=row.label_zh, label_en=row.label_en,
                      workflow=row.workflow, version=row.version, sla=sla_of(row.sla),
                      fields=fields_of(row.fields), active=row.active)


def types(s: Session) -> dict[int, TicketTypeRow]:
    return {r.id: r for r in s.scalars(select(TicketTypeRow).order_by(TicketTypeRow.id))}


def type_named(s: Session, name: str) -> TicketTypeRow | None:
    return s.scalars(select(TicketTypeRow).where(TicketTypeRow.name == name)).first()


def activity(s: Session, ticket_id: int, actor: str, action: str, *, field: str = "",
             old: object = "", new: object = "", detail: str = "",
             at: float | None = None) -> None:
    """Append one activity line (the only write the table ever sees)."""
    s.add(TicketActivityRow(ticket_id=ticket_id, at=time.time() if at is None else at,
                            actor=actor, action=action, field=field, old=_text(old),
                            new=_text(new), detail=detail))


def _text(value: object) -> str:
    return "" if value is None else str(value)


def visible(user: User, scope: Sequence[str] | None) -> ColumnElement[bool]:
    """Which tickets ``user`` sees: an admin all; a supervisor the tickets of their groups
    (and the ungrouped; no groups set: all); an agent the tickets assigned to them or
    created by them, and the unassigned ones of their groups."""
    if user.role == "admin" or (scope is None and user.role != "agent"):
        return true()
    if user.role == "agent":
        mine = or_(T.assignee == user.username, T.created_by == user.username)
        groups = true() if scope is None else T.group_name.in_(scope)
        return or_(mine, and_(T.assignee == "", groups))
    if user.role == "supervisor":
        return or_(T.group_name.in_(scope or ()), T.group_name == "")
    return false()


def late(now: float) -> ColumnElement[bool]:
    """Tickets whose first response or resolution is (or was) past due."""
    stopped = func.coalesce(T.paused_at, now)
    return or_(T.fr_breached, T.res_breached,
               T.fr_met_at > T.fr_due, T.resolved_at > T.res_due,
               and_(T.fr_met_at.is_(None), T.fr_due <= stopped),
               and_(T.resolved_at.is_(None), T.res_due <= stopped))


PRIORITY_RANK = {"low": 0, "normal": 1, "high": 2, "urgent": 3}


def order(sort: str) -> list[Any]:
    if sort == "created_at":
        return [T.created_at, T.id]
    if sort == "due":
        return [T.res_due.is_(None), T.res_due, T.id]
    if sort == "-priority":
        from sqlalchemy import case
        rank = case(PRIORITY_RANK, value=T.priority)
        return [rank.desc(), T.created_at.desc(), T.id.desc()]
    return [T.created_at.desc(), T.id.desc()]


def comments(s: Session, ticket_id: int, internal: bool) -> tuple[Comment, ...]:
    q = select(TicketCommentRow).where(TicketCommentRow.ticket_id == ticket_id)
    if not internal:
        q = q.where(TicketCommentRow.internal.is_(False))
    return tuple(to_comment(r) for r in s.scalars(q.order_by(TicketCommentRow.id)))


def to_comment(r: TicketCommentRow) -> Comment:
    return Comment(id=r.id, author=r.author, body=r.body, internal=r.internal, at=r.at)


def attachments(s: Session, ticket_id: int) -> tuple[Attachment, ...]:
    q = select(TicketAttachmentRow).where(TicketAttachmentRow.ticket_id == ticket_id)
    return tuple(to_attachment(r) for r in s.scalars(q.order_by(TicketAttachmentRow.id)))


def to_attachment(r: TicketAttachmentRow) -> Attachment:
    return Attachment(id=r.id, name=r.name, mime=r.mime, size=r.size, by=r.by, at=r.at,
                      path=r.path)


def activities(s: Session, ticket_id: int) -> tuple[Activity, ...]:
    q = select(TicketActivityRow).where(TicketActivityRow.ticket_id == ticket_id)
    return tuple(Activity(id=r.id, at=r.at, actor=r.actor, action=r.action, field=r.field,
                          old=r.old, new=r.new, detail=r.detail)
                 for r in s.scalars(q.order_by(TicketActivityRow.id)))
