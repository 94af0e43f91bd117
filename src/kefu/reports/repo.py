"""The reports slice's queries over its tables (the scheduled reports and their delivery
log): each takes the caller's session, so the service decides what one transaction holds."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .models import DeliveryRow, ScheduleRow


def schedules(s: Session, *, enabled_only: bool = False) -> list[ScheduleRow]:
    """Every schedule (or the enabled ones), oldest first."""
    q = select(ScheduleRow).order_by(ScheduleRow.id)
    if enabled_only:
        q = q.where(ScheduleRow.enabled.is_(True))
    return list(s.scalars(q))


def deliveries(s: Session, schedule_id: int, limit: int) -> list[DeliveryRow]:
    """A schedule's delivery log, newest first."""
    return list(s.scalars(select(DeliveryRow).where(DeliveryRow.schedule_id == schedule_id)
                          .order_by(DeliveryRow.at.desc(), DeliveryRow.id.desc())
                          .limit(limit)))


def delete_schedule(s: Session, schedule_id: int) -> None:
    """The schedule and its log (explicitly: not every SQLite connection cascades)."""
    s.execute(delete(DeliveryRow).where(DeliveryRow.schedule_id == schedule_id))
    s.execute(delete(ScheduleRow).where(ScheduleRow.id == schedule_id))
