"""The timeline writers (kefu.crm.history): a call's events in, its customers' lines out,
once each, on SQLite and PostgreSQL."""

from __future__ import annotations

from kefu.bus import Event
from kefu.crm.history import CallHistory, call_line
from kefu.crm.service import Crm

EXTENSIONS = {"1001", "1002"}
T0 = 1_800_000_000.0


def local(number: str) -> bool:
    return number in EXTENSIONS


def inbound(call_id: str = "c1", caller: str = "+8613800138000") -> list[Event]:
    """A caller from a trunk through queue sales to agent ann at 1001, 133 s of talk."""
    return [
        Event("call.started", call_id, {"caller": caller, "callee": "400", "trunk": "t1"}, T0),
        Event("queue.entered", call_id, {"queue": "sales", "caller": caller}, T0 + 1),
        Event("queue.connect", call_id, {"queue": "sales", "agent": "ann",
                                         "extension": "1001", "caller": caller}, T0 + 5),
        Event("call.answered", call_id, {"callee": "1001"}, T0 + 5),
        Event("call.ended", call_id, {"disposition": "answered", "hangup_by": "caller"},
              T0 + 138),
    ]


class Log:
    """The event log's side: the events it wrote, by call."""

    def __init__(self, *calls: list[Event]) -> None:
        self.calls = {events[0].call_id: events for events in calls}

    def events(self, call_id: str) -> list[Event]:
        return list(self.calls.get(call_id, []))

    def ended_since(self, ts: float) -> list[str]:
        return [cid for cid, events in self.calls.items()
                if any(e.type == "call.ended" and e.ts >= ts for e in events)]


def history(crm: Crm, log: Log) -> CallHistory:
    return CallHistory(crm, log.events, ended_since=log.ended_since, local=local)


def feed(h: CallHistory, events: list[Event]) -> None:
    for e in events:
        h.on_event(e)


def test_an_inbound_call_is_the_callers_line(crm: Crm) -> None:
    c = crm.create_customer("0138 0013 8000", name="张三")
    other = crm.create_customer("13900139000")
    events = inbound()
    feed(history(crm, Log(events)), events)
    [line] = crm.timeline(c.id)
    assert (line.kind, line.ref, line.at, line.agent) == ("call", "c1", T0, "ann")
    assert line.data == {"direction": "inbound", "agent": "ann", "queue": "sales",
                         "duration": 133.0, "disposition": "answered", "call_id": "c1"}
    assert crm.timeline(other.id) == []


def test_handled_twice_writes_one_line(crm: Crm) -> None:
    c = crm.create_customer("13800138000")
    events = inbound()
    h = history(crm, Log(events))
    feed(h, events)
    feed(h, events)
    assert h.sync(0.0) == 1          # the start's catch-up finds it written already
    assert [e.ref for e in crm.timeline(c.id)] == ["c1"]


def test_a_shared_number_gives_each_customer_the_line(crm: Crm) -> None:
    a, b = crm.create_customer("13800138000"), crm.create_customer("+86 138 0013 8000")
    events = inbound()
    feed(history(crm, Log(events)), events)
    assert [e.ref for e in crm.timeline(a.id)] == [e.ref for e in crm.timeline(b.id)] == ["c1"]


def test_an_outbound_call_is_the_callees_line() -> None:
    events = [Event("call.started", "o1", {"caller": "1002", "callee": "13800138000"}, T0),
              Event("call.answered", "o1", {"callee": "13800138000"}, T0 + 10),
              Event("call.ended", "o1", {"disposition": "answered"}, T0 + 70)]
    line = call_line(events, local)
    assert line is not None and line.number == "13800138000"
    assert line.data == {"direction": "outbound", "agent": "1002", "queue": "",
                         "duration": 60.0, "disposition": "answered", "call_id": "o1"}


def test_internal_unended_and_unknown_calls_write_nothing(crm: Crm) -> None:
    c = crm.create_customer("13800138000")
    internal = [Event("call.started", "i1", {"caller": "1001", "callee": "1002"}, T0),
                Event("call.answered", "i1", {"callee": "1002"}, T0 + 1),
                Event("call.ended", "i1", {"disposition": "answered"}, T0 + 9)]
    assert call_line(internal, local) is None
    assert call_line(inbound()[:-1], local) is None              # not ended yet
    unknown = inbound("u1", caller="13700137000")                # no customer has it
    anonymous = inbound("a1", caller="anonymous")
    h = history(crm, Log(internal, unknown, anonymous))
    for events in (internal, unknown, anonymous):
        feed(h, events)
    assert crm.timeline(c.id) == []


def test_an_extension_calling_a_queue_is_a_customer() -> None:
    events = inbound("q1", caller="1002")
    events[0] = Event("call.started", "q1", {"caller": "1002", "callee": "8001"}, T0)
    line = call_line(events, local)
    assert line is not None and (line.number, line.data["direction"]) == ("1002", "inbound")


def test_an_unanswered_call_has_no_duration() -> None:
    events = [e for e in inbound() if e.type not in ("call.answered", "queue.connect")]
    events[-1] = Event("call.ended", "c1", {"disposition": "abandoned"}, T0 + 30)
    line = call_line(events, local)
    assert line is not None
    assert (line.data["duration"], line.data["agent"], line.data["queue"],
            line.data["disposition"]) == (0.0, "", "sales", "abandoned")


def test_survey_and_voicemail_lines(crm: Crm) -> None:
    c = crm.create_customer("13800138000")
    events = inbound()
    h = history(crm, Log(events))
    survey = Event("ivr.survey", "c1", {"flow": "survey", "score": 4}, T0 + 150)
    voicemail = Event("ivr.voicemail", "c1", {"mailbox": 3, "message_id": 17}, T0 + 160)
    for e in (survey, voicemail, survey, voicemail,
              Event("ivr.survey", "c1", {"score": None}, T0 + 170),        # no score given
              Event("ivr.voicemail", "c1", {"mailbox": 3, "message_id": None}, T0 + 180)):
        h.on_event(e)
    lines = crm.timeline(c.id)
    assert [(e.kind, e.ref, e.data) for e in lines] == [
        ("voicemail", "17", {"message_id": 17, "mailbox": 3, "call_id": "c1"}),
        ("survey", "c1", {"score": 4, "call_id": "c1"})]


def test_sync_writes_the_calls_ended_while_down(crm: Crm) -> None:
    c = crm.create_customer("13800138000")
    old, new = inbound("c0"), inbound("c2")
    new = [Event(e.type, e.call_id, e.data, e.ts + 1000) for e in new]
    h = history(crm, Log(old, new))
    assert h.sync(T0 + 500) == 1
    assert [e.ref for e in crm.timeline(c.id)] == ["c2"]
    assert crm.newest_entry_at("call") == T0 + 1000


def test_record_once_checks_its_input(crm: Crm) -> None:
    import pytest

    from kefu.store.errors import Invalid

    crm.create_customer("13800138000")
    with pytest.raises(Invalid):
        crm.record_once("13800138000", "sms", "x", T0)
    with pytest.raises(Invalid):
        crm.record_once("13800138000", "call", "", T0)
    assert crm.record_once("not a number", "call", "c9", T0) == []


def test_a_new_callers_first_call_joins_the_timeline_with_the_wrap_up_note(crm: Crm) -> None:
    """The caller is no customer while the call runs; the wrap-up note makes them one
    (``Crm.on_call_note``): the call's line and its survey score are written then, once."""
    events = inbound() + [Event("ivr.survey", "c1", {"score": 5}, T0 + 150)]
    h = history(crm, Log(events))
    crm.on_call_note.append(h.replay)
    feed(h, events)                                  # live: nobody to write them for
    note, customer, created = crm.add_call_note("c1", "138 0013 8000", agent="ann",
                                                type="inquiry", result="resolved",
                                                name="新客户")
    assert created
    assert sorted((e.kind, e.ref) for e in crm.timeline(customer.id)) == [
        ("call", "c1"), ("note", str(note.id)), ("survey", "c1")]
    crm.add_call_note("c1", "13800138000", agent="ann", type="praise", result="resolved")
    assert [e.kind for e in crm.timeline(customer.id)].count("call") == 1


def test_a_failing_hook_does_not_undo_the_note(crm: Crm) -> None:
    def broken(_call_id: str) -> None:
        raise RuntimeError("history away")

    crm.on_call_note.append(broken)
    note, customer, _ = crm.add_call_note("c9", "13800138000", agent="ann", type="inquiry",
                                          result="resolved")
    assert crm.contact_history(customer.id) == [note]
