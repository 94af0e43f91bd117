"""The recordings slice's tables, on the store's declarative base; only the slice's
repositories query them."""

from __future__ import annotations

from sqlalchemy import (BigInteger, Double, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column

from kefu.store.models import Base, JsonData, one_of

from .records import AUDIT_ACTIONS, CODECS, DIRECTIONS, STATES, TIERS


class RecordingRow(Base):
    """One recorded segment of a call (see :class:`kefu.recordings.records.Recording`).
    Indexed for the common searches: by time, by agent over time, by number (a prefix:
    PostgreSQL's index compares as LIKE does, whatever the database's collation), by score."""

    __tablename__ = "recordings"
    __table_args__ = (
        UniqueConstraint("call_id", "segment"),
        one_of("direction", DIRECTIONS), one_of("tier", TIERS), one_of("state", STATES),
        one_of("codec", CODECS),
        Index("ix_recordings_agent_started_at", "agent", "started_at"),
        Index("ix_recordings_queue_started_at", "queue", "started_at"),
        Index("ix_recordings_caller_started_at", "caller", "started_at",
              postgresql_ops={"caller": "varchar_pattern_ops"}),
        Index("ix_recordings_callee_started_at", "callee", "started_at",
              postgresql_ops={"callee": "varchar_pattern_ops"}),
        Index("ix_recordings_customer_id_started_at", "customer_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[str] = mapped_column(String(128))
    segment: Mapped[int] = mapped_column(Integer)
    journey: Mapped[str] = mapped_column(String(128), index=True)
    caller: Mapped[str] = mapped_column(String(255))
    callee: Mapped[str] = mapped_column(String(255))
    started_at: Mapped[float] = mapped_column(Double, index=True)
    duration: Mapped[float] = mapped_column(Double)
    agent: Mapped[str | None] = mapped_column(String(64))
    queue: Mapped[str | None] = mapped_column(String(64))
    customer_id: Mapped[int | None] = mapped_column(Integer)
    direction: Mapped[str] = mapped_column(String(16))
    disposition: Mapped[str | None] = mapped_column(String(16))
    policy: Mapped[str] = mapped_column(String(64))
    tier: Mapped[str] = mapped_column(String(16))
    path: Mapped[str] = mapped_column(String(1024))
    codec: Mapped[str] = mapped_column(String(8))
    size: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    paused: Mapped[list[list[float]]] = mapped_column(JsonData)
    qa_score: Mapped[float | None] = mapped_column(Double, index=True)


class RecordingTagRow(Base):
    """A tag on a recording (``complaint``, ``good_example``...): searched by."""

    __tablename__ = "recording_tags"
    # a tag's recordings from the index alone (the search by tag starts here)
    __table_args__ = (Index("ix_recording_tags_tag", "tag", "recording_id"),)

    recording_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("recordings.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(32), primary_key=True)


class RecordingAuditRow(Base):
    """Append-only: every playback, download, archive move and deletion."""

    __tablename__ = "recording_audit"
    __table_args__ = (one_of("action", AUDIT_ACTIONS),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[float] = mapped_column(Double, index=True)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    recording_id: Mapped[int | None] = mapped_column(Integer, index=True)
    address: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text)


class InspectorRow(Base):
    """An inspector's phone access: the digits they key as their ID and an argon2 hash of
    their PIN, for playback by phone."""

    __tablename__ = "recording_inspectors"
    __table_args__ = (UniqueConstraint("code"), UniqueConstraint("username"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16))
    username: Mapped[str] = mapped_column(String(64))
    pin_hash: Mapped[str] = mapped_column(String(255))
    updated_at: Mapped[float] = mapped_column(Double)


class RecordingScopeRow(Base):
    """A supervisor's or inspector's group: the queues whose agents' recordings they may
    hear.  No row for a user: every queue (a small site's default)."""

    __tablename__ = "recording_scopes"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    queue: Mapped[str] = mapped_column(String(64), primary_key=True)
