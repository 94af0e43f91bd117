"""Call detail records as a pure function of a call's events.

The event log is the single source of truth; a CDR is a projection that can be rebuilt at
any time, so this function must not look at anything but the events it is given.
"""

from __future__ import annotations

from typing import Any, Iterable

from kefu.bus import Event

from .errors import Invalid
from .records import Cdr

_MAX_PARTY = 255


def _text(value: Any, limit: int | None = None) -> str:
    text = "" if value is None else str(value)
    return text[:limit] if limit else text


def _num(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _int(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def cdr_from_events(events: Iterable[Event]) -> Cdr:
    """Build the CDR of one call from its events, in log order.

    The first ``call.started``/``call.answered``/``call.ended`` count (a repeat is noise),
    the last ``call.recording`` wins; before one, ``call.recording_started`` names the
    file; the last ``ivr.survey`` with a score is the call's survey score.  A call without ``call.ended`` is in progress: ``end_ts`` and ``disposition``
    are None.  Raises :class:`Invalid` without ``call.started`` or when the events
    belong to several calls.
    """
    started = answered = ended = recording = recording_started = None
    survey: int | None = None
    call_ids: set[str | None] = set()
    for ev in events:
        call_ids.add(ev.call_id)
        if ev.type == "call.started" and started is None:
            started = ev
        elif ev.type == "call.answered" and answered is None:
            answered = ev
        elif ev.type == "call.ended" and ended is None:
            ended = ev
        elif ev.type == "call.recording":
            recording = ev
        elif ev.type == "call.recording_started":
            recording_started = ev
        elif ev.type == "ivr.survey" and _int(ev.data.get("score")) is not None:
            survey = _int(ev.data.get("score"))
    if len(call_ids) > 1:
        raise Invalid(f"events of several calls: {sorted(map(str, call_ids))}")
    if started is None or not started.call_id:
        raise Invalid("no call.started event with a call_id")

    answer_ts = answered.ts if answered is not None else None
    end_ts = ended.ts if ended is not None else None
    duration = 0.0
    if answer_ts is not None and end_ts is not None:
        duration = round(max(0.0, end_ts - answer_ts), 6)
    end = ended.data if ended is not None else {}
    recorded = recording or recording_started
    rec = recorded.data if recorded is not None else {}
    return Cdr(
        call_id=started.call_id,
        caller=_text(started.data.get("caller"), _MAX_PARTY),
        callee=_text(started.data.get("callee"), _MAX_PARTY),
        caller_name=_text(started.data.get("caller_name")),
        start_ts=started.ts,
        answer_ts=answer_ts,
        end_ts=end_ts,
        duration=duration,
        disposition=_text(end.get("disposition")) or None,
        hangup_by=_text(end.get("hangup_by")) or None,
        sip_code=_int(end.get("sip_code")),
        recording_path=_text(rec.get("path")) or None,
        recording_duration=_num(rec.get("duration")),
        survey_score=survey,
    )
