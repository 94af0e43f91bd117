"""The IVR API's request and response bodies."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from .records import (MAX_DESCRIPTION, CollectedRecord, FlowInfo, FlowVersion, Mailbox,
                      Message, StoredPrompt)

# The same choices as kefu.ivr.service's tuples (a test keeps them equal); spelt out so
# OpenAPI shows them as enums.
VersionStatus = Literal["draft", "published", "retired"]
MessageStatus = Literal["new", "saved", "deleted"]
MailboxKind = Literal["extension", "queue", "flow"]
Language = Literal["zh", "en"]
FlowName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=64)]
Description = Annotated[str, Field(max_length=MAX_DESCRIPTION)]


class FlowIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: FlowName
    description: Description = ""


class FlowPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: Description


class FlowOut(BaseModel):
    name: str
    description: str
    published: int | None = Field(description="the version new calls get")
    draft: int | None = Field(description="the version being edited")
    created_at: float
    updated_at: float

    @classmethod
    def of(cls, f: FlowInfo) -> FlowOut:
        return cls(name=f.name, description=f.description, published=f.published,
                   draft=f.draft, created_at=f.created_at, updated_at=f.updated_at)


class VersionOut(BaseModel):
    flow: str
    number: int
    status: VersionStatus
    source: str = Field(description="the YAML or JSON text as written")
    author: str
    based_on: int | None = Field(description="a rollback: the version it copies")
    created_at: float
    updated_at: float
    published_at: float | None
    retired_at: float | None

    @classmethod
    def of(cls, v: FlowVersion) -> VersionOut:
        return cls(flow=v.flow, number=v.number, status=v.status,  # type: ignore[arg-type]
                   source=v.source, author=v.author, based_on=v.based_on,
                   created_at=v.created_at, updated_at=v.updated_at,
                   published_at=v.published_at, retired_at=v.retired_at)


class FlowDetail(FlowOut):
    versions: list[VersionOut] = Field(description="newest number first")


class ProblemsOut(BaseModel):
    """The flow check's verdict: each problem names its node; none means publishable."""

    valid: bool
    problems: list[str]

    @classmethod
    def of(cls, problems: list[str]) -> ProblemsOut:
        return cls(valid=not problems, problems=problems)


class DraftOut(BaseModel):
    version: VersionOut
    check: ProblemsOut


class CollectedOut(BaseModel):
    id: int
    call_id: str
    caller: str
    flow: str
    version: int
    node: str
    record: str
    fields: dict[str, str]
    created_at: float

    @classmethod
    def of(cls, r: CollectedRecord) -> CollectedOut:
        return cls(id=r.id, call_id=r.call_id, caller=r.caller, flow=r.flow,
                   version=r.version, node=r.node, record=r.record, fields=r.fields,
                   created_at=r.created_at)


class CollectedPage(BaseModel):
    items: list[CollectedOut]
    total: int = Field(description="how many records match the filters")


class PromptOut(BaseModel):
    name: str
    language: Language
    duration: float
    uploaded_by: str
    created_at: float
    updated_at: float

    @classmethod
    def of(cls, p: StoredPrompt) -> PromptOut:
        return cls(name=p.name, language=p.language,  # type: ignore[arg-type]
                   duration=p.duration, uploaded_by=p.uploaded_by,
                   created_at=p.created_at, updated_at=p.updated_at)


class MailboxIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: MailboxKind
    owner: str = Field(min_length=1, max_length=64,
                       description="the extension number, queue name or flow name")
    pin: str = Field(pattern=r"^[0-9]{4,12}$", description="4 to 12 digits")
    email: str = Field("", max_length=254)


class MailboxOut(BaseModel):
    id: int
    kind: MailboxKind
    owner: str
    email: str
    created_at: float
    updated_at: float

    @classmethod
    def of(cls, m: Mailbox) -> MailboxOut:
        return cls(id=m.id, kind=m.kind, owner=m.owner,  # type: ignore[arg-type]
                   email=m.email, created_at=m.created_at, updated_at=m.updated_at)


class MessageOut(BaseModel):
    id: int
    mailbox_id: int
    call_id: str
    caller: str
    created_at: float
    duration: float
    status: MessageStatus
    done: bool = Field(description="the follow-up is done")
    done_by: str | None
    done_at: float | None

    @classmethod
    def of(cls, m: Message) -> MessageOut:
        return cls(id=m.id, mailbox_id=m.mailbox_id, call_id=m.call_id, caller=m.caller,
                   created_at=m.created_at, duration=m.duration,
                   status=m.status,  # type: ignore[arg-type]
                   done=m.done, done_by=m.done_by, done_at=m.done_at)


class MessageStatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: MessageStatus
