"""The follow-ups slice's table, on the store's declarative base; only
:mod:`kefu.followups.repo` and the service query it."""

from __future__ import annotations

from sqlalchemy import Boolean, Double, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kefu.store.models import Base, one_of

from .records import KINDS, OUTCOMES, STATES


class FollowUpRow(Base):
    """A callback or return visit.  ``reminded`` and ``escalated`` make the periodic
    tick idempotent (each happens once per due time; a new due time clears them)."""

    __tablename__ = "followups"
    __table_args__ = (one_of("kind", KINDS), one_of("state", STATES),
                      one_of("outcome", ("",) + OUTCOMES),
                      Index("ix_followups_state_due_at", "state", "due_at"),
                      Index("ix_followups_assignee_state", "assignee", "state"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    customer_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("customers.id"),
                                                    index=True)
    number: Mapped[str] = mapped_column(String(32))
    due_at: Mapped[float] = mapped_column(Double)
    assignee: Mapped[str] = mapped_column(String(64))
    group: Mapped[str] = mapped_column(String(64), index=True)
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    max_attempts: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text)
    ticket_id: Mapped[int | None] = mapped_column(Integer, index=True)   # no FK: slice above
    call_id: Mapped[str | None] = mapped_column(String(128))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Double)
    updated_at: Mapped[float] = mapped_column(Double)
    reminded: Mapped[bool] = mapped_column(Boolean)
    escalated: Mapped[bool] = mapped_column(Boolean)
