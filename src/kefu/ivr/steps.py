"""What the flow interpreter (:mod:`kefu.ivr.engine`) is told and what it asks for.

Events come from the caller and the telephony adapter; actions go to the adapter. Plain
frozen dataclasses: the engine does no I/O, so a test drives it with these alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# ---- events in --------------------------------------------------------------


@dataclass(frozen=True)
class Digit:
    key: str


@dataclass(frozen=True)
class Timeout:
    timer: int  # the id of the StartTimer that ran out; an older one is ignored


@dataclass(frozen=True)
class PromptDone:
    play: int  # the id of the Play that finished; a stopped one's late report is ignored


@dataclass(frozen=True)
class LookupResult:
    values: Mapping[str, Any]


@dataclass(frozen=True)
class LookupFailed:
    reason: str  # "timeout", "connection refused", "HTTP 500" …


@dataclass(frozen=True)
class Finished:
    """The adapter's long action is over (the voicemail message is recorded)."""


@dataclass(frozen=True)
class Refused:
    """The queue or transfer target would not take the call."""

    reason: str


@dataclass(frozen=True)
class CallerHungUp:
    pass


@dataclass(frozen=True)
class Heard:
    """What the caller said while a :class:`Listen` ran: one of its phrases, or None when
    nothing of the grammar was heard."""

    listen: int
    phrase: str | None


Event = (Digit | Timeout | PromptDone | LookupResult | LookupFailed | Finished | Refused
         | CallerHungUp | Heard)

# ---- actions out ------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One thing to play: a prompt file, text to speak, recorded prompts in a row, or a
    file on disk as it is (``path``: a voicemail message)."""

    file: str | None = None
    text: str | None = None
    prompts: tuple[str, ...] = ()
    lang: str = "zh"
    path: str | None = None


@dataclass(frozen=True)
class Play:
    id: int
    items: tuple[Item, ...]
    barge_in: bool  # a digit may stop it


@dataclass(frozen=True)
class StopPlayback:
    id: int


@dataclass(frozen=True)
class Listen:
    """Speech input: hear the caller's utterances against a grammar of ``phrases`` until
    :class:`StopListening`."""

    id: int
    phrases: tuple[str, ...]
    lang: str


@dataclass(frozen=True)
class StopListening:
    id: int


@dataclass(frozen=True)
class StartTimer:
    id: int
    seconds: float


@dataclass(frozen=True)
class CancelTimer:
    id: int


@dataclass(frozen=True)
class DoLookup:
    node: str
    kind: str  # "sql" or "http"
    target: str  # SQLAlchemy URL (or "kefu") / HTTP URL
    query: str | None  # SQL text; None for HTTP
    method: str | None  # GET/POST; None for SQL
    params: Mapping[str, str]
    timeout: float


@dataclass(frozen=True)
class StoreRecord:
    node: str
    record: str
    fields: Mapping[str, str]


@dataclass(frozen=True)
class RecordVoicemail:
    mailbox: str
    max_seconds: int


@dataclass(frozen=True)
class Enqueue:
    queue: str
    priority: int
    min_level: int                      # offered only to members at this skill level or above
    data: Mapping[str, str]


@dataclass(frozen=True)
class TransferTo:
    target: str


@dataclass(frozen=True)
class ReturnToAgent:
    """An agent sent the caller here; the flow ended: back to that agent with the results."""

    variables: Mapping[str, str]


@dataclass(frozen=True)
class Hangup:
    reason: str


@dataclass(frozen=True)
class Emit:
    """An ``ivr.*`` event for ``call_events``."""

    type: str
    data: Mapping[str, Any] = field(default_factory=dict)


Action = (Play | StopPlayback | StartTimer | CancelTimer | DoLookup | StoreRecord
          | RecordVoicemail | Enqueue | TransferTo | ReturnToAgent | Hangup | Emit
          | Listen | StopListening)
