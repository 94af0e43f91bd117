"""Close at start the calls a crash left open.

A call whose events stop without ``call.ended`` was cut off when kefu died (``kill -9``,
a power cut): nothing will ever end it, so it has no CDR.  Before SIP takes calls again,
each such call gets the events a normal end would have logged, ``call.recording`` (its
file repaired and measured) and ``call.ended`` with disposition ``interrupted``, and its
CDR is derived from them like any other: the event log stays the one source of truth.

:func:`unfinished` decides from a call's events alone whether and how it ends (pure);
:func:`reconcile` does the I/O around it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable, Sequence

from kefu.bus import Event

from .service import Store

log = logging.getLogger(__name__)

# calls.call.Disposition.INTERRUPTED's value (the store does not import calls)
INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class Unfinished:
    """A call cut off by a crash: when it was last heard of, and the recording it was
    writing (path and when it started), if one was still open."""

    call_id: str
    last_ts: float
    recording: str | None = None
    recording_ts: float = 0.0

    def closing(self, recorded: float | None) -> list[Event]:
        """The events that end it.  ``recorded``: the seconds its recording holds (None:
        none readable).  It ended at its last event or when its recording stops,
        whichever is later (the recording runs on between events)."""
        end, events = self.last_ts, []
        if self.recording is not None and recorded is not None:
            end = max(end, self.recording_ts + recorded)
            events.append(Event("call.recording", self.call_id,
                                {"path": self.recording, "duration": round(recorded, 3)},
                                ts=end))
        events.append(Event("call.ended", self.call_id, {"disposition": INTERRUPTED,
                                                         "hangup_by": "system",
                                                         "sip_code": None}, ts=end))
        return events


def unfinished(events: Sequence[Event]) -> Unfinished | None:
    """The call these events (one call's, in log order) describe if they stop without
    ``call.ended``; None if it ended or never started."""
    if not events or any(e.type == "call.ended" for e in events):
        return None
    if not any(e.type == "call.started" and e.call_id for e in events):
        return None
    recording: Event | None = None
    for e in events:
        if e.type == "call.recording_started" and e.data.get("path"):
            recording = e
        elif e.type == "call.recording":   # closed and measured before the crash
            recording = None
    return Unfinished(call_id=str(events[0].call_id), last_ts=max(e.ts for e in events),
                      recording=str(recording.data["path"]) if recording else None,
                      recording_ts=recording.ts if recording else 0.0)


def reconcile(store: Store, recorded: Callable[[str], float | None]) -> int:
    """Close every call a crash left open and derive the missing CDRs; how many calls were
    closed.  ``recorded(path)`` repairs a recording's header if need be and returns the
    seconds it holds (None if unreadable).  Run before anything takes calls."""
    closed = 0
    for call_id in store.calls_without_cdr():
        try:
            call = unfinished(store.events_for_call(call_id))
            if call is not None:
                seconds = recorded(call.recording) if call.recording else None
                if call.recording and seconds is None:
                    log.warning("call %s: recording %s is missing or unreadable", call_id,
                                call.recording)
                store.append_events(call.closing(seconds))
                closed += 1
            store.derive_cdr(call_id)
        except Exception:
            log.exception("could not close call %s after a restart", call_id)
    if closed:
        log.warning("%d call(s) cut off by the last stop closed as %s", closed, INTERRUPTED)
    return closed
