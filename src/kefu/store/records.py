"""What the store hands out: frozen dataclasses, never ORM objects, so callers on other
threads (sippy's, the web thread pool) can keep them without touching a session."""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("admin", "supervisor", "agent", "qa")
# kefu.cti.call.Disposition's values (the store does not import cti; a test keeps them equal)
DISPOSITIONS = ("answered", "abandoned", "callback", "busy", "no_answer", "cancelled", "not_found",
                "unavailable", "failed", "interrupted")
HANGUP_BY = ("caller", "callee", "system")


@dataclass(frozen=True)
class Extension:
    """A SIP extension: only digest HA1s are kept, never the password."""

    number: str
    display_name: str
    ha1_md5: str
    ha1_sha256: str
    enabled: bool
    realm: str = ""
    created_at: float = 0.0
    updated_at: float = 0.0


@dataclass(frozen=True)
class User:
    """A person who logs in to the web API."""

    id: int
    username: str
    display_name: str
    role: str
    created_at: float


@dataclass(frozen=True)
class Cdr:
    """One call's record, derived from its events.  Times are epoch seconds."""

    call_id: str
    caller: str
    callee: str
    caller_name: str
    start_ts: float
    answer_ts: float | None
    end_ts: float | None          # None while the call is in progress
    duration: float               # talk time: end - answer, 0 if never answered
    disposition: str | None       # one of DISPOSITIONS; None while in progress
    hangup_by: str | None
    sip_code: int | None
    recording_path: str | None
    recording_duration: float | None

# The wrap-up form's choices.  Both are CHECK constraints too: reports group by them, so a
# typo from some other client must not become a category of its own.
CONTACT_TYPES = ("inquiry", "complaint", "suggestion", "other")
CONTACT_RESULTS = ("resolved", "follow_up", "escalated", "other")


@dataclass(frozen=True)
class Customer:
    """A caller the contact centre knows, keyed by phone number (the screen pop's key)."""

    id: int
    number: str
    name: str
    company: str
    tier: str                     # "" or a tier the queues' ``tiers`` map to priority
    owner: str                    # the agent who owns the customer, or ""
    notes: str
    created_at: float
    updated_at: float


@dataclass(frozen=True)
class ContactNote:
    """One entry of a customer's contact history; never changed once written."""

    id: int
    customer_id: int
    call_id: str | None           # the call it was written after, if any
    agent: str                    # username of the writer
    type: str                     # one of CONTACT_TYPES
    result: str                   # one of CONTACT_RESULTS
    notes: str
    created_at: float


@dataclass(frozen=True)
class Announcement:
    """A notice (公告) from staff to agents, as seen by one reader.

    ``acked`` is whether that reader acknowledged it; ``acks`` how many users did, given
    to staff only (None for agents, who need not know who else has read it).
    """

    id: int
    title: str
    body: str
    author: str
    audience: tuple[str, ...]     # usernames named when posting
    created_at: float
    acked: bool = False
    acks: int | None = None
    groups: tuple[str, ...] = ()  # queue names (技能组) named when posting
    # who it reaches: the audience plus the groups' members when posted; empty = every agent
    recipients: tuple[str, ...] = ()
