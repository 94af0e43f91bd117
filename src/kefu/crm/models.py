"""The CRM slice's tables, on the store's declarative base; only :mod:`kefu.crm.repo`
(and the slice's other query modules) query them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (JSON, BigInteger, Boolean, Double, ForeignKey, Index, Integer, String,
                        Text, UniqueConstraint)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from kefu.store.models import Base, one_of

from .records import CONTACT_RESULTS, FIELD_KINDS, IMPORT_STATES, TIMELINE_KINDS

JsonData = JSON().with_variant(JSONB(), "postgresql")
EntryId = BigInteger().with_variant(Integer(), "sqlite")


class CustomerRow(Base):
    """A customer.  Numbers, e-mail addresses and tags are rows of their own (several
    each); ``fields`` holds the values of the custom fields an admin defined
    (:class:`FieldRow`), keyed by the field's name."""

    __tablename__ = "customers"
    __table_args__ = (Index("ix_customers_company_name", "company", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    company: Mapped[str] = mapped_column(String(128))
    tier: Mapped[str] = mapped_column(String(32))
    owner: Mapped[str] = mapped_column(String(64), index=True)
    notes: Mapped[str] = mapped_column(Text)
    birthday: Mapped[str | None] = mapped_column(String(10))      # ISO date, YYYY-MM-DD
    address: Mapped[str] = mapped_column(Text)
    fields: Mapped[dict[str, Any]] = mapped_column(JsonData)
    created_at: Mapped[float] = mapped_column(Double)
    updated_at: Mapped[float] = mapped_column(Double)


class CustomerNumberRow(Base):
    """One of a customer's phone numbers, in :mod:`kefu.crm.phones`' one spelling (the
    screen pop's key).  Not unique: a switchboard number may be two contacts' (duplicate
    detection shows them; the screen pop offers both)."""

    __tablename__ = "customer_numbers"
    __table_args__ = (UniqueConstraint("customer_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(Integer, ForeignKey("customers.id"), index=True)
    number: Mapped[str] = mapped_column(String(32), index=True)
    extension: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(32))                # mobile, work, home, ""
    position: Mapped[int] = mapped_column(Integer)                # 0: the main number


class CustomerEmailRow(Base):
    """One of a customer's e-mail addresses, lower-cased."""

    __tablename__ = "customer_emails"
    __table_args__ = (UniqueConstraint("customer_id", "email"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(Integer, ForeignKey("customers.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    position: Mapped[int] = mapped_column(Integer)


class CustomerTagRow(Base):
    __tablename__ = "customer_tags"

    customer_id: Mapped[int] = mapped_column(Integer, ForeignKey("customers.id"),
                                             primary_key=True)
    tag: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class FieldRow(Base):
    """A custom field an admin defined for customers: its values live in
    ``customers.fields`` under ``name``."""

    __tablename__ = "crm_fields"
    __table_args__ = (UniqueConstraint("name"), one_of("kind", FIELD_KINDS))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))                 # key, [a-z][a-z0-9_]*
    label: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    choices: Mapped[list[str]] = mapped_column(JsonData)          # kind "choice"
    required: Mapped[bool] = mapped_column(Boolean)
    position: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[float] = mapped_column(Double)


class ContactNoteRow(Base):
    """A call note (通话摘要): append-only, never updated or deleted.

    ``type`` and ``handling`` come from the configured lists (``[crm] note_types``), so no
    CHECK constraint holds them; ``result`` is a fixed list (reports group by it).
    No ``ON DELETE CASCADE``: deleting a customer who has history must be a decision.
    """

    __tablename__ = "contact_notes"
    __table_args__ = (one_of("result", CONTACT_RESULTS),
                      Index("ix_contact_notes_created_type", "created_at", "type"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(Integer, ForeignKey("customers.id"), index=True)
    call_id: Mapped[str | None] = mapped_column(String(128), index=True)
    agent: Mapped[str] = mapped_column(String(64))
    queue: Mapped[str] = mapped_column(String(64))                # the call's queue, or ""
    type: Mapped[str] = mapped_column(String(32))
    handling: Mapped[str] = mapped_column(String(64))             # 处理方式
    result: Mapped[str] = mapped_column(String(16))
    notes: Mapped[str] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Double)


class TimelineRow(Base):
    """One entry of a customer's history (历史记录): a call, a note, a ticket or its change,
    a voicemail, a survey score, a follow-up…  Written by whoever owns the thing
    (``Crm.record``), read newest first a page at a time (the index below)."""

    __tablename__ = "crm_timeline"
    __table_args__ = (one_of("kind", TIMELINE_KINDS),
                      Index("ix_crm_timeline_customer_at", "customer_id", "at", "id"),
                      Index("ix_crm_timeline_kind_ref", "kind", "ref"))

    id: Mapped[int] = mapped_column(EntryId, primary_key=True, autoincrement=True)
    customer_id: Mapped[int] = mapped_column(Integer, ForeignKey("customers.id"))
    at: Mapped[float] = mapped_column(Double)
    kind: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str] = mapped_column(String(128))                 # call id, ticket id, …
    agent: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(String(255))
    data: Mapped[dict[str, Any]] = mapped_column(JsonData)


class CrmAuditRow(Base):
    """Who exported, imported, merged or deleted customers: rows are only ever inserted."""

    __tablename__ = "crm_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[float] = mapped_column(Double, index=True)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    customer_id: Mapped[int | None] = mapped_column(Integer)      # no FK: it may be deleted
    detail: Mapped[dict[str, Any]] = mapped_column(JsonData)


class ImportRow(Base):
    """An import of customers from a file: its progress, updated in the same transaction
    as each batch of rows it writes (so ``done`` counts exactly the rows that are in)."""

    __tablename__ = "crm_imports"
    __table_args__ = (one_of("state", IMPORT_STATES),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(16))
    total: Mapped[int] = mapped_column(Integer)
    done: Mapped[int] = mapped_column(Integer)
    created: Mapped[int] = mapped_column(Integer)
    updated: Mapped[int] = mapped_column(Integer)
    failed: Mapped[int] = mapped_column(Integer)
    errors: Mapped[list[Any]] = mapped_column(JsonData)           # [{row, column, message}]
    created_at: Mapped[float] = mapped_column(Double, index=True)
    finished_at: Mapped[float | None] = mapped_column(Double)
