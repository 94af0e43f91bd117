"""The tables, as SQLAlchemy ORM classes private to the store.

Only :mod:`kefu.store.service` touches these; everything else gets the dataclasses in
:mod:`kefu.store.records`.  Times are float epoch seconds (DOUBLE) everywhere, the same
clock as :class:`kefu.bus.Event`.  Migrations in ``migrations/versions`` must match this
file exactly; a test compares them on every backend.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (JSON, BigInteger, Boolean, CheckConstraint, Double, ForeignKey,
                        Index, Integer, MetaData, String, Text, UniqueConstraint, text)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from .records import CONTACT_RESULTS, CONTACT_TYPES, ROLES

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
EventId = BigInteger().with_variant(Integer(), "sqlite")
JsonData = JSON().with_variant(JSONB(), "postgresql")


def one_of(column: str, values: tuple[str, ...]) -> CheckConstraint:
    """``column IN (...)`` named after the column (``ck_<table>_<column>``)."""
    return CheckConstraint(f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")",
                           name=column)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class ExtensionRow(Base):
    __tablename__ = "extensions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(10), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    realm: Mapped[str] = mapped_column(String(128))
    ha1_md5: Mapped[str] = mapped_column(String(32))
    ha1_sha256: Mapped[str] = mapped_column(String(64))
    enabled: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[float] = mapped_column(Double)
    updated_at: Mapped[float] = mapped_column(Double)


class UserRow(Base):
    __tablename__ = "users"
    __table_args__ = (
        one_of("role", ROLES),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[float] = mapped_column(Double)


class UserExtensionRow(Base):
    """An extension an agent may log in on (and open a browser line for).

    Deleting the user or the extension deletes the binding: neither may outlive the other.
    """

    __tablename__ = "user_extensions"

    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[str] = mapped_column(
        String(10), ForeignKey("extensions.number", ondelete="CASCADE"), primary_key=True,
        index=True)
    created_at: Mapped[float] = mapped_column(Double)


class ApiTokenRow(Base):
    __tablename__ = "api_tokens"

    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[float] = mapped_column(Double)
    expires_at: Mapped[float] = mapped_column(Double)


class CallEventRow(Base):
    """Append-only: rows are inserted, never updated or deleted."""

    __tablename__ = "call_events"

    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=True)
    ts: Mapped[float] = mapped_column(Double, index=True)
    call_id: Mapped[str | None] = mapped_column(String(128), index=True)
    type: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JsonData)


class CallRow(Base):
    __tablename__ = "calls"
    __table_args__ = (
        Index("ix_calls_start_ts", "start_ts"),
        Index("ix_calls_caller", "caller"),
        Index("ix_calls_callee", "callee"),
    )

    call_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    caller: Mapped[str] = mapped_column(String(255))
    callee: Mapped[str] = mapped_column(String(255))
    caller_name: Mapped[str] = mapped_column(Text)
    start_ts: Mapped[float] = mapped_column(Double)
    answer_ts: Mapped[float | None] = mapped_column(Double)
    end_ts: Mapped[float | None] = mapped_column(Double)
    duration: Mapped[float] = mapped_column(Double)
    disposition: Mapped[str | None] = mapped_column(String(16))
    hangup_by: Mapped[str | None] = mapped_column(String(16))
    sip_code: Mapped[int | None] = mapped_column(Integer)
    recording_path: Mapped[str | None] = mapped_column(Text)
    recording_duration: Mapped[float | None] = mapped_column(Double)


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


class AnnouncementRow(Base):
    """A notice from staff.  ``audience`` (usernames) and ``groups`` (queue names) are what
    was posted; ``recipients`` are the usernames it reaches, the groups resolved to their
    members when posted (later membership changes do not move it); all JSON lists, and
    empty ``recipients`` means every agent."""

    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(64))
    audience: Mapped[list[str]] = mapped_column(JsonData)
    created_at: Mapped[float] = mapped_column(Double)
    groups: Mapped[list[str]] = mapped_column(JsonData, server_default=text("'[]'"))
    recipients: Mapped[list[str]] = mapped_column(JsonData, server_default=text("'[]'"))


class AnnouncementAckRow(Base):
    """Who acknowledged which announcement; the key makes a second ack a no-op."""

    __tablename__ = "announcement_acks"

    announcement_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("announcements.id", ondelete="CASCADE"), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    acked_at: Mapped[float] = mapped_column(Double)
