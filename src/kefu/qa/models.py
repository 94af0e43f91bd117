"""The QA slice's tables, on the store's declarative base; only :mod:`kefu.qa.repo` and
the service query them.  A recording is named by its id only (the recordings slice's
rows are its own); what the summaries group by (agent, queue, the call's start) is copied
onto the evaluation when it is made."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (Boolean, Double, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column

from kefu.store.models import Base, JsonData, one_of

from .records import ACTIONS, EXAMPLE_KINDS, STATES


class ScorecardRow(Base):
    """One version of a scorecard template; ``sections`` is its definition (JSON)."""

    __tablename__ = "qa_scorecards"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    sections: Mapped[list[dict[str, Any]]] = mapped_column(JsonData)
    author: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Double)


class EvaluationRow(Base):
    """A recording scored on one scorecard version by one inspector."""

    __tablename__ = "qa_evaluations"
    __table_args__ = (
        one_of("state", STATES),
        Index("ix_qa_evaluations_agent_call_started_at", "agent", "call_started_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recording_id: Mapped[int] = mapped_column(Integer, index=True)
    scorecard_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("qa_scorecards.id"), index=True)
    inspector: Mapped[str] = mapped_column(String(64), index=True)
    agent: Mapped[str | None] = mapped_column(String(64))
    queue: Mapped[str | None] = mapped_column(String(64))
    call_started_at: Mapped[float] = mapped_column(Double, index=True)
    state: Mapped[str] = mapped_column(String(16))
    answers: Mapped[dict[str, Any]] = mapped_column(JsonData)
    score: Mapped[float | None] = mapped_column(Double)
    failed: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[float] = mapped_column(Double)
    updated_at: Mapped[float] = mapped_column(Double)


class CommentRow(Base):
    """An inspector's remark at a time position (seconds) in the recording."""

    __tablename__ = "qa_comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("qa_evaluations.id", ondelete="CASCADE"), index=True)
    at: Mapped[float] = mapped_column(Double)
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Double)


class StepRow(Base):
    """Append-only: each move of an evaluation's state machine, with its note or reason."""

    __tablename__ = "qa_steps"
    __table_args__ = (one_of("action", ACTIONS), one_of("state", STATES))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("qa_evaluations.id", ondelete="CASCADE"), index=True)
    at: Mapped[float] = mapped_column(Double)
    by: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text)
    score: Mapped[float | None] = mapped_column(Double)


class ExampleRow(Base):
    """A recording trainers play to new staff, as a good or a bad example."""

    __tablename__ = "qa_examples"
    __table_args__ = (one_of("kind", EXAMPLE_KINDS),)

    recording_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    note: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Double)
