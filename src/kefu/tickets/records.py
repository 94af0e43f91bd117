"""What the tickets slice hands out: frozen dataclasses, the fixed choices, limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kefu.store.errors import StoreError

PRIORITIES = ("low", "normal", "high", "urgent")         # sorted by rank: -priority sorts urgent first
STATE_KINDS = ("open", "waiting", "closed")
FIELD_KINDS = ("text", "number", "date", "choice")
TICKET_FIELDS = ("assignee", "group", "priority", "due_at", "comment")   # what ``required`` may name
ACTIONS = ("created", "transition", "assigned", "changed", "comment", "attachment",
           "sla_warning", "sla_breached", "escalated", "state_mapped")
SLA_STATES = ("running", "paused", "met", "warning", "breached", "none")
CLOCKS = ("first_response", "resolution")
SORTS = ("created_at", "-created_at", "due", "-priority")

MAX_TITLE = 200
MAX_TEXT = 10_000            # a description, a comment, a text field's value
MAX_NAME = 64                # type, state, transition, field names; group (a queue name)
MAX_LABEL = 128
MAX_TYPE_FIELDS = 50
MAX_STATES = 50


class Denied(StoreError):
    """The caller may not do this (a 403 with the reason)."""


@dataclass(frozen=True)
class Sla:
    """A ticket type's service levels: minutes of business time on ``calendar``."""

    first_response: int | None = None
    resolution: int | None = None
    calendar: str = ""                    # a [calendars.<name>]; "": around the clock
    warn_before: int = 30
    escalate_to_group: str = ""
    notify_supervisors: bool = False


@dataclass(frozen=True)
class TypeField:
    name: str
    label_zh: str
    label_en: str
    kind: str
    choices: tuple[str, ...] = ()
    required: bool = False


@dataclass(frozen=True)
class TicketType:
    id: int
    name: str
    label_zh: str
    label_en: str
    workflow: dict[str, Any]              # as checked by kefu.tickets.workflow
    version: int
    sla: Sla
    fields: tuple[TypeField, ...]
    active: bool


@dataclass(frozen=True)
class Clock:
    """One SLA clock of one ticket as seen at some moment."""

    due_at: float | None
    state: str                            # one of SLA_STATES


@dataclass(frozen=True)
class Transition:
    name: str
    label_zh: str
    label_en: str
    to: str
    required: tuple[str, ...]


@dataclass(frozen=True)
class Ticket:
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
    priority: str
    assignee: str
    group: str
    created_by: str
    created_at: float
    updated_at: float
    due_at: float | None
    sla: dict[str, Clock]
    fields: dict[str, Any]
    transitions: tuple[Transition, ...]   # the ones the asking user may take now


@dataclass(frozen=True)
class Comment:
    id: int
    author: str
    body: str
    internal: bool
    at: float


@dataclass(frozen=True)
class Attachment:
    id: int
    name: str
    mime: str
    size: int
    by: str
    at: float
    path: str = field(default="", repr=False)     # the stored file's name under <data_dir>/tickets


@dataclass(frozen=True)
class Activity:
    id: int
    at: float
    actor: str
    action: str
    field: str
    old: str
    new: str
    detail: str


@dataclass(frozen=True)
class TicketDetail:
    ticket: Ticket
    comments: tuple[Comment, ...]
    attachments: tuple[Attachment, ...]
    activity: tuple[Activity, ...]
