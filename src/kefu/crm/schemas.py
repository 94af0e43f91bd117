"""The CRM API's request and response bodies."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .records import MAX_NOTES, ContactNote, Customer, TimelineEntry

Number = Annotated[str, Field(min_length=1, max_length=64,
                              description="a phone number in any spelling (+86 138 0013 8000, "
                              "013800138000, 010-6552 9988 ext. 12, an extension); kept in "
                              "E.164 (kefu.crm.phones)")]
Name = Annotated[str, Field(max_length=128)]
Tier = Annotated[str, Field(max_length=32, description='"" or a queue tier, e.g. "gold"')]
Owner = Annotated[str, Field(max_length=64, description='owning agent\'s username, or ""')]
Notes = Annotated[str, Field(max_length=MAX_NOTES)]
# The same choices as kefu.crm.service.CONTACT_RESULTS (a test keeps them equal); spelt out
# so OpenAPI shows them as an enum.  Note types and handlings are the site's (GET /choices).
NoteType = Annotated[str, Field(min_length=1, max_length=32,
                                description="one of the site's note types (GET /choices)")]
Handling = Annotated[str, Field(max_length=64, description="处理方式: one of the site's "
                                "handlings (GET /choices), or empty")]
NoteResult = Literal["resolved", "follow_up", "escalated", "other"]


class CustomerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: Number
    name: Name = ""
    company: Name = ""
    tier: Tier = ""
    owner: Owner = ""
    notes: Notes = ""


class CustomerPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: Number | None = None
    name: Name | None = None
    company: Name | None = None
    tier: Tier | None = None
    owner: Owner | None = None
    notes: Notes | None = None


class CustomerOut(BaseModel):
    id: int
    number: str = Field(description="the main number (E.164 or an extension's digits)")
    numbers: list[str] = Field(description="every number, the main one first")
    name: str
    company: str
    tier: str
    owner: str
    notes: str
    created_at: float
    updated_at: float

    @classmethod
    def of(cls, c: Customer) -> CustomerOut:
        return cls(id=c.id, number=c.number, numbers=list(c.numbers), name=c.name, company=c.company, tier=c.tier,
                   owner=c.owner, notes=c.notes, created_at=c.created_at,
                   updated_at=c.updated_at)


class NoteOut(BaseModel):
    id: int
    customer_id: int
    call_id: str | None
    agent: str
    type: str
    result: str
    handling: str
    queue: str
    notes: str
    created_at: float
    survey_score: int | None = Field(None, description="the caller's score in the call's "
                                                       "post-call survey (1-5), if any")

    @classmethod
    def of(cls, n: ContactNote) -> NoteOut:
        return cls(id=n.id, customer_id=n.customer_id, call_id=n.call_id, agent=n.agent,
                   type=n.type, result=n.result, handling=n.handling, queue=n.queue,
                   notes=n.notes, created_at=n.created_at,
                   survey_score=n.survey_score)


class CallNoteIn(BaseModel):
    """The wrap-up form: who called, what it was about, how it ended."""

    model_config = ConfigDict(extra="forbid")
    number: Number
    type: NoteType
    result: NoteResult
    notes: Notes = ""
    handling: Handling = ""
    queue: Annotated[str, Field(max_length=64, description="the call's queue, when the desk "
                                "knows it")] = ""
    name: Name | None = Field(None, description="the customer's name, used only when the "
                                                "number is new")


class CallNoteOut(BaseModel):
    note: NoteOut
    customer: CustomerOut
    customer_created: bool


# --- the one history and note statistics (desk) ---------------------------------------------
class TimelineItem(BaseModel):
    id: int
    at: float
    kind: str = Field(description="call, note, ticket, voicemail, survey, followup, chat, email")
    ref: str = Field(description="what the line names: a call id, a note's, ticket's or "
                                 "voicemail message's id")
    agent: str
    summary: str
    data: dict[str, Any] = Field(description="what the line shows, by kind (a call: "
                                             "direction, agent, queue, duration, disposition, "
                                             "call_id, survey_score when the caller gave one; "
                                             "a survey: score)")
    recording_id: int | None = Field(None, description="a call line's recording, only when "
                                                       "the viewer may play it")

    @classmethod
    def of(cls, e: TimelineEntry, recording_id: int | None = None,
           survey_score: int | None = None) -> TimelineItem:
        """``survey_score``: a call line's score (its CDR's), added to its data."""
        data = e.data if survey_score is None else {**e.data, "survey_score": survey_score}
        return cls(id=e.id or 0, at=e.at, kind=e.kind, ref=e.ref, agent=e.agent,
                   summary=e.summary, data=data, recording_id=recording_id)


class TimelineCursor(BaseModel):
    before_at: float
    before_id: int


class TimelinePage(BaseModel):
    items: list[TimelineItem]
    next: TimelineCursor | None = Field(description="the next (older) page's cursor; null "
                                                    "on the last page")


class NoteStatOut(BaseModel):
    key: str = Field(description="the type, agent, queue, or the local day (2026-12-03), "
                                 "week (its Monday) or month (2026-12)")
    total: int
    types: dict[str, int] = Field(description="note type → how many")
