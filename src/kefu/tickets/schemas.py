"""The tickets API's request and response bodies (the contract in TICKETS_API.md)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .records import (MAX_NAME, MAX_TEXT, MAX_TITLE, Activity, Attachment, Clock, Comment,
                      Ticket, TicketDetail, TicketType)
from .typespec import FieldSpec, SlaSpec, TypeSpec

Priority = Literal["low", "normal", "high", "urgent"]
MAX_ID = 2**31 - 1
MAX_TIME = 1e11              # epoch seconds (year 5138): beyond is no date a calendar can read


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TypeIn(TypeSpec):
    """A ticket type as written (POST /ticket-types)."""


class TypeUpdate(TypeSpec):
    """PUT /ticket-types/{id}: the whole type, with where tickets in dropped states go."""
    state_map: dict[str, str] = Field(default={}, description="old state → new state")


class TypeOut(BaseModel):
    id: int
    name: str
    label_zh: str
    label_en: str
    workflow: dict[str, Any]
    version: int
    sla: SlaSpec
    fields: list[FieldSpec]
    active: bool

    @classmethod
    def of(cls, t: TicketType) -> TypeOut:
        return cls(id=t.id, name=t.name, label_zh=t.label_zh, label_en=t.label_en,
                   workflow=t.workflow, version=t.version, sla=SlaSpec(**vars(t.sla)),
                   fields=[FieldSpec.model_validate(
                       {**vars(f), "choices": list(f.choices)}) for f in t.fields],
                   active=t.active)


class ClockOut(BaseModel):
    due_at: float | None
    state: Literal["running", "paused", "met", "warning", "breached", "none"]

    @classmethod
    def of(cls, c: Clock) -> ClockOut:
        return cls(due_at=c.due_at, state=c.state)  # type: ignore[arg-type]


class SlaOut(BaseModel):
    first_response: ClockOut
    resolution: ClockOut


class TransitionOut(BaseModel):
    name: str
    label_zh: str
    label_en: str
    to: str
    required: list[str]


class TicketOut(BaseModel):
    id: int
    type: str
    type_label_zh: str
    type_label_en: str
    title: str
    description: str
    state: str
    state_label_zh: str
    state_label_en: str
    state_kind: str
    customer_id: int | None
    customer_name: str
    number: str
    call_id: str | None
    voicemail_id: int | None
    priority: Priority
    assignee: str
    group: str
    created_by: str
    created_at: float
    updated_at: float
    due_at: float | None
    sla: SlaOut
    fields: dict[str, Any]
    transitions: list[TransitionOut] = Field(description="the ones the caller may take now")

    @classmethod
    def of(cls, t: Ticket) -> TicketOut:
        data = {k: v for k, v in vars(t).items() if k not in ("sla", "transitions")}
        return cls(**data, sla=SlaOut(first_response=ClockOut.of(t.sla["first_response"]),
                                      resolution=ClockOut.of(t.sla["resolution"])),
                   transitions=[TransitionOut(name=x.name, label_zh=x.label_zh,
                                              label_en=x.label_en, to=x.to,
                                              required=list(x.required))
                                for x in t.transitions])


class CommentOut(BaseModel):
    id: int
    author: str
    body: str
    internal: bool
    at: float

    @classmethod
    def of(cls, c: Comment) -> CommentOut:
        return cls(id=c.id, author=c.author, body=c.body, internal=c.internal, at=c.at)


class AttachmentOut(BaseModel):
    id: int
    name: str
    mime: str
    size: int
    by: str
    at: float

    @classmethod
    def of(cls, a: Attachment) -> AttachmentOut:
        return cls(id=a.id, name=a.name, mime=a.mime, size=a.size, by=a.by, at=a.at)


class ActivityOut(BaseModel):
    id: int
    at: float
    actor: str
    action: str
    field: str
    old: str
    new: str
    detail: str

    @classmethod
    def of(cls, a: Activity) -> ActivityOut:
        return cls(**vars(a))


class TicketDetailOut(TicketOut):
    comments: list[CommentOut]
    attachments: list[AttachmentOut]
    activity: list[ActivityOut]

    @classmethod
    def of_detail(cls, d: TicketDetail) -> TicketDetailOut:
        base = TicketOut.of(d.ticket).model_dump()
        return cls(**base, comments=[CommentOut.of(c) for c in d.comments],
                   attachments=[AttachmentOut.of(a) for a in d.attachments],
                   activity=[ActivityOut.of(a) for a in d.activity])


class TicketPage(BaseModel):
    items: list[TicketOut]
    total: int


class TicketIn(Strict):
    type: str = Field(min_length=1, max_length=MAX_NAME)
    title: str = Field(min_length=1, max_length=MAX_TITLE)
    description: str = Field(default="", max_length=MAX_TEXT)
    customer_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    number: str | None = Field(default=None, max_length=64)
    call_id: str | None = Field(default=None, min_length=1, max_length=128)
    voicemail_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    priority: Priority = "normal"
    assignee: str = Field(default="", max_length=64)
    group: str = Field(default="", max_length=MAX_NAME)
    due_at: float | None = Field(default=None, ge=0, le=MAX_TIME)
    fields: dict[str, Any] = {}


class TicketPatch(Strict):
    title: str | None = Field(default=None, min_length=1, max_length=MAX_TITLE)
    description: str | None = Field(default=None, max_length=MAX_TEXT)
    priority: Priority | None = None
    assignee: str | None = Field(default=None, max_length=64)
    group: str | None = Field(default=None, max_length=MAX_NAME)
    due_at: float | None = Field(default=None, ge=0, le=MAX_TIME)
    fields: dict[str, Any] | None = None


class TransitionIn(Strict):
    transition: str = Field(min_length=1, max_length=MAX_NAME)
    fields: dict[str, Any] | None = None
    assignee: str | None = Field(default=None, max_length=64)
    group: str | None = Field(default=None, max_length=MAX_NAME)
    comment: str | None = Field(default=None, max_length=MAX_TEXT)


class CommentIn(Strict):
    body: str = Field(min_length=1, max_length=MAX_TEXT)
    internal: bool = False


class CountOut(BaseModel):
    key: str
    total: int
    open: int
    breached: int


class AgentOut(BaseModel):
    key: str
    handled: int
    avg_handle_seconds: float


class KeyTotal(BaseModel):
    key: str
    total: int


class StatsOut(BaseModel):
    by_type: list[CountOut]
    by_state: list[CountOut]
    by_group: list[CountOut]
    by_agent: list[AgentOut]
    complaints_by_category: list[KeyTotal]
    complaints_by_period: list[KeyTotal]
