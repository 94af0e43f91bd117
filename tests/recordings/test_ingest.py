"""A call's events become its recordings' rows: the pure rule on made-up event lists, then
:class:`Ingest` saving them (in progress, done, finished once, a crash's leftovers at
start) on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest

from kefu.bus import Event, LocalBus
from kefu.eventlog import EventLog
from kefu.recordings.ingest import Ingest, segments
from kefu.recordings.service import Recording, Recordings, Search
from kefu.store import Store

EXTENSIONS = {"1001", "1002", "1003"}


def local(number: str) -> bool:
    return number in EXTENSIONS


def customers(number: str) -> int | None:
    return {"13800138000": 7, "02155550000": 9}.get(number)


def ev(type_: str, ts: float, call: str = "c1", **data: object) -> Event:
    return Event(type=type_, call_id=call, data=data, ts=ts)


def queued_call(call: str = "c1") -> list[Event]:
    """From a trunk to queue sales, ann takes it, 30 s recorded with a pause, hung up."""
    return [
        ev("call.started", 100.0, call, caller="13800138000", callee="800", caller_name="",
           trunk="carrier"),
        ev("call.answered", 100.5, call),
        ev("queue.entered", 100.6, call, queue="sales", caller="13800138000", position=1,
           priority=0, preferred=None),
        ev("queue.connect", 110.0, call, queue="sales", agent="ann", extension="1001",
           caller="13800138000", wait=9.4, position=1),
        ev("call.recording_started", 110.1, call, path=f"/rec/{call}.wav", segment=1,
           policy="rule:sales"),
        ev("call.recording_paused", 115.0, call, segment=1, at=4.9, by="ann"),
        ev("call.recording_resumed", 120.0, call, segment=1, at=9.9, by="ann"),
        ev("call.recording", 140.1, call, path=f"/rec/{call}.wav", duration=30.0),
        ev("call.ended", 140.2, call, disposition="answered", hangup_by="caller",
           sip_code=200),
    ]


def test_a_queued_call_has_all_its_metadata() -> None:
    (rec,) = segments(queued_call(), local, customers)
    assert (rec.call_id, rec.segment, rec.journey) == ("c1", 1, "c1")
    assert (rec.caller, rec.callee, rec.started_at, rec.duration) == (
        "13800138000", "800", 110.1, 30.0)
    assert (rec.agent, rec.queue, rec.customer_id, rec.direction) == (
        "ann", "sales", 7, "inbound")
    assert (rec.disposition, rec.policy, rec.tier, rec.codec, rec.state) == (
        "answered", "rule:sales", "live", "wav", "done")
    assert rec.path == "/rec/c1.wav" and rec.paused == ((4.9, 9.9),)


def test_in_progress_the_row_is_recording_and_an_open_pause_is_left_out() -> None:
    (rec,) = segments(queued_call()[:6], local, customers)
    assert (rec.state, rec.duration, rec.disposition, rec.paused) == (
        "recording", 0.0, None, ())
    assert segments(queued_call()[:4], local, customers) == []     # not recorded yet


def test_direction_agent_and_customer_of_direct_calls() -> None:
    internal = [ev("call.started", 1.0, caller="1001", callee="1002", caller_name="",
                   trunk=None),
                ev("call.answered", 2.0, callee="1002"),
                ev("call.recording_started", 2.0, path="/r.wav"),
                ev("call.recording", 9.0, path="/r.wav", duration=7.0,
                   paused=[[1.0, 2.0]])]
    (rec,) = segments(internal, local, customers)
    assert (rec.direction, rec.agent, rec.customer_id, rec.queue) == (
        "internal", "1002", None, None)
    assert rec.paused == ((1.0, 2.0),)      # the closing event's spans win
    outbound = [ev("call.started", 1.0, caller="1001", callee="02155550000", trunk=None),
                ev("call.answered", 2.0, callee="02155550000"), *internal[2:]]
    (out,) = segments(outbound, local, customers)
    assert (out.direction, out.customer_id, out.agent) == ("outbound", 9, "02155550000")
    from_outside = [ev("call.started", 1.0, caller="13800138000", callee="1002",
                       trunk=None), *internal[1:]]
    assert segments(from_outside, local, customers)[0].direction == "inbound"


def test_segments_after_a_transfer_each_get_their_agent() -> None:
    events = [*queued_call()[:5],
              ev("call.recording", 130.0, path="/rec/c1.wav", segment=1, duration=20.0),
              ev("queue.connect", 131.0, queue="support", agent="bob", extension="1002",
                 caller="13800138000", wait=1.0, position=1),
              ev("call.recording_started", 131.0, path="/rec/c1-2.wav", segment=2),
              ev("call.recording", 150.0, path="/rec/c1-2.wav", segment=2, duration=19.0),
              ev("call.ended", 150.0, disposition="answered", hangup_by="caller",
                 sip_code=200)]
    first, second = segments(events, local, customers)
    assert (first.segment, first.agent, first.queue, first.duration) == (1, "ann", "sales", 20)
    assert (second.segment, second.agent, second.queue, second.path) == (
        2, "bob", "support", "/rec/c1-2.wav")
    consult = [ev("call.started", 1.0, "k1", caller="1001", callee="1003", trunk=None),
               ev("call.answered", 2.0, "k1", callee="1003"),
               ev("call.recording_started", 2.0, "k1", path="/k.wav", linked_to="c1")]
    assert segments(consult, local, customers)[0].journey == "c1"


def test_a_call_a_crash_cut_off_is_interrupted() -> None:
    """What store.reconcile appends: call.recording (path, measured duration; no segment)
    then call.ended interrupted."""
    events = [*queued_call()[:6],
              ev("call.recording", 118.0, path="/rec/c1.wav", duration=7.9),
              ev("call.ended", 118.0, disposition="interrupted", hangup_by="system",
                 sip_code=None)]
    (rec,) = segments(events, local, customers)
    assert (rec.state, rec.duration, rec.disposition) == ("interrupted", 7.9, "interrupted")
    assert rec.paused == ((4.9, 7.9),)      # paused when it died: silence to the end
    unreadable = [*queued_call()[:5], events[-1]]
    assert segments(unreadable, local, customers)[0].state == "interrupted"


class Log:
    """A stand-in for the store's events: a call's events by id."""

    def __init__(self) -> None:
        self.calls: dict[str, list[Event]] = {}

    def events(self, call_id: str) -> list[Event]:
        return list(self.calls.get(call_id, []))

    def recorded_since(self, ts: float) -> list[str]:
        return [c for c, evs in self.calls.items()
                if any(e.type == "call.recording_started" and e.ts >= ts for e in evs)]


def test_ingest_saves_rows_as_the_call_goes_and_finishes_each_once(
        recordings: Recordings) -> None:
    log = Log()
    ingest = Ingest(recordings, log.events, log.recorded_since, local, customers)
    finished: list[Recording] = []
    ingest.on_done.append(finished.append)
    call = queued_call()
    for i, event in enumerate(call):
        log.calls["c1"] = call[:i + 1]
        ingest.on_event(event)
        if event.type == "call.recording_started":
            (row,) = recordings.for_call("c1")
            assert (row.state, row.agent) == ("recording", "ann")
    (row,) = recordings.for_call("c1")
    assert (row.state, row.duration, row.disposition) == ("done", 30.0, "answered")
    assert [r.id for r in finished] == [row.id]       # at call.recording, not again at end
    # the lifecycle compressed it: a later pass keeps its file, updates the call's metadata
    recordings.update(row.id, path="/rec/c1.flac", codec="flac", size=123, sha256="ab" * 32)
    ingest.call("c1")
    again = recordings.get(row.id)
    assert (again.path, again.codec, again.size, again.state) == (
        "/rec/c1.flac", "flac", 123, "done")
    assert len(finished) == 1


def test_sync_at_start_catches_up_missing_and_unfinished_rows(
        recordings: Recordings) -> None:
    log = Log()
    ingest = Ingest(recordings, log.events, log.recorded_since, local, customers)
    log.calls["c1"] = queued_call("c1")[:5]        # a row in state recording...
    ingest.call("c1")
    log.calls["c1"] = [*queued_call("c1")[:5],     # ...then the crash; reconcile closed it
                       ev("call.recording", 120.0, path="/rec/c1.wav", duration=9.9),
                       ev("call.ended", 120.0, disposition="interrupted",
                          hangup_by="system", sip_code=None)]
    log.calls["c2"] = queued_call("c2")             # never ingested (killed before its hook)
    finished: list[Recording] = []
    ingest.on_done.append(finished.append)
    assert ingest.sync() == 2
    states = {r.call_id: (r.state, r.duration) for r in recordings.search(Search()).items}
    assert states == {"c1": ("interrupted", 9.9), "c2": ("done", 30.0)}
    assert sorted(r.call_id for r in finished) == ["c1", "c2"]
    ingest.sync()                                   # again: nothing finishes a second time
    assert len(finished) == 2


@pytest.mark.unchecked_events
async def test_the_event_log_feeds_the_rows_as_it_writes(store: Store,
                                                         recordings: Recordings) -> None:
    """EventLog.after_write wired as app.py does: a row while recording, done at the end,
    a failing callback logged without stopping the writer."""
    bus = LocalBus(asyncio.get_running_loop())
    log = EventLog(store, bus)
    ingest = Ingest(recordings, store.events_for_call,
                    lambda ts: [e.call_id or "" for e in
                                store.events_since(ts, "call.recording_started")],
                    local, customers)

    def broken(_event: Event) -> None:
        raise RuntimeError("a broken callback")

    log.after_write += [broken, ingest.on_event]
    log.start()
    call = queued_call()
    for event in call[:5]:
        bus.publish(event)
    await log.drain()
    (row,) = recordings.for_call("c1")
    assert (row.state, row.agent) == ("recording", "ann")
    for event in call[5:]:
        bus.publish(event)
    await log.drain()
    await log.stop()
    (row,) = recordings.for_call("c1")
    assert (row.state, row.duration, row.disposition) == ("done", 30.0, "answered")
    assert store.get_call("c1").disposition == "answered"  # type: ignore[union-attr]


def test_the_switch_names_the_agent_of_a_segment() -> None:
    """The started event's agent (the ACD's, still in the call) wins; after a blind
    transfer to an extension no agent took, the party on the agent's channel is it."""
    events = [*queued_call()[:4],
              ev("call.recording_started", 110.1, path="/rec/c1.wav", segment=1,
                 policy="all", agent="ann", parties=["1001"]),
              ev("call.recording", 130.0, path="/rec/c1.wav", segment=1, duration=20.0),
              ev("call.recording_started", 131.0, path="/rec/c1-2.wav", segment=2,
                 policy="all", agent=None, parties=["1003"]),
              ev("call.recording", 150.0, path="/rec/c1-2.wav", segment=2, duration=19.0),
              ev("call.ended", 150.0, disposition="answered", hangup_by="caller",
                 sip_code=200)]
    first, second = segments(events, local, customers)
    assert (first.agent, second.agent) == ("ann", "1003")
