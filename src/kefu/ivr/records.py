"""What the IVR slice hands out: frozen dataclasses, the states its rows move through, and
its limits."""

from __future__ import annotations

from dataclasses import dataclass

from .flow import Flow

MAX_SOURCE = 256 * 1024       # a flow's YAML/JSON text, in characters
MAX_DESCRIPTION = 500
MAX_AUTHOR = 64

# A flow version's life: the admin's one draft becomes the published version, which is
# retired (kept, never changed again) when another is published.  A rollback publishes a
# copy of an earlier version under a new number, so a number always names one text.
DRAFT, PUBLISHED, RETIRED = "draft", "published", "retired"
VERSION_STATUSES = (DRAFT, PUBLISHED, RETIRED)
VERSION_MOVES: dict[str, tuple[str, ...]] = {DRAFT: (PUBLISHED,), PUBLISHED: (RETIRED,),
                                             RETIRED: ()}


@dataclass(frozen=True)
class FlowVersion:
    """One version of a flow's text, exactly as the admin wrote it (YAML or JSON)."""

    flow: str
    number: int
    status: str                   # one of VERSION_STATUSES
    source: str
    author: str                   # username of who saved (or rolled back to) it
    based_on: int | None          # rollback: the version this one copies
    created_at: float
    updated_at: float
    published_at: float | None
    retired_at: float | None


@dataclass(frozen=True)
class FlowInfo:
    """A flow (流程) and where its versions stand."""

    id: int
    name: str
    description: str
    published: int | None         # the version new calls get
    draft: int | None             # the version being edited
    created_at: float
    updated_at: float


@dataclass(frozen=True)
class PublishedFlow:
    """What a new call takes: the parsed flow and its version number, which the call keeps
    however often the flow is published while it runs."""

    name: str
    version: int
    flow: Flow


MAX_FIELDS = 50               # fields in one collected record
MAX_FIELD_VALUE = 1000        # characters of one field's value
MAX_PAGE = 500                # collected records per page
MAX_EXPORT = 100_000          # collected records in one CSV export


@dataclass(frozen=True)
class CollectedRecord:
    """What a flow's ``store`` node saved: the caller's answers with the call and caller."""

    id: int
    call_id: str
    caller: str
    flow: str
    version: int                  # the flow version the call was in
    node: str
    record: str                   # the node's ``record``: what is stored (order, rating …)
    fields: dict[str, str]
    created_at: float


@dataclass(frozen=True)
class Page:
    """One page of a list and how many match in all."""

    items: list[CollectedRecord]
    total: int


MAILBOX_KINDS = ("extension", "queue", "flow")
PIN_DIGITS = (4, 12)          # a mailbox PIN's length, digits only
MAX_EMAIL = 254

# A voicemail message: new until heard (saved) or deleted; a deleted one stays deleted
# (its file goes with a later purge).  ``done`` is apart: the follow-up an agent marks.
NEW, SAVED, DELETED = "new", "saved", "deleted"
MESSAGE_STATUSES = (NEW, SAVED, DELETED)
MESSAGE_MOVES: dict[str, tuple[str, ...]] = {NEW: (SAVED, DELETED), SAVED: (DELETED,),
                                             DELETED: ()}


@dataclass(frozen=True)
class Mailbox:
    """A voicemail box (语音信箱) of an extension, a queue or a flow; the PIN is kept only
    as an argon2 hash and never handed out."""

    id: int
    kind: str                     # one of MAILBOX_KINDS
    owner: str                    # the extension number, queue name or flow name
    email: str                    # where new messages are sent, or ""
    created_at: float
    updated_at: float


@dataclass(frozen=True)
class Message:
    """A voicemail message and its follow-up."""

    id: int
    mailbox_id: int
    call_id: str
    caller: str
    created_at: float
    duration: float               # seconds
    path: str                     # the WAV file, relative to the voicemail directory
    status: str                   # one of MESSAGE_STATUSES
    done: bool                    # the follow-up is done
    done_by: str | None
    done_at: float | None


LANGUAGES = ("zh", "en")
MAX_UPLOAD = 20 * 1024 * 1024  # bytes of one uploaded prompt
PROMPT_NAME = r"[A-Za-z0-9_][A-Za-z0-9_-]{0,63}"


@dataclass(frozen=True)
class StoredPrompt:
    """An uploaded prompt, converted to 8 kHz mono WAV (what a flow's ``file:`` names)."""

    id: int
    name: str
    language: str                 # one of LANGUAGES
    file: str                     # relative to the prompt directory
    duration: float               # seconds
    uploaded_by: str
    created_at: float
    updated_at: float
