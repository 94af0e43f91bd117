"""What the CRM slice hands out: frozen dataclasses, the wrap-up form's choices, limits."""

from __future__ import annotations

from dataclasses import dataclass

MAX_NOTES = 4000             # customer notes and contact notes, in characters
MAX_CALL_ID = 128

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
    survey_score: int | None = None   # the call's post-call survey score (from its CDR)
