"""The QA slice's queries and row → record conversions: each takes the caller's session,
so the service decides what one transaction holds."""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from .models import CommentRow, EvaluationRow, ExampleRow, ScorecardRow, StepRow
from .records import (Comment, Criterion, Evaluation, Example, Scorecard, Section, Step)


def to_scorecard(row: ScorecardRow, used: bool = False) -> Scorecard:
    sections = tuple(
        Section(s["title"], tuple(Criterion(c["key"], c["label"], float(c["weight"]),
                                            c["kind"], bool(c.get("critical")))
                                  for c in s["criteria"]))
        for s in row.sections)
    return Scorecard(id=row.id, name=row.name, version=row.version,
                     description=row.description, sections=sections, author=row.author,
                     created_at=row.created_at, used=used)


def sections_json(sections: tuple[Section, ...]) -> list[dict[str, Any]]:
    return [{"title": s.title,
             "criteria": [{"key": c.key, "label": c.label, "weight": c.weight,
                           "kind": c.kind, "critical": c.critical} for c in s.criteria]}
            for s in sections]


def is_used(s: Session, scorecard_id: int) -> bool:
    return bool(s.scalar(select(exists().where(EvaluationRow.scorecard_id == scorecard_id))))


def latest(s: Session, name: str) -> ScorecardRow | None:
    return s.scalar(select(ScorecardRow).where(ScorecardRow.name == name)
                    .order_by(ScorecardRow.version.desc()).limit(1))


def latest_all(s: Session) -> list[ScorecardRow]:
    newest = (select(ScorecardRow.name, func.max(ScorecardRow.version).label("v"))
              .group_by(ScorecardRow.name).subquery())
    return list(s.scalars(select(ScorecardRow).join(
        newest, (ScorecardRow.name == newest.c.name) & (ScorecardRow.version == newest.c.v))
        .order_by(ScorecardRow.name)))


def to_evaluation(s: Session, row: EvaluationRow, full: bool = True) -> Evaluation:
    comments: tuple[Comment, ...] = ()
    history: tuple[Step, ...] = ()
    if full:
        comments = tuple(
            Comment(c.id, c.evaluation_id, c.at, c.text, c.author, c.created_at)
            for c in s.scalars(select(CommentRow).where(CommentRow.evaluation_id == row.id)
                               .order_by(CommentRow.at, CommentRow.id)))
        history = tuple(
            Step(h.at, h.by, h.action, h.state, h.note, h.score)
            for h in s.scalars(select(StepRow).where(StepRow.evaluation_id == row.id)
                               .order_by(StepRow.id)))
    return Evaluation(id=row.id, recording_id=row.recording_id,
                      scorecard_id=row.scorecard_id, inspector=row.inspector,
                      agent=row.agent, queue=row.queue, call_started_at=row.call_started_at,
                      state=row.state, answers=dict(row.answers or {}), score=row.score,
                      failed=row.failed, created_at=row.created_at,
                      updated_at=row.updated_at, comments=comments, history=history)


def to_example(row: ExampleRow, agent: str | None = None,
               score: float | None = None) -> Example:
    return Example(row.recording_id, row.kind, row.note, row.author, row.created_at,
                   agent, score)


def scored(s: Session, recording_id: int) -> EvaluationRow | None:
    """The recording's latest evaluation past draft (what an example shows)."""
    return s.scalar(select(EvaluationRow)
                    .where(EvaluationRow.recording_id == recording_id,
                           EvaluationRow.state != "draft")
                    .order_by(EvaluationRow.id.desc()).limit(1))
