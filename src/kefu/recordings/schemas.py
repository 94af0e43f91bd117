"""The recordings API's request and response bodies."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from .inspectors import Inspector
from .records import AuditEntry, Recording


class RecordingOut(BaseModel):
    """One recorded segment: who, when, how long, where its file is kept and its hash."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    call_id: str
    segment: int
    journey: str
    caller: str
    callee: str
    started_at: float
    duration: float
    agent: str | None
    queue: str | None
    customer_id: int | None
    direction: str
    disposition: str | None
    policy: str
    tier: str
    codec: str
    size: int | None
    sha256: str | None
    state: str
    paused: list[tuple[float, float]]
    qa_score: float | None
    tags: list[str]

    @classmethod
    def of(cls, rec: Recording) -> RecordingOut:
        return cls.model_validate(rec)     # its fields by name; the file path is not sent


class RecordingPage(BaseModel):
    """A page; ``total`` counts the matches up to a cap, ``total_capped``: that many or
    more match (show "1,000+")."""
    items: list[RecordingOut]
    total: int
    total_capped: bool = False


class TagsIn(BaseModel):
    """The recording's tags, all of them (replacing what it had)."""
    tags: list[str]


class ScopeIn(BaseModel):
    """The queues whose agents' recordings the user may hear; empty: every queue."""
    queues: list[str]


class ScopeOut(BaseModel):
    username: str
    queues: list[str]


class TicketOut(BaseModel):
    """Signed URLs for an ``<audio>`` element and a download link (no bearer header
    needed), valid until ``expires`` (seconds since the epoch) for this recording only."""
    audio: str
    download: str
    expires: float


class PeaksOut(BaseModel):
    """The waveform: each channel's peak level in [0, 1] per span (left: the customer)."""
    duration: float
    left: list[float]
    right: list[float]


class AuditOut(BaseModel):
    id: int
    at: float
    username: str
    action: str
    recording_id: int | None
    address: str
    detail: str

    @classmethod
    def of(cls, e: AuditEntry) -> AuditOut:
        return cls(id=e.id, at=e.at, username=e.username, action=e.action,
                   recording_id=e.recording_id, address=e.address, detail=e.detail)


class InspectorIn(BaseModel):
    """An inspector's phone access: the digits keyed as their ID and their PIN."""

    code: str = Field(max_length=16, description="2-16 digits, unique")
    pin: str = Field(max_length=16, description="4-16 digits; kept only as an argon2 hash")


class InspectorOut(BaseModel):
    username: str
    code: str
    updated_at: float

    @classmethod
    def of(cls, i: Inspector) -> "InspectorOut":
        return cls(username=i.username, code=i.code, updated_at=i.updated_at)
