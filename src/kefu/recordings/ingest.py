"""From a call's events to its recordings' rows.

:func:`segments` is the rule (pure: a call's events in, its segments' metadata out, the
look-ups it needs handed in as callables); :class:`Ingest` runs it when the event log has
written a recording event or a call's end (``EventLog.after_write``), and once at start
(:meth:`Ingest.sync`) for what a crash left without a row or with an unfinished one.

A row appears at ``call.recording_started`` in state ``recording`` (so a call in progress
can be found), is ``done`` at its ``call.recording``, and ``interrupted`` when the start
after a crash closed it (``store.reconcile``: disposition ``interrupted``).  Once a row is
finished its file columns (path, codec, size, hash, tier) and state belong to the file's
lifecycle (compression, archive, retention): later events change only the call's metadata.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Callable, Iterable, Sequence

from kefu.bus import Event

from .records import Recording
from .service import Recordings

log = logging.getLogger(__name__)

INTERRUPTED = "interrupted"      # the disposition store.reconcile gives a call a crash cut off
TRIGGERS = ("call.recording_started", "call.recording", "call.ended")
FILE_COLUMNS = ("path", "codec", "size", "sha256", "tier", "state")


def _never(_number: str) -> bool:
    return False


def _nobody(_number: str) -> int | None:
    return None


@dataclass
class _Open:
    """A segment while its events are read."""
    started: Event
    closed: Event | None = None
    closed_last: bool = False          # its close is the event right before call.ended
    pauses: list[tuple[float, float | None]] = field(default_factory=list)


def segments(events: Sequence[Event], local: Callable[[str], bool] = _never,
             customer: Callable[[str], int | None] = _nobody) -> list[Recording]:
    """The recorded segments of one call, from its events in log order (ids 0).

    ``local(number)``: the number is one of kefu's extensions (a call from elsewhere is
    inbound, one answered elsewhere outbound); ``customer(number)``: the CRM's customer id
    for the customer's number.  The agent: see :func:`_agent`.
    """
    started = next((e for e in events if e.type == "call.started" and e.call_id), None)
    if started is None:
        return []
    opened: dict[int, _Open] = {}
    by_path: dict[str, int] = {}
    answered: str | None = None
    connects: list[Event] = []
    entered: str | None = None
    ended: Event | None = None
    for i, e in enumerate(events):
        if e.type == "call.recording_started" and e.data.get("path"):
            seg = int(e.data.get("segment") or 1)
            opened[seg] = _Open(e)
            by_path[str(e.data["path"])] = seg
        elif e.type == "call.recording":
            # reconcile's closing event names the file only: find its segment by path
            seg = int(e.data["segment"]) if e.data.get("segment") else \
                by_path.get(str(e.data.get("path")), 1)
            if seg in opened:
                opened[seg].closed = e
                opened[seg].closed_last = (i + 1 < len(events)
                                           and events[i + 1].type == "call.ended")
        elif e.type in ("call.recording_paused", "call.recording_resumed"):
            part = opened.get(int(e.data.get("segment") or 1))
            if part is not None:
                at = float(e.data.get("at") or 0.0)
                if e.type.endswith("paused"):
                    part.pauses.append((at, None))
                elif part.pauses and part.pauses[-1][1] is None:
                    part.pauses[-1] = (part.pauses[-1][0], at)
        elif e.type == "call.answered" and answered is None and e.data.get("callee"):
            answered = str(e.data["callee"])
        elif e.type == "queue.connect":
            connects.append(e)
        elif e.type == "queue.entered" and entered is None:
            entered = str(e.data.get("queue") or "") or None
        elif e.type == "call.ended" and ended is None:
            ended = e
    caller = str(started.data.get("caller") or "")
    callee = str(started.data.get("callee") or "")
    if started.data.get("trunk") or caller and not local(caller):
        direction, theirs = "inbound", caller
    elif answered is not None and not local(answered):
        direction, theirs = "outbound", answered
    else:
        direction, theirs = "internal", ""
    customer_id = customer(theirs) if theirs else None
    disposition = str(ended.data.get("disposition") or "") or None if ended else None
    out = []
    for seg, part in sorted(opened.items()):
        end_ts = part.closed.ts if part.closed is not None else None
        connect = _agent_at(connects, end_ts)
        duration = float(part.closed.data.get("duration") or 0.0) if part.closed else 0.0
        if part.closed is None:
            state = INTERRUPTED if disposition == INTERRUPTED else "recording"
        elif disposition == INTERRUPTED and part.closed_last:
            state = INTERRUPTED
        else:
            state = "done"
        if part.closed is not None and part.closed.data.get("paused"):
            paused = tuple((float(a), float(b)) for a, b in part.closed.data["paused"])
        else:
            paused = tuple((a, duration if b is None else b) for a, b in part.pauses
                           if b is not None or state != "recording")
        data = part.started.data
        out.append(Recording(
            id=0, call_id=str(started.call_id), segment=seg,
            journey=str(data.get("linked_to") or started.call_id),
            caller=caller[:255], callee=callee[:255], started_at=part.started.ts,
            duration=round(duration, 3),
            agent=_agent(data, connect, answered),
            queue=str(connect.data["queue"]) if connect else entered,
            customer_id=customer_id, direction=direction, disposition=disposition,
            policy=str(data.get("policy") or "all")[:64], tier="live",
            path=str(data["path"]), codec="wav", size=None, sha256=None, state=state,
            paused=paused))
    return out


def _agent(started: dict, connect: Event | None, answered: str | None) -> str | None:
    """Who the segment's agent is: the one the switch named when it started recording (the
    ACD's agent still in the call), else the first party on the agent's channel (a
    transfer's target), else the ACD's last connect, else the extension that answered."""
    parties = started.get("parties") or []
    if started.get("agent"):
        return str(started["agent"])
    if parties:
        return str(parties[0])
    return str(connect.data["agent"]) if connect else answered


def _agent_at(connects: list[Event], end_ts: float | None) -> Event | None:
    """The last agent the ACD connected before the segment closed (still open: the last)."""
    before = [c for c in connects if end_ts is None or c.ts <= end_ts]
    return before[-1] if before else None


class Ingest:
    """Keeps the ``recordings`` rows in step with the event log.

    ``events(call_id)``: a call's logged events; ``recorded_since(ts)``: the ids of the
    calls that started a recording at or after ``ts`` (both from the store);
    ``local`` and ``customer`` as :func:`segments` takes them.  ``on_done``: called with
    each row the first time it is finished (done or interrupted), on the caller's thread
    (the event log's worker): where the file's lifecycle (compression, hash) starts."""

    def __init__(self, recordings: Recordings, events: Callable[[str], list[Event]],
                 recorded_since: Callable[[float], Iterable[str]],
                 local: Callable[[str], bool] = _never,
                 customer: Callable[[str], int | None] = _nobody) -> None:
        self.recordings = recordings
        self.events = events
        self.recorded_since = recorded_since
        self.local = local
        self.customer = customer
        self.on_done: list[Callable[[Recording], None]] = []
        self._recorded: set[str] = set()   # calls with a recording event, not ended yet

    def on_event(self, event: Event) -> None:
        """``EventLog.after_write``: a recording started or closed, or a recorded call
        ended (its disposition); the many calls never recorded cost nothing here."""
        call_id = event.call_id
        if event.type not in TRIGGERS or not call_id:
            return
        if event.type == "call.ended":
            if call_id not in self._recorded:
                return
            self._recorded.discard(call_id)
        else:
            self._recorded.add(call_id)
        self.call(call_id)

    def call(self, call_id: str) -> list[Recording]:
        """Save the rows of one call's segments; the saved rows."""
        found = segments(self.events(call_id), self.local, self._customer)
        known = {r.segment: r for r in self.recordings.for_call(call_id)
                 if r.call_id == call_id}
        saved = []
        for rec in found:
            before = known.get(rec.segment)
            if before is not None and before.state != "recording":
                rec = replace(rec, **{k: getattr(before, k) for k in FILE_COLUMNS})
            rec = self.recordings.save(rec)
            saved.append(rec)
            if rec.state != "recording" and (before is None or before.state == "recording"):
                for done in self.on_done:
                    try:
                        done(rec)
                    except Exception:
                        log.exception("recording %s: a finishing step failed", rec.id)
        return saved

    def sync(self) -> int:
        """At start, after ``store.reconcile``: every call that started a recording since
        the newest row (or ever, the first time) and has no row, and every row still
        ``recording``, brought up to date.  How many calls were looked at."""
        unfinished = self.recordings.unfinished_calls()
        newest = self.recordings.newest_start()
        since = 0.0 if newest is None else newest - 60.0
        calls = dict.fromkeys([*unfinished, *self.recorded_since(since)])
        for call_id in calls:
            try:
                self.call(call_id)
            except Exception:
                log.exception("call %s: could not save its recordings", call_id)
        return len(calls)

    def _customer(self, number: str) -> int | None:
        try:
            return self.customer(number)
        except Exception:
            log.exception("could not look up the customer of %s", number)
            return None

