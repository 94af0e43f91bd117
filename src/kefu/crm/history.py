"""A customer's one history: the timeline lines of calls, survey scores and voicemails,
written from the event log.

:func:`call_line` is the rule (pure: a call's events in, who the outside party is and what
its line says out); :class:`CallHistory` runs it when the event log has written a call's
end, a survey score or a voicemail (``EventLog.after_write``, on the event log's thread),
and once at start (:meth:`CallHistory.sync`) for the calls that ended while kefu was down.
Notes write their own lines (:meth:`Crm.add_call_note`).

Every line names its thing in ``ref`` (a call id, a voicemail message id), and a line is
written once per customer and ``(kind, ref)``: an event handled twice, or a call both
seen live and at the next start, leaves one line.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

from kefu.bus import Event

from .records import TimelineEntry
from .service import Crm

log = logging.getLogger(__name__)

TRIGGERS = ("call.ended", "ivr.survey", "ivr.voicemail")


def _never(_number: str) -> bool:
    return False


@dataclass(frozen=True)
class CallLine:
    """What a call's line says and whose it is: ``number`` is the outside party's."""

    number: str
    at: float
    data: dict[str, Any]


def call_line(events: Sequence[Event], local: Callable[[str], bool] = _never) -> CallLine | None:
    """The line of one ended call from its events in log order, or None (no start or end,
    or an internal call: no customer's).  ``local(number)``: the number is one of kefu's
    extensions.  Inbound: from a trunk, a number that is not local, or through a queue (an
    extension calling the help desk is a customer too): the caller is the customer;
    outbound: answered by a number that is not local (the callee is)."""
    started = next((e for e in events if e.type == "call.started"), None)
    ended = next((e for e in events if e.type == "call.ended"), None)
    if started is None or ended is None:
        return None
    answered = next((e for e in events if e.type == "call.answered"), None)
    connect = next((e for e in reversed(events) if e.type == "queue.connect"), None)
    entered = next((e for e in events if e.type == "queue.entered"), None)
    caller = str(started.data.get("caller") or "")
    callee = str(started.data.get("callee") or "")
    answerer = str(answered.data.get("callee") or "") if answered is not None else ""
    if started.data.get("trunk") or caller and (not local(caller) or entered is not None):
        direction, theirs, agent = "inbound", caller, answerer if local(answerer) else ""
    elif (answerer or callee) and not local(answerer or callee):
        direction, theirs, agent = "outbound", answerer or callee, caller
    else:
        return None
    if connect is not None:
        agent = str(connect.data.get("agent") or agent)
    queued = connect or entered
    queue = str(queued.data.get("queue") or "") if queued is not None else ""
    duration = round(max(0.0, ended.ts - answered.ts), 1) if answered is not None else 0.0
    return CallLine(number=theirs, at=started.ts, data={
        "direction": direction, "agent": agent, "queue": queue, "duration": duration,
        "disposition": str(ended.data.get("disposition") or ""), "call_id": started.call_id})


class CallHistory:
    """Keeps the customers' timelines in step with the event log.

    ``events(call_id)``: a call's logged events; ``ended_since(ts)``: the ids of the calls
    that ended at or after ``ts`` (both from the store); ``local`` as :func:`call_line`."""

    def __init__(self, crm: Crm, events: Callable[[str], list[Event]],
                 ended_since: Callable[[float], Iterable[str]] = lambda _ts: (),
                 local: Callable[[str], bool] = _never) -> None:
        self.crm = crm
        self.events = events
        self.ended_since = ended_since
        self.local = local

    def on_event(self, event: Event) -> None:
        """``EventLog.after_write``: a call ended, a survey scored or a voicemail taken."""
        if event.type not in TRIGGERS or not event.call_id:
            return
        if event.type == "call.ended":
            self.call(event.call_id)
        elif event.type == "ivr.survey" and event.data.get("score") is not None:
            self._write(event.call_id, "survey", event.call_id, event.ts,
                        {"score": event.data["score"], "call_id": event.call_id})
        elif event.type == "ivr.voicemail" and event.data.get("message_id") is not None:
            self._write(event.call_id, "voicemail", str(event.data["message_id"]), event.ts,
                        {"message_id": event.data["message_id"],
                         "mailbox": event.data.get("mailbox"), "call_id": event.call_id})

    def replay(self, call_id: str) -> None:
        """The call's lines again (``Crm.on_call_note``): those that found no customer
        when their events came (the note has just made the caller one) are written now;
        the others are there already."""
        for event in self.events(call_id):
            self.on_event(event)

    def call(self, call_id: str) -> list[TimelineEntry]:
        """Write the call's line on its customers' timelines (those not written yet)."""
        line = call_line(self.events(call_id), self.local)
        if line is None:
            return []
        return self.crm.record_once(line.number, "call", call_id, line.at,
                                    agent=str(line.data["agent"]), data=line.data)

    def _write(self, call_id: str, kind: str, ref: str, at: float,
               data: dict[str, Any]) -> list[TimelineEntry]:
        """A survey's or voicemail's line, on the timelines of the call's caller (the one
        the IVR spoke with, from outside or from an extension)."""
        started = next((e for e in self.events(call_id) if e.type == "call.started"), None)
        caller = str(started.data.get("caller") or "") if started is not None else ""
        if not caller:
            return []
        return self.crm.record_once(caller, kind, ref, at, data=data)

    def sync(self, since: float) -> int:
        """At start: the lines of the calls that ended at or after ``since`` (the ones the
        event log wrote while no one listened); how many calls were looked at."""
        calls = list(dict.fromkeys(self.ended_since(since)))
        for call_id in calls:
            try:
                self.call(call_id)
            except Exception:
                log.exception("call %s: could not write its timeline line", call_id)
        return len(calls)
