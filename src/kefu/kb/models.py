"""The knowledge base's tables, on the store's declarative base; only this slice's ``repo``
queries them.  An article's content lives in its versions (every edit is a new row);
``kb_articles.live_id`` names the published one.  ``kb_audit`` is only ever inserted."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (JSON, BigInteger, Date, Double, ForeignKey, Index, Integer, String,
                        Text, UniqueConstraint)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from kefu.store.models import Base, one_of

from .records import ACTIONS, FILE_KINDS, STATES, VISIBILITIES

JsonData = JSON().with_variant(JSONB(), "postgresql")
EntryId = BigInteger().with_variant(Integer(), "sqlite")


class KbCategoryRow(Base):
    """A category (栏目) in the tree; ``parent_id`` None: a top-level one."""

    __tablename__ = "kb_categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    parent_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("kb_categories.id"),
                                                  index=True)
    position: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[float] = mapped_column(Double)


class KbArticleRow(Base):
    """An article: where it is filed and which version is live (None: unpublished)."""

    __tablename__ = "kb_articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category_id: Mapped[int] = mapped_column(Integer, ForeignKey("kb_categories.id"),
                                             index=True)
    live_id: Mapped[int | None] = mapped_column(Integer)   # a kb_versions.id; no FK: no cycle
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Double)
    updated_at: Mapped[float] = mapped_column(Double)


class KbVersionRow(Base):
    """One version of an article's content and where it is in the workflow."""

    __tablename__ = "kb_versions"
    __table_args__ = (one_of("state", STATES), one_of("visibility", VISIBILITIES),
                      UniqueConstraint("article_id", "number"),
                      Index("ix_kb_versions_state_publish_at", "state", "publish_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(Integer, ForeignKey("kb_articles.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    keywords: Mapped[list[str]] = mapped_column(JsonData)
    visibility: Mapped[str] = mapped_column(String(16))
    review_date: Mapped[dt.date | None] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16))
    author: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Double)
    submitted_at: Mapped[float | None] = mapped_column(Double)
    decided_by: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[float | None] = mapped_column(Double)
    comment: Mapped[str] = mapped_column(Text)
    publish_at: Mapped[float | None] = mapped_column(Double)
    published_at: Mapped[float | None] = mapped_column(Double)


class KbFileRow(Base):
    """An image or attachment of an article; the file is ``<files_dir>/<path>``, a random
    name of ours."""

    __tablename__ = "kb_files"
    __table_args__ = (one_of("kind", FILE_KINDS),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(Integer, ForeignKey("kb_articles.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(255))
    mime: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(String(64))
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[float] = mapped_column(Double)


class KbAuditRow(Base):
    """Who did what to which article or category, when, with which comment."""

    __tablename__ = "kb_audit"
    __table_args__ = (one_of("action", ACTIONS),)

    id: Mapped[int] = mapped_column(EntryId, primary_key=True, autoincrement=True)
    at: Mapped[float] = mapped_column(Double)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(24))
    article_id: Mapped[int | None] = mapped_column(Integer, index=True)
    version: Mapped[int | None] = mapped_column(Integer)
    category_id: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text)


from . import trees_models  # noqa: E402,F401  the guided trees' tables, for all_tables()
