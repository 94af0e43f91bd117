"""The QA API's request and response bodies."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kefu.recordings.service import Recording

from .records import (EXAMPLE_KINDS, MAX_SAMPLE, MAX_TEXT, Comment, Evaluation, Example,
                      Figure, Scorecard, Step, Summary)

Answers = dict[str, Any]
ANSWERS = ("criterion key → answer: true/false for yes_no, a whole number for scale_5 "
           "(1–5) and scale_10 (0–10)")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CriterionOut(BaseModel):
    key: str
    label: str
    weight: float
    kind: str
    critical: bool


class SectionOut(BaseModel):
    title: str
    criteria: list[CriterionOut]


class ScorecardOut(BaseModel):
    id: int
    name: str
    version: int
    description: str
    sections: list[SectionOut]
    author: str
    created_at: float
    used: bool = Field(description="evaluations use this version: saving makes a new one")

    @classmethod
    def of(cls, c: Scorecard) -> ScorecardOut:
        return cls(id=c.id, name=c.name, version=c.version, description=c.description,
                   sections=[SectionOut(title=s.title, criteria=[
                       CriterionOut(key=k.key, label=k.label, weight=k.weight, kind=k.kind,
                                    critical=k.critical) for k in s.criteria])
                             for s in c.sections],
                   author=c.author, created_at=c.created_at, used=c.used)


class EvaluationIn(Strict):
    recording_id: int = Field(ge=1, le=2**31 - 1)
    scorecard_id: int = Field(ge=1, le=2**31 - 1)


class AnswersIn(Strict):
    answers: Answers = Field(description=ANSWERS)


class SubmitIn(Strict):
    answers: Answers | None = Field(None, description=ANSWERS + "; none: the draft's")


class ReviseIn(Strict):
    answers: Answers = Field(description=ANSWERS)
    note: str = Field("", max_length=MAX_TEXT)


class NoteIn(Strict):
    note: str = Field("", max_length=MAX_TEXT)


class DisputeIn(Strict):
    reason: str = Field(min_length=1, max_length=MAX_TEXT)


class CommentIn(Strict):
    at: float = Field(ge=0, le=86400, description="seconds into the recording")
    text: str = Field(min_length=1, max_length=MAX_TEXT)


class CommentOut(BaseModel):
    id: int
    at: float
    text: str
    author: str
    created_at: float

    @classmethod
    def of(cls, c: Comment) -> CommentOut:
        return cls(id=c.id, at=c.at, text=c.text, author=c.author, created_at=c.created_at)


class StepOut(BaseModel):
    at: float
    by: str
    action: str
    state: str
    note: str
    score: float | None

    @classmethod
    def of(cls, h: Step) -> StepOut:
        return cls(at=h.at, by=h.by, action=h.action, state=h.state, note=h.note,
                   score=h.score)


class EvaluationOut(BaseModel):
    id: int
    recording_id: int
    scorecard_id: int
    inspector: str
    agent: str | None
    queue: str | None
    call_started_at: float
    state: str = Field(description="draft → submitted → acknowledged | disputed → "
                                   "revised | upheld → acknowledged")
    answers: Answers
    score: float | None = Field(description="0–100; 0 when a critical item failed")
    failed: bool = Field(description="a critical item failed")
    created_at: float
    updated_at: float
    comments: list[CommentOut]
    history: list[StepOut]

    @classmethod
    def of(cls, e: Evaluation) -> EvaluationOut:
        return cls(id=e.id, recording_id=e.recording_id, scorecard_id=e.scorecard_id,
                   inspector=e.inspector, agent=e.agent, queue=e.queue,
                   call_started_at=e.call_started_at, state=e.state, answers=e.answers,
                   score=e.score, failed=e.failed, created_at=e.created_at,
                   updated_at=e.updated_at, comments=[CommentOut.of(c) for c in e.comments],
                   history=[StepOut.of(h) for h in e.history])


class SampleIn(Strict):
    per_agent: int = Field(ge=1, le=MAX_SAMPLE)
    week_of: float | None = Field(None, ge=0, description="a time in the week; none: now")
    seed: int | None = None
    agents: list[str] | None = Field(None, max_length=1000)


class PickOut(BaseModel):
    """A recording drawn for inspection."""

    id: int
    call_id: str
    agent: str | None
    queue: str | None
    caller: str
    callee: str
    started_at: float
    duration: float
    qa_score: float | None

    @classmethod
    def of(cls, r: Recording) -> PickOut:
        return cls(id=r.id, call_id=r.call_id, agent=r.agent, queue=r.queue, caller=r.caller,
                   callee=r.callee, started_at=r.started_at, duration=r.duration,
                   qa_score=r.qa_score)


class SampleOut(BaseModel):
    agent: str
    recordings: list[PickOut]


class FigureOut(BaseModel):
    key: str
    label: str
    count: int
    mean: float
    failed: int

    @classmethod
    def of(cls, f: Figure) -> FigureOut:
        return cls(key=f.key, label=f.label or f.key, count=f.count, mean=f.mean,
                   failed=f.failed)


class SummaryOut(BaseModel):
    by_agent: list[FigureOut]
    by_criterion: list[FigureOut]
    by_queue: list[FigureOut]
    by_week: list[FigureOut] = Field(description="key: the week's Monday (local date)")

    @classmethod
    def of(cls, s: Summary) -> SummaryOut:
        return cls(by_agent=[FigureOut.of(f) for f in s.by_agent],
                   by_criterion=[FigureOut.of(f) for f in s.by_criterion],
                   by_queue=[FigureOut.of(f) for f in s.by_queue],
                   by_week=[FigureOut.of(f) for f in s.by_week])


class ExampleIn(Strict):
    recording_id: int = Field(ge=1, le=2**31 - 1)
    kind: str = Field(description=" or ".join(EXAMPLE_KINDS))
    note: str = Field("", max_length=MAX_TEXT)


class ExampleOut(BaseModel):
    recording_id: int
    kind: str
    note: str
    author: str
    created_at: float
    agent: str | None
    score: float | None

    @classmethod
    def of(cls, e: Example) -> ExampleOut:
        return cls(recording_id=e.recording_id, kind=e.kind, note=e.note, author=e.author,
                   created_at=e.created_at, agent=e.agent, score=e.score)
