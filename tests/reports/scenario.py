"""A small synthetic day of one contact centre, built with the real payload builders of
:mod:`kefu.events`, and the figures it must give (worked out by hand in the comments).

Queue ``sales`` (service level 20 s), ``support`` (its overflow, 20 s); short abandon
5 s; agents ann (extension 1001) and bob (1002).  ``T`` is 2026-12-01 10:00 UTC, ``M``
the midnight after it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

from kefu import events as ev
from kefu.bus import Event

T = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc).timestamp()
M = datetime(2026, 12, 2, 0, 0, tzinfo=timezone.utc).timestamp()
SL = {"sales": 20.0, "support": 20.0}
SHORT = 5.0


def at(ts: float, payload: ev.Payload, call_id: str | None = None) -> Event:
    return replace(ev.event(payload, call_id), ts=ts)


def entered(ts: float, call: str, queue: str = "sales") -> Event:
    return at(ts, ev.QueueEntered(queue=queue, caller="13800000000", position=1, priority=0,
                                  preferred=None), call)


def connect(ts: float, call: str, agent: str, wait: float, queue: str = "sales") -> Event:
    return at(ts, ev.QueueConnect(queue=queue, agent=agent, extension=EXT[agent],
                                  caller="13800000000", wait=wait, position=1), call)


def complete(ts: float, call: str, agent: str, talk: float, wait: float,
             queue: str = "sales") -> Event:
    return at(ts, ev.QueueComplete(queue=queue, agent=agent, by="agent", talk=talk, wait=wait),
              call)


def state(ts: float, agent: str, new: str, old: str, reason: str = "") -> Event:
    return at(ts, ev.AgentStateChanged(agent=agent, state=new, previous=old, reason=reason,
                                       extension=EXT[agent]))


def ended(ts: float, call: str) -> Event:
    return at(ts, ev.CallEnded(disposition="answered", hangup_by="caller", sip_code=None), call)


EXT = {"ann": "1001", "bob": "1002"}


def day() -> list[Event]:
    """The day's events in log order."""
    e = [
        at(T - 3600, ev.AgentLogin(agent="ann", extension="1001", queues=["sales"]), None),
        state(T - 3600, "ann", "ready", "logged_out"),
        at(T - 3600, ev.AgentLogin(agent="bob", extension="1002", queues=["sales", "support"])),
        state(T - 3600, "bob", "ready", "logged_out"),
        # c1: answered by ann in 10 s (in SL), consulted bob, held 30 s, talk 120, wrap 30,
        # survey 4
        entered(T, "c1"), connect(T + 10, "c1", "ann", 10), state(T + 10, "ann", "talking", "ready"),
        at(T + 60, ev.CallHold(number="1001"), "c1"),
        at(T + 70, ev.CallConsult(by="1001", target="1002"), "c1"),
        at(T + 90, ev.CallResume(number="1001"), "c1"),
        complete(T + 130, "c1", "ann", 120, 10), state(T + 130, "ann", "wrap_up", "talking"),
        at(T + 135, ev.IvrSurvey(flow="survey", node="ask", score=4), "c1"),
        ended(T + 140, "c1"),
        state(T + 160, "ann", "ready", "wrap_up"),
        # c2: hangs up after 3 s: a short abandon
        entered(T + 100, "c2"),
        at(T + 103, ev.QueueAbandon(queue="sales", caller="x", position=1, entry_position=1,
                                    wait=3.0), "c2"),
        # c3: abandons after 40 s
        entered(T + 200, "c3"),
        at(T + 240, ev.QueueAbandon(queue="sales", caller="x", position=1, entry_position=1,
                                    wait=40.0), "c3"),
        # c4: bob answers after 30 s (outside SL), transfers it blind, talk 70
        entered(T + 300, "c4"), connect(T + 330, "c4", "bob", 30),
        state(T + 330, "bob", "talking", "ready"),
        at(T + 400, ev.CallTransferred(by="1002", mode="blind", target="2000"), "c4"),
        complete(T + 400, "c4", "bob", 70, 30), state(T + 400, "bob", "ready", "talking"),
        ended(T + 400, "c4"),
        # c5: asks for a callback after 25 s; ann calls back at 10:16:40, answered
        entered(T + 400, "c5"),
        at(T + 425, ev.QueueCallback(queue="sales", number="13800000005", position=1,
                                     wait=25.0), "c5"),
        at(T + 1000, ev.QueueCallbackConnect(queue="sales", agent="ann", number="13800000005",
                                             original_call="c5", wait=575.0), "cb5"),
        at(T + 1005, ev.QueueCallbackAnswered(queue="sales", agent="ann", number="13800000005",
                                              original_call="c5"), "cb5"),
        at(T + 1100, ev.QueueCallbackFailed(queue="sales", number="13800000006", attempt=3,
                                            code=486, reason="Busy", original_call="c6"), "cb6"),
        # c7: overflows to support after 50 s, bob answers there in 5 s
        entered(T + 500, "c7"),
        at(T + 550, ev.QueueOverflow(queue="sales", reason="timeout", wait=50.0, position=1,
                                     destination="support"), "c7"),
        entered(T + 550, "c7", "support"), connect(T + 555, "c7", "bob", 5, "support"),
        complete(T + 615, "c7", "bob", 60, 5, "support"), ended(T + 615, "c7"),
        # c9: an IVR caller hangs up in the menu
        at(T + 600, ev.IvrStart(flow="main", node="start", version=1, caller="x"), "c9"),
        at(T + 610, ev.IvrNode(flow="main", node="menu", type="menu"), "c9"),
        at(T + 620, ev.IvrExit(flow="main", node="menu", reason="caller_hangup"), "c9"),
        # bob pauses for lunch 10:30–11:00 (two intervals of 900 s)
        state(T + 1800, "bob", "not_ready", "ready", "lunch"),
        state(T + 3600, "bob", "ready", "not_ready", "ready"),
        # ann calls out
        at(T + 2000, ev.CallStarted(caller="1001", callee="13900000000", caller_name="ann",
                                    trunk=None), "o1"),
        # c8: enters at 23:59, answered by ann at 00:00:30 (wait 90): yesterday's call
        entered(M - 60, "c8"), state(M + 30, "ann", "talking", "ready"),
        connect(M + 30, "c8", "ann", 90),
        complete(M + 90, "c8", "ann", 60, 90), state(M + 90, "ann", "ready", "talking"),
        ended(M + 90, "c8"),
    ]
    return e


# What the day gives for queue sales (Dec 1, in the report's zone UTC):
SALES = {
    "entered": 7,            # c1 c2 c3 c4 c5 c7 c8
    "short_abandoned": 1,    # c2
    "offered": 6,
    "answered": 3,           # c1 c4 c8 (c8 entered on Dec 1)
    "abandoned": 1,          # c3
    "answered_in_sl": 1,     # c1 (10 s); c4 30 s and c8 90 s are late
    "service_level": 0.25,   # 1 / (3 answered + 1 abandoned)
    "asa": 43.3,             # (10 + 30 + 90) / 3
    "abandon_rate": 0.1667,  # 1 / 6
    "max_wait": 90.0,
    "overflowed": 1, "callbacks_requested": 1, "callbacks_made": 1,
    "callbacks_connected": 1, "callbacks_failed": 1,
    "handled": 3, "talk": 250.0, "hold": 30.0, "wrap_up": 30.0,
    "aht": 103.3,            # (250 + 30 + 30) / 3
    "transfers": 1, "consults": 1, "surveys": 1, "csat": 4.0,
}


def kpi_extras() -> list[Event]:
    """What the KPI tests add to :func:`day`: bob declines c3 (603: rejected), ann's
    phone rings out on c4 (408: missed), and a second IVR caller c10 leaves the menu for
    the queue (an IVR completion)."""
    return [
        at(T + 220, ev.QueueRingNoAnswer(queue="sales", agent="bob", code=603,
                                         reason="Decline"), "c3"),
        at(T + 320, ev.QueueRingNoAnswer(queue="sales", agent="ann", code=408,
                                         reason="No Answer"), "c4"),
        at(T + 700, ev.IvrStart(flow="main", node="start", version=1, caller="y"), "c10"),
        at(T + 720, ev.IvrExit(flow="main", node="menu", reason="queue", to="sales"), "c10"),
    ]


# The handle time of each call (talk + hold + wrap-up) and its bar, per (agent, queue):
# ann sales c1 120 + 30 + 30 = 180 (<=180), c8 60 (<=60); bob sales c4 70 (<=180);
# bob support c7 60 (<=60; counted when bob next changes state, at 10:30).
HANDLE = {("ann", "sales"): {"<=60": 1, "<=180": 1}, ("bob", "sales"): {"<=180": 1},
          ("bob", "support"): {"<=60": 1}}
