"""What the store hands out: frozen dataclasses, never ORM objects, so callers on other
threads (sippy's, the web thread pool) can keep them without touching a session."""

from __future__ import annotations

from dataclasses import dataclass

# kefu.calls.call.Disposition's values (the store does not import calls; a test keeps them equal)
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
    survey_score: int | None = None   # the caller's score in a survey flow (ivr.survey)
