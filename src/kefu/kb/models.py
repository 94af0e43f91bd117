"""The knowledge base's tables, on the store's declarative base; only this slice's ``repo``
queries them.  An article's content lives in its versions (every edit is a new row);
``kb_articles.live_id`` names the published one.  ``kb_audit`` is only ever inserted."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (JSON, BigInteger, Boolean, Date, Double, ForeignKey, Index, Integer, String,
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


# --- use of the knowledge base (migration 0026): searches, views, votes; the admins' vocabulary


class KbSearchRow(Base):
    """One search as asked (statistics): ``hits`` 0 is a content gap until ``handled_at``."""

    __tablename__ = "kb_searches"
    __table_args__ = (Index("ix_kb_searches_at", "at"), Index("ix_kb_searches_gap", "hits", "query"))

    id: Mapped[int] = mapped_column(EntryId, primary_key=True, autoincrement=True)
    at: Mapped[float] = mapped_column(Double)
    query: Mapped[str] = mapped_column(String(200))
    hits: Mapped[int] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(64))      # "": the public help centre
    call_id: Mapped[str] = mapped_column(String(64))
    top_id: Mapped[int | None] = mapped_column(Integer)    # the best hit (the hot list)
    handled_at: Mapped[float | None] = mapped_column(Double)
    draft_id: Mapped[int | None] = mapped_column(Integer)  # the article made from the gap


class KbViewRow(Base):
    """One reading of a published article; ``call_id``/``session`` tie views together
    (co-viewing, for related articles)."""

    __tablename__ = "kb_views"
    __table_args__ = (Index("ix_kb_views_article_at", "article_id", "at"),
                      Index("ix_kb_views_call_id", "call_id"),
                      Index("ix_kb_views_session", "session"))

    id: Mapped[int] = mapped_column(EntryId, primary_key=True, autoincrement=True)
    at: Mapped[float] = mapped_column(Double)
    article_id: Mapped[int] = mapped_column(Integer, ForeignKey("kb_articles.id"))
    username: Mapped[str] = mapped_column(String(64))
    call_id: Mapped[str] = mapped_column(String(64))
    session: Mapped[str] = mapped_column(String(64))


class KbVoteRow(Base):
    """Helpful or not: one per user per article version (a second vote changes it)."""

    __tablename__ = "kb_votes"
    __table_args__ = (UniqueConstraint("article_id", "version", "username"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(Integer, ForeignKey("kb_articles.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(64))
    helpful: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[float] = mapped_column(Double)


class KbSynonymRow(Base):
    """A synonym group an admin keeps (退款 = 退钱)."""

    __tablename__ = "kb_synonyms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    words: Mapped[list[str]] = mapped_column(JsonData)


class KbWordRow(Base):
    """A product name (or other site word) the segmenter must keep whole."""

    __tablename__ = "kb_words"

    word: Mapped[str] = mapped_column(String(64), primary_key=True)


from . import trees_models  # noqa: E402,F401  the guided trees' tables, for all_tables()
