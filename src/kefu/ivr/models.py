"""The IVR slice's tables, on the store's declarative base; only :mod:`kefu.ivr.repo`
queries them (and the slice's services add rows through it)."""

from __future__ import annotations

from sqlalchemy import Boolean, Double, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kefu.store.models import Base, JsonData, one_of

from .records import LANGUAGES, MAILBOX_KINDS, MESSAGE_STATUSES, VERSION_STATUSES


class FlowRow(Base):
    """A flow by name; its text lives in its versions.  A publish locks this row, so two
    admins publishing at once take turns."""

    __tablename__ = "ivr_flows"
    __table_args__ = (UniqueConstraint("name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[float] = mapped_column(Double)
    updated_at: Mapped[float] = mapped_column(Double)


class FlowVersionRow(Base):
    """A version's text as written.  At most one draft and one published version per flow
    (kept by the service under the flow row's lock); published and retired texts never
    change, so a call may cache the flow it parsed by (flow, number)."""

    __tablename__ = "ivr_flow_versions"
    __table_args__ = (UniqueConstraint("flow_id", "number"), one_of("status", VERSION_STATUSES))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flow_id: Mapped[int] = mapped_column(Integer, ForeignKey("ivr_flows.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(64))
    based_on: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[float] = mapped_column(Double)
    updated_at: Mapped[float] = mapped_column(Double)
    published_at: Mapped[float | None] = mapped_column(Double)
    retired_at: Mapped[float | None] = mapped_column(Double)


class CollectedRow(Base):
    """Append-only: a ``store`` node's record, never changed once written."""

    __tablename__ = "ivr_records"
    __table_args__ = (Index("ix_ivr_records_flow_created_at", "flow", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[str] = mapped_column(String(128), index=True)
    caller: Mapped[str] = mapped_column(String(255), index=True)
    flow: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    node: Mapped[str] = mapped_column(String(64))
    record: Mapped[str] = mapped_column(String(64))
    fields: Mapped[dict[str, str]] = mapped_column(JsonData)
    created_at: Mapped[float] = mapped_column(Double, index=True)


class MailboxRow(Base):
    __tablename__ = "ivr_mailboxes"
    __table_args__ = (UniqueConstraint("kind", "owner"), one_of("kind", MAILBOX_KINDS))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    owner: Mapped[str] = mapped_column(String(64))
    pin_hash: Mapped[str] = mapped_column(String(255))
    email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[float] = mapped_column(Double)
    updated_at: Mapped[float] = mapped_column(Double)


class MessageRow(Base):
    """A message; its file is under the voicemail directory at ``path``."""

    __tablename__ = "ivr_messages"
    __table_args__ = (one_of("status", MESSAGE_STATUSES),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mailbox_id: Mapped[int] = mapped_column(Integer, ForeignKey("ivr_mailboxes.id"), index=True)
    call_id: Mapped[str] = mapped_column(String(128))
    caller: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[float] = mapped_column(Double)
    duration: Mapped[float] = mapped_column(Double)
    path: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    done: Mapped[bool] = mapped_column(Boolean)
    done_by: Mapped[str | None] = mapped_column(String(64))
    done_at: Mapped[float | None] = mapped_column(Double)


class PromptRow(Base):
    """An uploaded prompt per (name, language); a new upload replaces the file."""

    __tablename__ = "ivr_prompts"
    __table_args__ = (UniqueConstraint("name", "language"), one_of("language", LANGUAGES))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    file: Mapped[str] = mapped_column(Text)
    duration: Mapped[float] = mapped_column(Double)
    uploaded_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Double)
    updated_at: Mapped[float] = mapped_column(Double)
