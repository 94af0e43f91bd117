"""The follow-ups slice's queries and row → record conversion: each takes the caller's
session, so the service decides what one transaction holds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, false, func, or_, select, true, update
from sqlalchemy.orm import Session

from .models import FollowUpRow
from .records import FollowUp


@dataclass(frozen=True)
class Seen:
    """Whose follow-ups a caller sees: every one (``everything``), else those in
    ``groups``, those assigned to or created by ``username`` and, for an agent, only the
    unassigned ones of ``groups`` (``own_groups_unassigned``)."""

    username: str
    everything: bool
    groups: tuple[str, ...] = ()
    own_groups_unassigned: bool = False


def visible(seen: Seen) -> ColumnElement[bool]:
    """The WHERE clause of what ``seen`` may see (the one place of that rule)."""
    if seen.everything:
        return true()
    mine = or_(FollowUpRow.assignee == seen.username, FollowUpRow.created_by == seen.username)
    if not seen.groups:
        return mine
    in_groups: ColumnElement[bool] = FollowUpRow.group.in_(seen.groups)
    if seen.own_groups_unassigned:
        in_groups = and_(in_groups, FollowUpRow.assignee == "")
    return or_(mine, in_groups)


def sees(s: Session, seen: Seen, followup_id: int) -> bool:
    return s.scalar(select(FollowUpRow.id).where(FollowUpRow.id == followup_id,
                                                 visible(seen))) is not None


def to_followup(row: FollowUpRow, customer_name: str = "") -> FollowUp:
    return FollowUp(id=row.id, kind=row.kind, customer_id=row.customer_id, number=row.number,
                    due_at=row.due_at, assignee=row.assignee, group=row.group,
                    state=row.state, attempts=row.attempts, max_attempts=row.max_attempts,
                    outcome=row.outcome, note=row.note, ticket_id=row.ticket_id,
                    call_id=row.call_id, created_by=row.created_by,
                    created_at=row.created_at, updated_at=row.updated_at,
                    reminded=row.reminded, escalated=row.escalated,
                    customer_name=customer_name)


def search(s: Session, where: Sequence[ColumnElement[bool]], limit: int,
           offset: int) -> tuple[list[FollowUpRow], int]:
    """A page of the matching rows, soonest due first, and how many match in all."""
    cond = and_(true(), *where)
    total = s.scalar(select(func.count()).select_from(FollowUpRow).where(cond)) or 0
    rows = list(s.scalars(select(FollowUpRow).where(cond)
                          .order_by(FollowUpRow.due_at, FollowUpRow.id)
                          .limit(limit).offset(offset)))
    return rows, total


def to_remind(s: Session, until: float) -> list[FollowUpRow]:
    """Pending ones due by ``until`` whose assignee was not reminded yet."""
    return list(s.scalars(select(FollowUpRow).where(
        FollowUpRow.state == "pending", FollowUpRow.reminded == false(),
        FollowUpRow.due_at <= until).order_by(FollowUpRow.id).with_for_update()))


def to_escalate(s: Session, due_before: float) -> list[FollowUpRow]:
    """Pending ones due before ``due_before`` not escalated yet."""
    return list(s.scalars(select(FollowUpRow).where(
        FollowUpRow.state == "pending", FollowUpRow.escalated == false(),
        FollowUpRow.due_at <= due_before).order_by(FollowUpRow.id).with_for_update()))


def move_customers(s: Session, merged: Sequence[int], surviving: int | None) -> None:
    """The follow-ups of ``merged`` customers become ``surviving``'s (None: no one's)."""
    s.execute(update(FollowUpRow).where(FollowUpRow.customer_id.in_(list(merged)))
              .values(customer_id=surviving))

