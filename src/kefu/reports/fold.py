"""The reports' fold: events in log order → additive facts per 15-minute interval, queue
and agent (docs/kpis.md says what each counts).

Pure: no database, no clock.  :class:`Fold` keeps the little state a report needs
between events (the calls in a queue, each agent's state since when) as plain JSON-able
dicts, so the summary tables' consumer (:mod:`kefu.reports.summary`) can store it beside
its cursor and go on after a restart exactly where it stopped.

Two kinds of figures, two rules of time:

* a queued call's figures (offered, answered, waits, talk, hold, wrap-up, transfers,
  surveys) belong to the interval the call *entered the queue* — a call entered at 23:59
  and answered at 00:01 is yesterday's, whichever report asks;
* an agent's time (logged in, ready, paused, busy) is clock time: it is split over the
  intervals it covers, counted when the state ends.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Protocol

from kefu.acd.offer import AgentOffer, OfferState

INTERVAL = 900                      # seconds: the finest grain a report can ask for

COUNTS = ("entered", "answered", "answered_in_sl", "abandoned", "short_abandoned",
          "overflowed", "refused", "handled", "ring_no_answer", "transfers", "consults",
          "callbacks_requested", "callbacks_made", "callbacks_connected", "callbacks_failed",
          "outbound", "surveys", "survey_score", "rejected")
SECONDS = ("wait_answered", "wait_abandoned", "talk", "hold", "wrap_up", "login", "ready",
           "paused", "busy")
MAXIMA = ("max_wait",)
MEASURES = COUNTS + SECONDS + MAXIMA
"""The columns of ``report_facts`` beside (interval, queue, agent): sums, but ``max_wait``."""
ADDED = ("rejected",)
"""Measures added after the first tables (migration 0024 adds their columns)."""

ABANDON_BUCKETS = (5, 10, 20, 30, 60, 120)   # upper bounds (s) of the abandon-wait histogram
HANDLE_BUCKETS = (60, 180, 300, 600)         # upper bounds (s) of the handle-time histogram
PAUSED = ("not_ready", "away")
BUSY = ("reserved", "talking", "on_hold", "wrap_up")
DROPS = ("caller_hangup", "hangup")          # an IVR exit that is a drop-out
COMPLETIONS = ("queue", "transfer")          # an IVR exit that handed the caller on

FactKey = tuple[int, str, str]               # interval start, queue ("": none), agent
ALL = "*"                                    # the agent of a row summing every agent's
CountKey = tuple[int, str, str, str]         # interval start, kind, key, sub


class Logged(Protocol):
    """An event as logged (``kefu.bus.Event``, or a row of ``call_events``)."""

    @property
    def type(self) -> str: ...
    @property
    def call_id(self) -> str | None: ...
    @property
    def data(self) -> dict[str, Any]: ...
    @property
    def ts(self) -> float: ...


def interval_of(ts: float) -> int:
    """The start (epoch seconds) of the 15-minute interval holding ``ts``."""
    return int(ts // INTERVAL * INTERVAL)


def bucket_of(seconds: float, bounds: tuple[int, ...]) -> str:
    """The histogram bar holding ``seconds``: "<=5", "<=10" … ">120" for ``bounds``
    (5, 10 … 120)."""
    for bound in bounds:
        if seconds <= bound:
            return f"<={bound}"
    return f">{bounds[-1]}"


def abandon_bucket(wait: float) -> str:
    """The histogram bar of an abandon's wait: "<=5", "<=10" … ">120"."""
    return bucket_of(wait, ABANDON_BUCKETS)


def labels(bounds: tuple[int, ...]) -> tuple[str, ...]:
    """Every bar of a histogram over ``bounds``, in order."""
    return tuple(f"<={b}" for b in bounds) + (f">{bounds[-1]}",)


class Facts:
    """What a run of the fold adds: sums (and maxima) per key, as the tables hold them."""

    def __init__(self) -> None:
        self.rows: dict[FactKey, dict[str, float]] = {}
        self.counts: dict[CountKey, list[float]] = {}   # [n, seconds]

    def add(self, key: FactKey, **values: float) -> None:
        """Add to the all-agents row (:data:`ALL`) of ``key``'s interval and queue, and to
        its agent's row if it has one: a queue's or an interval's figures then read one
        row per interval and queue, not one per agent."""
        self._add((key[0], key[1], ALL), values)
        if key[2] and key[2] != ALL:
            self._add(key, values)

    def _add(self, key: FactKey, values: dict[str, float]) -> None:
        row = self.rows.setdefault(key, {})
        for name, value in values.items():
            if name in MAXIMA:
                row[name] = max(row.get(name, 0.0), value)
            else:
                row[name] = row.get(name, 0.0) + value

    def count(self, key: CountKey, n: int = 1, seconds: float = 0.0) -> None:
        cell = self.counts.setdefault(key, [0, 0.0])
        cell[0] += n
        cell[1] += seconds

    def __bool__(self) -> bool:
        return bool(self.rows or self.counts)


class Fold:
    """Folds events into :class:`Facts`.  ``sl_seconds(queue)``: the queue's
    service-level target; ``short_abandon``: a caller hanging up within it is a short
    abandon (not offered, not abandoned).  ``state``: what :attr:`state` gave last time."""

    def __init__(self, sl_seconds: Callable[[str], float], short_abandon: float,
                 state: dict[str, Any] | None = None) -> None:
        self.sl_seconds = sl_seconds
        self.short_abandon = short_abandon
        state = state or {}
        self.calls: dict[str, dict[str, Any]] = state.get("calls", {})
        self.agents: dict[str, dict[str, Any]] = state.get("agents", {})
        self.extensions: dict[str, str] = state.get("extensions", {})
        self.ivr: dict[str, list[str]] = state.get("ivr", {})
        self.facts = Facts()

    @property
    def state(self) -> dict[str, Any]:
        return {"calls": self.calls, "agents": self.agents, "extensions": self.extensions,
                "ivr": self.ivr}

    def take(self) -> Facts:
        """The facts folded since the last take (and start afresh)."""
        facts, self.facts = self.facts, Facts()
        return facts

    def run(self, events: Iterable[Logged]) -> Facts:
        for event in events:
            self.apply(event)
        return self.take()

    # ------------------------------------------------------------------ one event
    def apply(self, e: Logged) -> None:
        family = e.type.partition(".")[0]
        handler = _HANDLERS.get(e.type) or (_ivr if family == "ivr" else None)
        if handler is not None:
            handler(self, e, e.data)

    def _call_key(self, call_id: str | None, ts: float, by: str = "") -> FactKey:
        """Where a call's later figures go: the interval it entered its queue, its queue
        and agent; a call no queue saw: the event's interval, no queue, the agent whose
        extension ``by`` is."""
        call = self.calls.get(call_id or "")
        if call is not None:
            return interval_of(call["e"]), call["q"], call["a"]
        return interval_of(ts), "", self.extensions.get(by, "")


# --- the handlers: one per event type -----------------------------------------------------
def _entered(f: Fold, e: Logged, d: dict[str, Any]) -> None:
    f.calls[e.call_id or ""] = {"q": d["queue"], "e": e.ts, "a": ""}
    f.facts.add((interval_of(e.ts), d["queue"], ""), entered=1)


def _connect(f: Fold, e: Logged, d: dict[str, Any]) -> None:
    wait = float(d.get("wait") or 0.0)
    call = f.calls.setdefault(e.call_id or "", {"q": d["queue"], "e": e.ts - wait, "a": ""})
    call["a"] = d["agent"]
    f.facts.add((interval_of(call["e"]), d["queue"], d["agent"]), answered=1,
                answered_in_sl=int(wait <= f.sl_seconds(d["queue"])), wait_answered=wait,
                max_wait=wait)
    f.agents.setdefault(d["agent"], {}).update(q=d["queue"], e=call["e"])


def _abandon(f: Fold, e: Logged, d: dict[str, Any]) -> None:
    wait = float(d.get("wait") or 0.0)
    key = (interval_of(e.ts - wait), d["queue"], "")
    if wait < f.short_abandon:
        f.facts.add(key, short_abandoned=1)
    else:
        f.facts.add(key, abandoned=1, wait_abandoned=wait, max_wait=wait)
    f.facts.count((key[0], "abandon_wait", d["queue"], abandon_bucket(wait)))
    f.calls.pop(e.call_id or "", None)


def _overflow(f: Fold, e: Logged, d: dict[str, Any]) -> None:
    wait = float(d.get("wait") or 0.0)
    f.facts.add((interval_of(e.ts - wait), d["queue"], ""), overflowed=1, max_wait=wait)
    f.calls.pop(e.call_id or "", None)


def _refused(f: Fold, e: Logged, d: dict[str, Any]) -> None:
    f.facts.add((interval_of(e.ts), d["queue"], ""), refused=1)


def _callback(f: Fold, e: Logged, d: dict[str, Any]) -> None:
    wait = float(d.get("wait") or 0.0)
    f.facts.add((interval_of(e.ts - wait), d["queue"], ""), callbacks_requested=1)
    f.calls.pop(e.call_id or "", None)


def _callback_connect(f: Fold, e: Logged, d: dict[str, Any]) -> None:
    # the callback is the agent's work now: its later figures (hold, transfer) go here
    f.calls[e.call_id or ""] = {"q": d["queue"], "e": e.ts, "a": d["agent"]}
    f.agents.setdefault(d["agent"], {}).update(q=d["queue"], e=e.ts)
    f.facts.add((interval_of(e.ts), d["queue"], d["agent"]), callbacks_made=1)


def _callback_answered(f: Fold, e: Logged, d: dict[str, Any]) -> None:
    f.facts.add((interval_of(e.ts), d["queue"], d["agent"]), callbacks_connected=1)


def _callback_failed(f: Fold, e: Logged, d: dict[str, Any]) -> None:
    f.facts.add((interval_of(e.ts), d["queue"], ""), callbacks_failed=1)


def _ring_no_answer(f: Fold, e: Logged, d: dict[str, Any]) -> None:
    """An offer the agent did not take: declined (rejected) or rung out, busy,
    unreachable (missed), as the ACD's offer ends it (:meth:`AgentOffer.failure`)."""
    call = f.calls.get(e.call_id or "")
    start = call["e"] if call is not None else e.ts
    declined = AgentOffer.failure(int(d.get("code") or 0)) is OfferState.DECLINED
    f.facts.add((interval_of(start), d["queue"], d["agent"]),
                **{"rejected" if declined else "ring_no_answer": 1})


def _complete(f: Fold, e: Logged, d: dict[str, Any]) -> None:
    talk, wait = float(d.get("talk") or 0.0), float(d.get("wait") or 0.0)
    call = f.calls.get(e.call_id or "")
    start = call["e"] if call is not None and call["q"] == d["queue"] else e.ts - talk - wait
    f.facts.add((interval_of(start), d["queue"], d["agent"]), handled=1, talk=talk)
    agent = f.agents.setdefault(d["agent"], {})
    _handled(f, d["agent"], agent)                   # a call before it never wrapped up
    held = call.get("hs", 0.0) if call is not None else 0.0
    agent.update(q=d["queue"], e=start,
                 p={"c": e.call_id or "", "h": talk + held, "q": d["queue"], "e": start})


def _handled(f: Fold, name: str, agent: dict[str, Any], wrap_up: float = 0.0) -> None:
    """The agent's last call is done (talk, hold and wrap-up known): its handle time
    into the histogram, in the call's interval, queue and agent."""
    pending = agent.pop("p", None)
    if pending is not None:
        handle = pending["h"] + wrap_up
        bar = bucket_of(handle, HANDLE_BUCKETS)
        f.facts.count((interval_of(pending["e"]), "handle", name, f"{pending['q']} {bar}"),
                      1, handle)


def _hold(f: Fold, e: Logged, d: dict[str, Any]) -> None:
    call = f.calls.get(e.call_id or "")
    if call is not None:
        call["h"] = e.ts


def _resume(f: Fold, e: Logged, d: dict[str, Any]) -> None:
    call = f.calls.get(e.call_id or "")
    if call is not None and call.get("h") is not None:
        held = max(0.0, e.ts - call.pop("h"))
        call["hs"] = call.get("hs", 0.0) + held
        f.facts.add(f._call_key(e.call_id, e.ts), hold=held)


def _transferred(f: Fold, e: Logged, d: dict[str, Any]) -> None:
    if d.get("mode") != "consult":            # a consult-then-transfer counts once, here
        f.facts.add(f._call_key(e.call_id, e.ts, str(d.get("by") or "")), transfers=1)


def _consult(f: Fold, e: Logged, d: dict[str, Any]) -> None:
    f.facts.add(f._call_key(e.call_id, e.ts, str(d.get("by") or "")), consults=1)


def _started(f: Fold, e: Logged, d: dict[str, Any]) -> None:
    agent = f.extensions.get(str(d.get("caller") or ""))
    if agent and not d.get("session") and str(d.get("callee") or "") not in f.extensions:
        f.facts.add((interval_of(e.ts), "", agent), outbound=1)


def _ended(f: Fold, e: Logged, d: dict[str, Any]) -> None:
    call = f.calls.pop(e.call_id or "", None)
    if call is not None and call.get("h") is not None:      # hung up while on hold
        held = max(0.0, e.ts - call["h"])
        f.facts.add((interval_of(call["e"]), call["q"], call["a"]), hold=held)
        pending = f.agents.get(call["a"], {}).get("p")
        if pending is not None and pending["c"] == e.call_id:
            pending["h"] += held
    f.ivr.pop(e.call_id or "", None)


def _survey(f: Fold, e: Logged, d: dict[str, Any]) -> None:
    if d.get("score") is not None:
        f.facts.add(f._call_key(e.call_id, e.ts), surveys=1, survey_score=int(d["score"]))


def _login(f: Fold, e: Logged, d: dict[str, Any]) -> None:
    f.extensions[d["extension"]] = d["agent"]


def _state(f: Fold, e: Logged, d: dict[str, Any]) -> None:
    """The time in the state that ends now, split over the intervals it covers."""
    agent = f.agents.setdefault(d["agent"], {})
    since, state, reason = agent.get("t"), agent.get("s"), agent.get("r", "")
    if since is not None and state and state != "logged_out" and e.ts > since:
        t = since
        while t < e.ts:
            end = min(e.ts, interval_of(t) + INTERVAL)
            secs, iv = end - t, interval_of(t)
            values = {"login": secs}
            if state == "ready":
                values["ready"] = secs
            elif state in PAUSED:
                values["paused"] = secs
                f.facts.count((iv, "pause", d["agent"], reason or state), 0, secs)
            elif state in BUSY:
                values["busy"] = secs
            f.facts.add((iv, "", d["agent"]), **values)
            t = end
        if state == "wrap_up" and "e" in agent:      # after-call work: the last call's
            f.facts.add((interval_of(agent["e"]), agent.get("q", ""), d["agent"]),
                        wrap_up=e.ts - since)
            _handled(f, d["agent"], agent, e.ts - since)
    if d["state"] != "wrap_up":                      # no wrap-up (left) after the call
        _handled(f, d["agent"], agent)
    agent.update(t=e.ts, s=d["state"], r=d.get("reason") or d["state"])


def _ivr(f: Fold, e: Logged, d: dict[str, Any]) -> None:
    cid, flow, node = e.call_id or "", str(d.get("flow") or ""), str(d.get("node") or "")
    iv = interval_of(e.ts)
    if e.type == "ivr.start":
        f.ivr[cid] = [flow, node]
        f.facts.count((iv, "ivr_start", flow, ""))
    elif e.type == "ivr.survey":
        _survey(f, e, d)
    elif e.type == "ivr.exit":
        reason = str(d.get("reason") or "")
        f.facts.count((iv, "ivr_exit", flow, reason))
        if reason in DROPS:
            f.facts.count((iv, "ivr_drop", flow, node))
        f.ivr.pop(cid, None)
    elif cid in f.ivr and flow:
        f.ivr[cid] = [flow, node]


_HANDLERS: dict[str, Callable[[Fold, Logged, dict[str, Any]], None]] = {
    "queue.entered": _entered, "queue.connect": _connect, "queue.abandon": _abandon,
    "queue.overflow": _overflow, "queue.refused": _refused, "queue.callback": _callback,
    "queue.callback_connect": _callback_connect,
    "queue.callback_answered": _callback_answered,
    "queue.callback_failed": _callback_failed, "queue.ring_no_answer": _ring_no_answer,
    "queue.complete": _complete, "call.hold": _hold, "call.resume": _resume,
    "call.transferred": _transferred, "call.consult": _consult, "call.started": _started,
    "call.ended": _ended, "agent.login": _login, "agent.state": _state,
}
