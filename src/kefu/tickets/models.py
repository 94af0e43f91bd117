"""The tickets slice's tables, on the store's declarative base; only this slice's
``repo`` queries them.  ``ticket_activity`` is append-only: a trigger refuses UPDATE and
DELETE on both backends (migration 0019)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (JSON, BigInteger, Boolean, Double, ForeignKey, Index, Integer, String,
                        Text)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from kefu.store.models import Base, one_of

from .records import ACTIONS, PRIORITIES, STATE_KINDS

JsonData = JSON().with_variant(JSONB(), "postgresql")
EntryId = BigInteger().with_variant(Integer(), "sqlite")


class TicketTypeRow(Base):
    """A kind of ticket with its workflow (JSON, checked by ``workflow.check``), SLA and
    custom fields; ``version`` counts workflow changes."""

    __tablename__ = "ticket_types"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    label_zh: Mapped[str] = mapped_column(String(128))
    label_en: Mapped[str] = mapped_column(String(128))
    workflow: Mapped[dict[str, Any]] = mapped_column(JsonData)
    version: Mapped[int] = mapped_column(Integer)
    sla: Mapped[dict[str, Any]] = mapped_column(JsonData)
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JsonData)
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[float] = mapped_column(Double)
    updated_at: Mapped[float] = mapped_column(Double)


class TicketRow(Base):
    """A ticket (工单).  ``state_kind`` copies the state's kind from the workflow so lists
    and statistics filter in SQL; the SLA columns are the two clocks' due times, when they
    were met, and whether a warning or a breach was already reported (once each)."""

    __tablename__ = "tickets"
    __table_args__ = (one_of("priority", PRIORITIES), one_of("state_kind", STATE_KINDS),
                      Index("ix_tickets_state_kind_created_at", "state_kind", "created_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    type_id: Mapped[int] = mapped_column(Integer, ForeignKey("ticket_types.id"), index=True)
    state: Mapped[str] = mapped_column(String(64))
    state_kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    customer_id: Mapped[int | None] = mapped_column(Integer, index=True)   # no FK: kept on delete
    number: Mapped[str] = mapped_column(String(32))
    call_id: Mapped[str | None] = mapped_column(String(128), index=True)
    voicemail_id: Mapped[int | None] = mapped_column(Integer)
    priority: Mapped[str] = mapped_column(String(16))
    assignee: Mapped[str] = mapped_column(String(64), index=True)
    group_name: Mapped[str] = mapped_column(String(64), index=True)   # a queue's name, or ""
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Double, index=True)
    updated_at: Mapped[float] = mapped_column(Double)
    due_at: Mapped[float | None] = mapped_column(Double)
    fields: Mapped[dict[str, Any]] = mapped_column(JsonData)
    fr_due: Mapped[float | None] = mapped_column(Double)
    fr_met_at: Mapped[float | None] = mapped_column(Double)
    fr_warned: Mapped[bool] = mapped_column(Boolean)
    fr_breached: Mapped[bool] = mapped_column(Boolean)
    res_due: Mapped[float | None] = mapped_column(Double)
    resolved_at: Mapped[float | None] = mapped_column(Double)
    resolved_by: Mapped[str] = mapped_column(String(64))
    res_warned: Mapped[bool] = mapped_column(Boolean)
    res_breached: Mapped[bool] = mapped_column(Boolean)
    paused_at: Mapped[float | None] = mapped_column(Double)


class TicketCommentRow(Base):
    __tablename__ = "ticket_comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(Integer, ForeignKey("tickets.id"), index=True)
    author: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    internal: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[float] = mapped_column(Double)


class TicketAttachmentRow(Base):
    """An attachment's metadata; the file is ``<data_dir>/tickets/<path>``, a random name."""

    __tablename__ = "ticket_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(Integer, ForeignKey("tickets.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    mime: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(String(64))
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[float] = mapped_column(Double)


class TicketActivityRow(Base):
    """What happened to a ticket, by whom: only ever inserted."""

    __tablename__ = "ticket_activity"
    __table_args__ = (one_of("action", ACTIONS),)

    id: Mapped[int] = mapped_column(EntryId, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(Integer, ForeignKey("tickets.id"), index=True)
    at: Mapped[float] = mapped_column(Double)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    field: Mapped[str] = mapped_column(String(64))
    old: Mapped[str] = mapped_column(Text)
    new: Mapped[str] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text)
