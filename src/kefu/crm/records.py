"""What the CRM slice hands out: frozen dataclasses, the fixed choices, limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MAX_NOTES = 4000             # customer notes and contact notes, in characters
MAX_CALL_ID = 128
MAX_SUMMARY = 255            # a timeline entry's one line

# A call note's result: a CHECK constraint too (reports group by it, so a typo from some
# other client must not become a category of its own).  The note types and ways of
# handling are the site's (``[crm] note_types``).
CONTACT_RESULTS = ("resolved", "follow_up", "escalated", "other")
FIELD_KINDS = ("text", "number", "date", "choice")
# What a customer's timeline holds; chat and email are kept for the channels to come.
TIMELINE_KINDS = ("call", "note", "ticket", "voicemail", "survey", "followup", "chat", "email")
AUDIT_ACTIONS = ("export", "import", "merge", "delete")


@dataclass(frozen=True)
class Customer:
    """A person or company contact the contact centre knows."""

    id: int
    name: str
    company: str
    tier: str                     # "" or a tier the queues' ``tiers`` map to priority
    owner: str                    # the agent who owns the customer, or ""
    notes: str
    created_at: float
    updated_at: float
    numbers: tuple[str, ...] = ()          # E.164 (or an extension's digits); main first
    emails: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    birthday: str | None = None            # YYYY-MM-DD
    address: str = ""
    fields: dict[str, Any] = field(default_factory=dict)   # custom field name → value

    @property
    def number(self) -> str:
        """The main number ("" when the customer has none)."""
        return self.numbers[0] if self.numbers else ""


@dataclass(frozen=True)
class ContactNote:
    """One call note (通话摘要); never changed once written."""

    id: int
    customer_id: int
    call_id: str | None           # the call it was written after, if any
    agent: str                    # username of the writer
    type: str                     # one of the site's note types
    result: str                   # one of CONTACT_RESULTS
    notes: str
    created_at: float
    survey_score: int | None = None   # the call's post-call survey score (from its CDR)
    handling: str = ""            # 处理方式: one of the site's ways of handling, or ""
    queue: str = ""               # the call's queue, or ""


@dataclass(frozen=True)
class TimelineEntry:
    """One line of a customer's history.  ``ref`` names the thing (a call id, a ticket
    id…) so its page can be opened; ``data`` carries what the line shows (duration,
    disposition, a ticket's state change…)."""

    customer_id: int
    at: float
    kind: str                     # one of TIMELINE_KINDS
    ref: str
    agent: str = ""
    summary: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    id: int | None = None         # set once stored
