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
NUMBER_LABELS = ("mobile", "work", "home", "")
IMPORT_STATES = ("running", "done", "failed")


@dataclass(frozen=True)
class CustomerPhone:
    """One of a customer's numbers as kept: the one spelling, its extension, its label."""

    number: str
    extension: str = ""
    label: str = ""               # one of NUMBER_LABELS


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
    phones: tuple[CustomerPhone, ...] = ()  # numbers with extension and label; main first

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


@dataclass(frozen=True)
class FieldDef:
    """A custom field an admin defined; customers' values are checked against it."""

    id: int
    name: str                     # the key in Customer.fields, [a-z][a-z0-9_]*
    label: str
    kind: str                     # one of FIELD_KINDS
    choices: tuple[str, ...]      # kind "choice" only
    required: bool
    position: int
    created_at: float


@dataclass(frozen=True)
class AuditEntry:
    """Who exported, imported, merged or deleted customers."""

    id: int
    at: float
    username: str
    action: str                   # one of AUDIT_ACTIONS
    customer_id: int | None
    detail: dict[str, Any]


@dataclass(frozen=True)
class Duplicate:
    """A customer who may be the same person as another, and why."""

    customer: Customer
    reasons: tuple[str, ...]      # "number", "email", "name"


@dataclass(frozen=True)
class RowError:
    """Why one row of an import file was skipped (``row``: its line, the header is 1)."""

    row: int
    column: str
    message: str


@dataclass(frozen=True)
class ImportJob:
    """An import's progress, as the progress bar reads it."""

    id: int
    username: str
    filename: str
    state: str                    # one of IMPORT_STATES
    total: int
    done: int
    created: int
    updated: int
    failed: int
    errors: tuple[RowError, ...]
    created_at: float
    finished_at: float | None
