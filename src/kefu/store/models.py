"""The declarative base every table is on, and the tables that are no business slice.

Here: extensions, the call event log and CDRs, touched only by :mod:`kefu.store.service`
(and, for the extension numbers agents are bound to, by ``kefu.users``).  Each slice keeps
its own tables in its ``models.py`` on this :class:`Base`; :func:`all_tables` loads them
all.  Everything else gets the dataclasses in :mod:`kefu.store.records`.  Times are float epoch seconds (DOUBLE) everywhere, the same
clock as :class:`kefu.bus.Event`.  Migrations in ``migrations/versions`` must match this
file exactly; a test compares them on every backend.
"""

from __future__ import annotations

import importlib
from typing import Any

from sqlalchemy import (JSON, BigInteger, Boolean, CheckConstraint, Double, Index, Integer,
                        MetaData, String, Text)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

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


SLICES = ("users", "crm", "announcements", "ivr", "recordings", "qa", "tickets",
          "followups", "reports", "kb")
"""The business slices whose ``kefu.<slice>.models`` hold tables on :class:`Base`."""


def all_tables() -> MetaData:
    """:class:`Base`'s metadata with every slice's tables loaded: what the one Alembic
    history must match.  Loaded by name, since the store sits below the slices."""
    for name in SLICES:
        importlib.import_module(f"kefu.{name}.models")
    return Base.metadata


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
    survey_score: Mapped[int | None] = mapped_column(Integer)
