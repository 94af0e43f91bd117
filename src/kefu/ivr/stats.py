"""IVR statistics (智能管理): calls per flow and node, menu choices, where callers hang up,
hand-offs to queues, the self-service completion rate, survey scores and look-up errors,
per interval of 15 minutes, an hour or a day.

Pure: :class:`Tally` folds the ``ivr.*`` events the engine emits (as the event log keeps
them in ``call_events``, oldest first) one at a time, so a month of them streams through
in bounded memory: what it holds is the figures and the walks still open.  No I/O.

Intervals are in the server's local time zone (the process's ``TZ``, as the ACD's days in
``acd.figures``): a step counts in the interval of its own time stamp, a walk's outcome in
the interval it ended.

Definitions (the page shows them too):

- A **walk** is a call's way through the IVR from its ``ivr.start`` to its last
  ``ivr.exit``; a call can make several (a queue's overflow into a flow starts another).
- **Entered** (进入): walks that reached the flow: started in it, were sent on into it
  (``flow:`` transfer) or called it as a subflow; once per walk.  A walk begun before the
  range counts its later steps and its end, not its entry.
- A node's **entered** counts every entry (a menu that loops counts each time), its
  **calls** the walks that entered it at least once.
- **Ended** (结束): walks that left the IVR, counted for every flow the walk entered.
  A hand-off the queue or number refuses (``ivr.refused``) is no end: the walk goes on;
  a caller hanging up while a transfer rings ends it as a hang-up, not a transfer.
- **Self-served** (自助完成): a walk that ended inside the IVR: by a ``hangup`` node, the
  end of the flow (``return`` at the top), a voicemail message, a return to the agent who
  sent the caller (agent → IVR → agent), or the caller hanging up after the walk stored
  its data (a ``store`` node) or left a voicemail.  Not self-served: a hand-off to a queue
  or a transfer, an error, retries exhausted with no fallback, and a caller hanging up
  before any of that (mid-menu).  **Completion rate** = self-served / ended.
- **Hang-up points** (挂机位置): the node (and flow) at an ``ivr.exit`` with reason
  ``caller_hangup``.
- **Survey**: answered scores (count and average); a survey left unanswered is counted
  apart.  **Look-up errors**: ``ivr.lookup`` with ``ok`` false.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Interval = Literal["15m", "hour", "day"]
INTERVALS: tuple[Interval, ...] = ("15m", "hour", "day")
LENGTH = {"15m": 900, "hour": 3600, "day": 86400}

SELF_SERVED = frozenset({"hangup", "flow_end", "voicemail", "returned"})
# the agent's side of a self-service trip (坐席与IVR互动: ``ivr.sent``, ``ivr.back``): they
# frame the walk its ``ivr.start`` and ``ivr.exit`` count, and are no steps of it
AGENT_SIDE = frozenset({"ivr.sent", "ivr.back"})
HANDOFFS = frozenset({"queue", "transfer"})
WALK_IDLE = 6 * 3600.0  # a walk with no step for this long is forgotten (no IVR walk lasts so long)


def interval_start(ts: float, interval: Interval) -> float:
    """The local start of the interval holding ``ts``."""
    t = time.localtime(ts)
    if interval == "day":
        return time.mktime((t.tm_year, t.tm_mon, t.tm_mday, 0, 0, 0, 0, 0, -1))
    minute = t.tm_min - t.tm_min % 15 if interval == "15m" else 0
    # tm_isdst from ts itself: the hour repeated when clocks go back stays two intervals
    return time.mktime((t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, minute, 0, 0, 0, t.tm_isdst))


def interval_end(start: float, interval: Interval) -> float:
    """The start of the next interval (a local day is 23 to 25 hours long)."""
    if interval == "day":
        return interval_start(start + 36 * 3600, "day")
    return start + LENGTH[interval]


@dataclass
class NodeFigures:
    type: str = ""
    entered: int = 0
    calls: int = 0
    invalid: int = 0
    timeouts: int = 0
    hangups: int = 0           # callers who hung up here
    lookup_errors: int = 0


@dataclass
class Figures:
    """One flow's figures in one interval (or every flow's, without ``nodes``/``choices``)."""
    entered: int = 0
    ended: int = 0
    self_served: int = 0
    to_queue: int = 0
    transferred: int = 0
    caller_hangups: int = 0
    refused: int = 0
    errors: int = 0
    invalid: int = 0
    timeouts: int = 0
    lookups: int = 0
    lookup_errors: int = 0
    surveys: int = 0
    survey_sum: int = 0
    surveys_unanswered: int = 0
    queues: Counter[str] = field(default_factory=Counter)       # queue → hand-offs
    exits: Counter[str] = field(default_factory=Counter)        # exit reason → walks
    nodes: dict[str, NodeFigures] = field(default_factory=dict)
    choices: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # (menu, key, to)

    @property
    def completion_rate(self) -> float | None:
        return round(self.self_served / self.ended, 4) if self.ended else None

    @property
    def survey_average(self) -> float | None:
        return round(self.survey_sum / self.surveys, 2) if self.surveys else None

    def add(self, other: Figures) -> None:
        """Add ``other``'s figures to these (an interval's to the whole range's)."""
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.queues.update(other.queues)
        self.exits.update(other.exits)
        self.choices.update(other.choices)
        for name, n in other.nodes.items():
            mine = self.node(name)
            mine.type = n.type or mine.type
            for count in NODE_COUNTS:
                setattr(mine, count, getattr(mine, count) + getattr(n, count))

    def node(self, name: str) -> NodeFigures:
        found = self.nodes.get(name)
        if found is None:
            found = self.nodes[name] = NodeFigures()
        return found


COUNTS = tuple(n for n, f in Figures.__dataclass_fields__.items() if f.type == "int")
NODE_COUNTS = tuple(n for n, f in NodeFigures.__dataclass_fields__.items() if f.type == "int")


@dataclass
class Bucket:
    """One interval: every flow's figures together (``total``) and each flow's."""
    start: float
    end: float
    total: Figures = field(default_factory=Figures)
    flows: dict[str, Figures] = field(default_factory=dict)

    def flow(self, name: str) -> Figures:
        found = self.flows.get(name)
        if found is None:
            found = self.flows[name] = Figures()
        return found


@dataclass
class _Walk:
    last: float
    started: bool                                   # its ivr.start was seen
    flows: set[str] = field(default_factory=set)
    nodes: set[tuple[str, str]] = field(default_factory=set)
    kept: bool = False                              # stored data or left a voicemail
    handed_off: tuple[Bucket, str, bool, str, tuple[str, ...]] | None = None  # undone if refused


class Tally:
    """Folds ``ivr.*`` events, oldest first, into :class:`Bucket` s of ``interval``."""

    def __init__(self, interval: Interval) -> None:
        if interval not in INTERVALS:
            raise ValueError(f"interval must be one of {', '.join(INTERVALS)}")
        self.interval = interval
        self._buckets: dict[float, Bucket] = {}
        self._starts: dict[int, float] = {}         # ts // 900 → its interval's start
        self._walks: dict[str, _Walk] = {}          # least recently stepped first
        self._seen = 0

    def _bucket(self, ts: float) -> Bucket:
        # every zone's offset is a multiple of 15 minutes, so a UTC quarter hour lies in one
        # local interval: one localtime() per quarter hour, not per event
        quarter = int(ts // 900)
        start = self._starts.get(quarter)
        if start is None:
            start = self._starts[quarter] = interval_start(ts, self.interval)
        found = self._buckets.get(start)
        if found is None:
            found = self._buckets[start] = Bucket(start, interval_end(start, self.interval))
        return found

    def add(self, type_: str, call_id: str | None, ts: float, data: Mapping[str, Any]) -> None:
        """One event; events of other kinds, or with no call or flow, are ignored."""
        flow = data.get("flow")
        if (not type_.startswith("ivr.") or type_ in AGENT_SIDE or not call_id
                or not isinstance(flow, str)):
            return
        node = str(data.get("node", ""))
        b = self._bucket(ts)
        walk = self._walks.pop(call_id, None)
        if type_ == "ivr.start" or walk is None:
            walk = _Walk(ts, started=type_ == "ivr.start")
        walk.last = ts
        self._walks[call_id] = walk
        self._touch(walk, b, flow)
        fig = b.flow(flow)
        if type_ == "ivr.node":
            n = fig.node(node)
            n.type = str(data.get("type", n.type))
            n.entered += 1
            if (flow, node) not in walk.nodes:
                walk.nodes.add((flow, node))
                n.calls += 1
        elif type_ == "ivr.choice":
            fig.choices[(node, str(data.get("key", "")), str(data.get("to", "")))] += 1
        elif type_ in ("ivr.invalid", "ivr.timeout"):
            what = "invalid" if type_ == "ivr.invalid" else "timeouts"
            for counted in (fig, b.total, fig.node(node)):
                setattr(counted, what, getattr(counted, what) + 1)
        elif type_ == "ivr.survey":
            score = data.get("score")
            for counted in (fig, b.total):
                if isinstance(score, int):
                    counted.surveys += 1
                    counted.survey_sum += score
                else:
                    counted.surveys_unanswered += 1
        elif type_ == "ivr.lookup":
            failed = not data.get("ok")
            for counted in (fig, b.total):
                counted.lookups += 1
                counted.lookup_errors += failed
            fig.node(node).lookup_errors += failed
        elif type_ == "ivr.error":
            fig.errors += 1
            b.total.errors += 1
        elif type_ == "ivr.store" or (type_ == "ivr.voicemail"      # a message, not silence
                                      and data.get("message_id", 0) is not None):
            walk.kept = True
        elif type_ == "ivr.flow":
            self._touch(walk, b, str(data.get("to", "")))
        elif type_ == "ivr.refused":
            fig.refused += 1
            b.total.refused += 1
            self._take_back(walk)               # not an end after all: the walk goes on
        elif type_ == "ivr.exit":
            self._take_back(walk)               # the caller hung up while a transfer rang
            self._exit(call_id, walk, b, flow, node, data)
        self._seen += 1
        if self._seen % 1000 == 0:
            self._forget(ts)

    def _touch(self, walk: _Walk, b: Bucket, flow: str) -> None:
        if flow and flow not in walk.flows:
            walk.flows.add(flow)
            if walk.started:
                b.flow(flow).entered += 1
                if len(walk.flows) == 1:
                    b.total.entered += 1

    def _exit(self, call_id: str, walk: _Walk, b: Bucket, flow: str, node: str,
              data: Mapping[str, Any]) -> None:
        reason = str(data.get("reason", ""))
        to = str(data.get("to", "")) or node       # before ``to`` existed: the queue node's name
        if reason == "caller_hangup":
            b.flow(flow).node(node).hangups += 1
        served = reason in SELF_SERVED or (reason == "caller_hangup" and walk.kept)
        ended = (b, reason, served, to, tuple(sorted(walk.flows | {flow})))
        self._outcome(*ended, +1)
        if reason in HANDOFFS:
            walk.handed_off = ended
        else:
            del self._walks[call_id]

    def _take_back(self, walk: _Walk) -> None:
        """A hand-off that did not happen: its end is counted no more."""
        if walk.handed_off is not None:
            self._outcome(*walk.handed_off, -1)
            walk.handed_off = None

    @staticmethod
    def _outcome(b: Bucket, reason: str, served: bool, to: str, flows: tuple[str, ...],
                 sign: int) -> None:
        """Count (``sign`` +1) or take back (-1) a walk's end in ``b``."""
        for fig in (b.total, *(b.flow(f) for f in flows)):
            fig.ended += sign
            fig.exits[reason] += sign
            fig.self_served += sign * served
            fig.caller_hangups += sign * (reason == "caller_hangup")
            fig.transferred += sign * (reason == "transfer")
            if reason == "queue":
                fig.to_queue += sign
                fig.queues[to] += sign
            if sign < 0:
                for counter in (fig.exits, fig.queues):
                    for key in [k for k, v in counter.items() if v <= 0]:
                        del counter[key]

    def _forget(self, now: float) -> None:
        """Drop walks idle for :data:`WALK_IDLE` (ended ones kept for a refusal, or lost)."""
        while self._walks:
            call_id, walk = next(iter(self._walks.items()))
            if walk.last >= now - WALK_IDLE:
                return
            del self._walks[call_id]

    @property
    def open_walks(self) -> int:
        return len(self._walks)

    def buckets(self) -> list[Bucket]:
        """The intervals that saw an event, oldest first."""
        return [self._buckets[k] for k in sorted(self._buckets)]


def tally(events: Iterable[tuple[str, str | None, float, Mapping[str, Any]]],
          interval: Interval, flow: str | None = None) -> list[Bucket]:
    """The figures of ``events`` ((type, call_id, ts, data), oldest first) per interval;
    with ``flow``, only that flow's (its figures are the interval's total too)."""
    t = Tally(interval)
    for type_, call_id, ts, data in events:
        t.add(type_, call_id, ts, data)
    return only_flow(t.buckets(), flow) if flow else t.buckets()


def whole(buckets: list[Bucket], start: float, end: float) -> Bucket:
    """``buckets`` added up: the whole range's figures (a walk's node counts once in
    ``calls``, since it counts in the interval it first entered the node)."""
    out = Bucket(start, end)
    for b in buckets:
        out.total.add(b.total)
        for name, fig in b.flows.items():
            out.flow(name).add(fig)
    return out


def only_flow(buckets: list[Bucket], flow: str) -> list[Bucket]:
    """The intervals ``flow`` was in, narrowed to it."""
    out = []
    for b in buckets:
        fig = b.flows.get(flow)
        if fig is not None:
            total = Figures()
            total.add(fig)
            total.nodes, total.choices = {}, Counter()
            out.append(Bucket(b.start, b.end, total, {flow: fig}))
    return out


def local_zone(now: float | None = None) -> str:
    """The server's time zone as the statistics show it: its name when known (``TZ``, or
    what ``/etc/localtime`` links to) and its offset from UTC at ``now``."""
    when = time.localtime(now)
    name = os.environ.get("TZ", "").lstrip(":")
    if not name:
        try:
            name = os.path.realpath("/etc/localtime").split("/zoneinfo/", 1)[1]
        except IndexError:
            name = when.tm_zone or ""
    offset = time.strftime("%z", when)
    return f"{name} (UTC{offset[:3]}:{offset[3:]})" if name else f"UTC{offset[:3]}:{offset[3:]}"
