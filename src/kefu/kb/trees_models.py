"""The guided question trees' tables (问题推测); only the slice's ``trees_repo`` queries
them.  A tree's nodes and answers are one JSON document (edited and checked whole); a walk
keeps the tree it started on (``shape``) so an edit mid-call cannot break it, and its path."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Double, ForeignKey, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from kefu.store.models import Base, one_of

JsonData = JSON().with_variant(JSONB(), "postgresql")     # as models.py's (which imports us)

WALK_STATES = ("open", "finished", "abandoned")


class KbTreeRow(Base):
    """A tree: filed under a category, enabled or not; ``version`` counts its saves."""

    __tablename__ = "kb_trees"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category_id: Mapped[int] = mapped_column(Integer, ForeignKey("kb_categories.id"),
                                             index=True)
    title: Mapped[str] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(Boolean)
    shape: Mapped[dict] = mapped_column(JsonData)       # {"nodes": [...], "edges": [...]}
    version: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Double)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[float] = mapped_column(Double)


class KbWalkRow(Base):
    """An agent's walk through a tree during a call; ``path`` the steps so far
    ([{"node", "answer"}], the answer's label); kept when finished or abandoned."""

    __tablename__ = "kb_walks"
    __table_args__ = (one_of("state", WALK_STATES),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tree_id: Mapped[int] = mapped_column(Integer, index=True)   # no FK: walks outlive trees
    tree_version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    shape: Mapped[dict] = mapped_column(JsonData)       # the tree as the walk started
    call_id: Mapped[str] = mapped_column(String(128), index=True)
    number: Mapped[str] = mapped_column(String(32))     # the caller's, for the call's note
    agent: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    path: Mapped[list] = mapped_column(JsonData)
    started_at: Mapped[float] = mapped_column(Double)
    updated_at: Mapped[float] = mapped_column(Double)
    note_id: Mapped[int | None] = mapped_column(Integer)   # the call note written on finish
    notes: Mapped[str] = mapped_column(Text)              # the path as written there
