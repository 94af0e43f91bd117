"""The CRM slice's tables, on the store's declarative base; only :mod:`kefu.crm.repo`
queries them."""

from __future__ import annotations

from sqlalchemy import Double, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kefu.store.models import Base, one_of

from .records import CONTACT_RESULTS, CONTACT_TYPES


class CustomerRow(Base):
    """A customer, found by phone number when it calls (the screen pop).

    The unique constraint on ``number`` is also its index: both backends build one.
    """

    __tablename__ = "customers"
    __table_args__ = (UniqueConstraint("number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(128))
    company: Mapped[str] = mapped_column(String(128))
    tier: Mapped[str] = mapped_column(String(32))
    owner: Mapped[str] = mapped_column(String(64))
    notes: Mapped[str] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Double)
    updated_at: Mapped[float] = mapped_column(Double)


class ContactNoteRow(Base):
    """Append-only contact history: rows are inserted, never updated or deleted.

    No ``ON DELETE CASCADE``: deleting a customer who has history must be a decision.
    """

    __tablename__ = "contact_notes"
    __table_args__ = (one_of("type", CONTACT_TYPES), one_of("result", CONTACT_RESULTS))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(Integer, ForeignKey("customers.id"), index=True)
    call_id: Mapped[str | None] = mapped_column(String(128), index=True)
    agent: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(16))
    result: Mapped[str] = mapped_column(String(16))
    notes: Mapped[str] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Double)
