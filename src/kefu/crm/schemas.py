"""The CRM API's request and response bodies."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .records import MAX_NOTES, AuditEntry, ContactNote, Customer, FieldDef, ImportJob, TimelineEntry

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


Label = Literal["mobile", "work", "home", ""]
Email = Annotated[str, Field(max_length=254)]
Tag = Annotated[str, Field(max_length=200, description="trimmed; at most 64 characters")]
Birthday = Annotated[str, Field(max_length=10, description='YYYY-MM-DD, or "" for none')]
Address = Annotated[str, Field(max_length=500)]
FieldValues = Annotated[dict[str, Any], Field(description="custom field name → value, "
                                                          "checked against GET /crm/fields")]


class PhoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: Number
    label: Label = ""


class PhoneOut(BaseModel):
    number: str
    extension: str
    label: str


class CustomerIn(BaseModel):
    """A new customer: ``number`` (the main number, the desk's field) and/or ``numbers``;
    a name or a number at least."""

    model_config = ConfigDict(extra="forbid")
    number: Number | None = None
    name: Name = ""
    company: Name = ""
    tier: Tier = ""
    owner: Owner = ""
    notes: Notes = ""
    birthday: Birthday = ""
    address: Address = ""
    numbers: Annotated[list[PhoneIn], Field(max_length=20)] = []
    emails: Annotated[list[Email], Field(max_length=20)] = []
    tags: Annotated[list[Tag], Field(max_length=50)] = []
    fields: FieldValues = {}


class CustomerPatch(BaseModel):
    """The parts to change; a list given replaces the list, ``fields`` merge (null or ""
    clears one), ``number`` replaces the main number."""

    model_config = ConfigDict(extra="forbid")
    number: Number | None = None
    name: Name | None = None
    company: Name | None = None
    tier: Tier | None = None
    owner: Owner | None = None
    notes: Notes | None = None
    birthday: Birthday | None = None
    address: Address | None = None
    numbers: Annotated[list[PhoneIn], Field(max_length=20)] | None = None
    emails: Annotated[list[Email], Field(max_length=20)] | None = None
    tags: Annotated[list[Tag], Field(max_length=50)] | None = None
    fields: FieldValues | None = None


class CustomerOut(BaseModel):
    id: int
    number: str = Field(description="the main number (E.164 or an extension's digits)")
    numbers: list[str] = Field(description="every number, the main one first")
    phones: list[PhoneOut] = Field(description="every number with its extension and label")
    name: str
    company: str
    tier: str
    owner: str
    notes: str
    birthday: str | None
    address: str
    emails: list[str]
    tags: list[str]
    fields: dict[str, Any]
    created_at: float
    updated_at: float

    @classmethod
    def of(cls, c: Customer) -> CustomerOut:
        return cls(id=c.id, number=c.number, numbers=list(c.numbers),
                   phones=[PhoneOut(number=p.number, extension=p.extension, label=p.label)
                           for p in c.phones],
                   name=c.name, company=c.company, tier=c.tier, owner=c.owner, notes=c.notes,
                   birthday=c.birthday, address=c.address, emails=list(c.emails),
                   tags=list(c.tags), fields=dict(c.fields), created_at=c.created_at,
                   updated_at=c.updated_at)


class CustomerPage(BaseModel):
    items: list[CustomerOut]
    total: int = Field(description="how many match, over every page")


class FieldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$",
                               description="the values' key; cannot change once made")]
    label: Annotated[str, Field(min_length=1, max_length=128)]
    kind: Literal["text", "number", "date", "choice"]
    choices: Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=100)] = []
    required: bool = False
    position: Annotated[int, Field(ge=0, le=10000)] = 0


class FieldOut(BaseModel):
    id: int
    name: str
    label: str
    kind: str
    choices: list[str]
    required: bool
    position: int
    created_at: float

    @classmethod
    def of(cls, d: FieldDef) -> FieldOut:
        return cls(id=d.id, name=d.name, label=d.label, kind=d.kind, choices=list(d.choices),
                   required=d.required, position=d.position, created_at=d.created_at)


Reason = Literal["number", "email", "name"]


class DuplicateOut(BaseModel):
    customer: CustomerOut
    reasons: list[Reason]


class DuplicateGroupOut(BaseModel):
    customers: list[CustomerOut] = Field(description="oldest first")
    reasons: list[Reason]


class MergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    into: Annotated[int, Field(ge=1, le=2**31 - 1, description="the customer who stays")]
    merge: Annotated[list[Annotated[int, Field(ge=1, le=2**31 - 1)]],
                     Field(min_length=1, max_length=100, description="the customers who go")]


class AuditOut(BaseModel):
    id: int
    at: float
    username: str
    action: Literal["export", "import", "merge", "delete"]
    customer_id: int | None
    detail: dict[str, Any]

    @classmethod
    def of(cls, e: AuditEntry) -> AuditOut:
        return cls(id=e.id, at=e.at, username=e.username, action=e.action,  # type: ignore[arg-type]
                   customer_id=e.customer_id, detail=e.detail)


class ImportStarted(BaseModel):
    job_id: int


class RowErrorOut(BaseModel):
    row: int = Field(description="the file's line; the header is 1")
    column: str = Field(description="the column's header, or empty")
    message: str


class ImportOut(BaseModel):
    id: int
    state: Literal["running", "done", "failed"]
    filename: str
    username: str
    total: int
    done: int
    created: int
    updated: int
    failed: int
    errors: list[RowErrorOut]
    created_at: float
    finished_at: float | None

    @classmethod
    def of(cls, j: ImportJob) -> ImportOut:
        return cls(id=j.id, state=j.state, filename=j.filename,  # type: ignore[arg-type]
                   username=j.username, total=j.total, done=j.done, created=j.created,
                   updated=j.updated, failed=j.failed,
                   errors=[RowErrorOut(row=e.row, column=e.column, message=e.message)
                           for e in j.errors],
                   created_at=j.created_at, finished_at=j.finished_at)


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
