"""What the recordings slice hands out: frozen dataclasses and the choice lists its tables,
API and screens share (one rule in one place)."""

from __future__ import annotations

from dataclasses import dataclass, field

DIRECTIONS = ("inbound", "outbound", "internal")
TIERS = ("live", "archive")
STATES = ("recording", "done", "interrupted", "deleted")
"""recording: the file is being written; done: closed (compressed if the site asks);
interrupted: cut off by a crash, repaired at the next start; deleted: removed by
retention (the row stays so the audit trail keeps its subject)."""
CODECS = ("wav", "flac", "opus")
AUDIT_ACTIONS = ("play", "download", "phone_play", "archive", "delete", "export")
SORTS = ("started_at", "duration", "agent", "caller", "qa_score")

MAX_TAG = 32
MAX_TAGS = 16


@dataclass(frozen=True)
class Recording:
    """One recorded segment of a call.  A call transferred or consulted has several, in
    ``segment`` order; ``journey`` is the customer's call they all belong to (the call's
    own id when it is the customer's)."""

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
    path: str
    codec: str
    size: int | None
    sha256: str | None
    state: str
    paused: tuple[tuple[float, float], ...] = ()
    """(start, end) seconds into the file that are silence by pause."""
    qa_score: float | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class AuditEntry:
    """Who did what to which recording, when and from where."""

    id: int
    at: float
    username: str
    action: str
    recording_id: int | None
    address: str
    detail: str = ""


@dataclass(frozen=True)
class Search:
    """A search's filters; None (or empty) means any."""

    agent: str | None = None
    number: str | None = None          # caller or callee, a prefix
    since: float | None = None
    until: float | None = None
    queue: str | None = None
    customer_id: int | None = None
    min_duration: float | None = None
    max_duration: float | None = None
    disposition: str | None = None
    min_score: float | None = None
    max_score: float | None = None
    tags: tuple[str, ...] = ()         # every one of them
    call_id: str | None = None
    agents: tuple[str, ...] | None = None   # the caller's access: only these agents (None: all)


@dataclass(frozen=True)
class Page:
    items: list[Recording] = field(default_factory=list)
    total: int = 0
    capped: bool = False      # total is the count's cap: that many or more match
