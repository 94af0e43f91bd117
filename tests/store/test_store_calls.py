"""The event log and the CDRs derived from it, on both backends."""

from __future__ import annotations

import pytest

from kefu.bus import Event
from kefu.store import Cdr, Invalid, Store


def _call(store: Store, call_id: str, caller: str, callee: str, start: float,
          answered: bool = True, talk: float = 10.0) -> None:
    store.append_event(Event("call.started", call_id,
                             {"caller": caller, "callee": callee, "caller_name": "N"}, ts=start))
    store.append_event(Event("call.ringing", call_id, {}, ts=start + 0.5))
    if answered:
        store.append_event(Event("call.answered", call_id, {}, ts=start + 2))
        end = {"disposition": "answered", "hangup_by": "caller", "sip_code": 200}
        store.append_event(Event("call.ended", call_id, end, ts=start + 2 + talk))
    else:
        end = {"disposition": "no_answer", "hangup_by": "system", "sip_code": 480}
        store.append_event(Event("call.ended", call_id, end, ts=start + 30))
    store.derive_cdr(call_id)


def test_events_since_a_time_by_type(store: Store) -> None:
    """What the ACD replays at start: today's queue events, in order."""
    t = 1_700_000_000.0
    store.append_events([Event("queue.entered", "c1", {"queue": "q"}, ts=t - 10),
                         Event("queue.entered", "c2", {"queue": "q"}, ts=t),
                         Event("call.started", "c2", {}, ts=t + 1),
                         Event("queue.connect", "c2", {"queue": "q", "wait": 3}, ts=t + 3),
                         Event("queue_x.odd", "c3", {}, ts=t + 4)])
    got = store.events_since(t, "queue.")
    assert [(e.type, e.call_id, e.ts) for e in got] == [("queue.entered", "c2", t),
                                                        ("queue.connect", "c2", t + 3)]
    assert got[1].data == {"queue": "q", "wait": 3}
    assert len(store.events_since(t)) == 4 and store.events_since(t + 5) == []


def test_append_and_read_back_in_order(store: Store) -> None:
    ts = 1_700_000_000.123456
    ids = [store.append_event(Event("call.started", "c1", {"caller": "1001", "callee": "1002",
                                                           "caller_name": "张三"}, ts=ts)),
           store.append_event(Event("call.dtmf", "c1", {"digit": "5", "leg": "caller"}, ts=ts)),
           store.append_event(Event("call.dtmf", "c1", {"digit": "#", "leg": "caller"}, ts=ts))]
    store.append_event(Event("call.started", "c2", {}, ts=ts))
    store.append_event(Event("agent.state", None, {"state": "ready"}))
    assert ids == sorted(ids)
    events = store.events_for_call("c1")
    assert [e.type for e in events] == ["call.started", "call.dtmf", "call.dtmf"]
    assert [e.data.get("digit") for e in events[1:]] == ["5", "#"]
    assert events[0].data["caller_name"] == "张三"
    assert events[0].ts == pytest.approx(ts, abs=1e-6)
    assert store.events_for_call("nope") == []


def test_append_rejects_non_json(store: Store) -> None:
    with pytest.raises(Invalid):
        store.append_event(Event("call.started", "c1", {"x": object()}))
    assert store.events_for_call("c1") == []


def test_derive_cdr_answered_with_recording(store: Store) -> None:
    store.append_event(Event("call.started", "c1", {"caller": "1001", "callee": "1002",
                                                    "caller_name": "Alice"}, ts=100.0))
    store.append_event(Event("call.answered", "c1", {}, ts=103.0))
    store.append_event(Event("call.recording", "c1", {"path": "r/c1.wav", "duration": 7.5},
                             ts=110.5))
    store.append_event(Event("ivr.survey", "c1", {"flow": "csat", "node": "ask", "score": 5},
                             ts=110.0))
    store.append_event(Event("call.ended", "c1", {"disposition": "answered",
                                                  "hangup_by": "callee", "sip_code": 200},
                             ts=110.5))
    cdr = store.derive_cdr("c1")
    assert cdr == Cdr("c1", "1001", "1002", "Alice", 100.0, 103.0, 110.5, 7.5, "answered",
                      "callee", 200, "r/c1.wav", 7.5, survey_score=5)
    assert store.get_call("c1") == cdr


def test_derive_cdr_upserts_as_the_call_progresses(store: Store) -> None:
    store.append_event(Event("call.started", "c1", {"caller": "1001", "callee": "1002"}, ts=1.0))
    live = store.derive_cdr("c1")
    assert live is not None and live.end_ts is None and live.disposition is None
    store.append_event(Event("call.ended", "c1", {"disposition": "busy", "hangup_by": "callee",
                                                  "sip_code": 486}, ts=2.0))
    done = store.derive_cdr("c1")
    assert done is not None and (done.disposition, done.duration, done.sip_code) == ("busy", 0.0, 486)
    assert store.list_calls() == ([done], 1)


def test_derive_cdr_without_start_is_none(store: Store) -> None:
    assert store.derive_cdr("ghost") is None
    store.append_event(Event("call.ended", "half", {"disposition": "failed"}))
    assert store.derive_cdr("half") is None
    assert store.get_call("half") is None


def test_list_calls_filters_and_pages(store: Store) -> None:
    _call(store, "a", "1001", "1002", 1000.0)
    _call(store, "b", "1002", "1003", 2000.0, answered=False)
    _call(store, "c", "1003", "1001", 3000.0)
    _call(store, "d", "1004", "1005", 4000.0)

    items, total = store.list_calls()
    assert [c.call_id for c in items] == ["d", "c", "b", "a"] and total == 4
    items, total = store.list_calls(number="1001")
    assert [c.call_id for c in items] == ["c", "a"] and total == 2
    items, total = store.list_calls(since=2000.0, until=4000.0)
    assert [c.call_id for c in items] == ["c", "b"] and total == 2
    items, total = store.list_calls(limit=2, offset=1)
    assert [c.call_id for c in items] == ["c", "b"] and total == 4
    items, total = store.list_calls(number="1002", since=1500.0)
    assert [c.call_id for c in items] == ["b"] and total == 1
    assert store.list_calls(offset=10) == ([], 4)
    b = store.get_call("b")
    assert b is not None and b.answer_ts is None and b.duration == 0 and b.disposition == "no_answer"
    with pytest.raises(Invalid):
        store.list_calls(limit=0)


def test_list_calls_of_an_agent(store: Store) -> None:
    """An agent's calls: those it took from a queue (the JSON ``agent`` of its
    ``queue.connect``, on SQLite and PostgreSQL alike) and those on its extensions."""
    _call(store, "q1", "13800138000", "8001", 1000.0)
    _call(store, "q2", "13800138000", "8001", 2000.0)
    _call(store, "out", "1001", "13900139000", 3000.0)
    _call(store, "in", "1004", "1001", 4000.0)
    _call(store, "other", "1004", "1005", 5000.0)
    for cid, agent, at in (("q1", "alice", 1001.0), ("q2", "bob", 2001.0)):
        store.append_event(Event("queue.connect", cid, {"queue": "sales", "agent": agent,
                                                        "extension": "1009", "caller": "x",
                                                        "wait": 1.0, "position": 1}, ts=at))
    items, total = store.list_calls(agent="alice", extensions=["1001"])
    assert [c.call_id for c in items] == ["in", "out", "q1"] and total == 3
    assert [c.call_id for c in store.list_calls(agent="alice")[0]] == ["q1"]
    assert [c.call_id for c in store.list_calls(agent="bob", extensions=["1005"])[0]] == ["other", "q2"]
    assert store.list_calls(agent="carol") == ([], 0)
    items, total = store.list_calls(agent="alice", extensions=["1001"], number="1004", limit=1)
    assert [c.call_id for c in items] == ["in"] and total == 1
    assert [c.call_id for c in store.list_calls(agent="bob", since=1500.0)[0]] == ["q2"]
    assert store.list_calls(agent="alice", since=1500.0) == ([], 0)
