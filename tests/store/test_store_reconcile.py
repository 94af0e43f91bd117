"""Calls a crash cut off are closed at start as ``interrupted``: the pure decision
(``unfinished``) without a database, then ``reconcile`` on both backends."""

from __future__ import annotations

import pytest

from kefu.bus import Event
from kefu.calls.call import Disposition
from kefu.store import DISPOSITIONS, Store, cdr_from_events
from kefu.store.reconcile import INTERRUPTED, reconcile, unfinished

T = 1_700_000_000.0


def _started(call_id: str = "c1", ts: float = T) -> Event:
    return Event("call.started", call_id, {"caller": "1001", "callee": "1002"}, ts=ts)


def _talking(call_id: str = "c1", path: str | None = "r/c1.wav") -> list[Event]:
    """Answered at T+2 and recording from then on; last heard of at T+4 (a DTMF)."""
    events = [_started(call_id), Event("call.ringing", call_id, ts=T + 0.5),
              Event("call.answered", call_id, {"callee": "1002"}, ts=T + 2)]
    if path:
        events.append(Event("call.recording_started", call_id, {"path": path}, ts=T + 2))
    return events + [Event("call.dtmf", call_id, {"digit": "5"}, ts=T + 4)]


def test_the_store_and_the_switch_name_the_disposition_alike() -> None:
    assert Disposition.INTERRUPTED.value == INTERRUPTED
    assert {d.value for d in Disposition} == set(DISPOSITIONS)


def test_a_call_recording_past_its_last_event_ends_when_the_recording_does() -> None:
    call = unfinished(_talking())
    assert call is not None
    assert (call.call_id, call.last_ts, call.recording, call.recording_ts) == \
        ("c1", T + 4, "r/c1.wav", T + 2)
    closing = call.closing(recorded=5.5)
    assert [(e.type, e.ts) for e in closing] == [("call.recording", T + 7.5),
                                                 ("call.ended", T + 7.5)]
    assert closing[0].data == {"path": "r/c1.wav", "duration": 5.5}
    assert closing[1].data == {"disposition": "interrupted", "hangup_by": "system",
                               "sip_code": None}
    cdr = cdr_from_events(_talking() + closing)
    assert (cdr.disposition, cdr.answer_ts, cdr.end_ts, cdr.duration) == \
        ("interrupted", T + 2, T + 7.5, 5.5)
    assert (cdr.recording_path, cdr.recording_duration) == ("r/c1.wav", 5.5)


def test_the_last_event_wins_over_a_short_recording() -> None:
    """A recording that lost its last seconds must not move the end before what the log saw."""
    closing = unfinished(_talking()).closing(recorded=0.5)
    assert [e.ts for e in closing] == [T + 4, T + 4]
    assert closing[0].data["duration"] == 0.5


def test_a_missing_recording_or_none_at_all() -> None:
    (ended,) = unfinished(_talking()).closing(recorded=None)          # file gone
    assert (ended.type, ended.ts) == ("call.ended", T + 4)
    call = unfinished(_talking(path=None))
    assert call.recording is None
    assert [e.type for e in call.closing(recorded=3.0)] == ["call.ended"]


def test_ringing_when_cut_off() -> None:
    events = [_started(), Event("call.ringing", "c1", ts=T + 0.5)]
    (ended,) = unfinished(events).closing(None)
    cdr = cdr_from_events(events + [ended])
    assert (cdr.disposition, cdr.answer_ts, cdr.end_ts, cdr.duration) == \
        ("interrupted", None, T + 0.5, 0.0)


def test_a_recording_closed_before_the_crash_is_not_measured_again() -> None:
    events = _talking() + [Event("call.recording", "c1", {"path": "r/c1.wav", "duration": 3.0},
                                 ts=T + 5)]
    call = unfinished(events)
    assert call.recording is None and call.last_ts == T + 5
    assert [e.type for e in call.closing(None)] == ["call.ended"]


def test_ended_or_never_started_calls_are_left_alone() -> None:
    ended = Event("call.ended", "c1", {"disposition": "answered"}, ts=T + 9)
    assert unfinished(_talking() + [ended]) is None
    assert unfinished([Event("call.dtmf", "c1", ts=T)]) is None
    assert unfinished([]) is None


def test_reconcile_closes_cut_off_calls_and_derives_missing_cdrs(store: Store) -> None:
    store.append_events(_talking("cut"))                   # killed while talking
    store.append_events(_talking("norec", path=None) + [    # killed between event and CDR
        Event("call.ended", "norec", {"disposition": "answered", "hangup_by": "caller",
                                      "sip_code": 200}, ts=T + 6)])
    store.append_events(_talking("done") + [
        Event("call.ended", "done", {"disposition": "answered"}, ts=T + 8)])
    store.derive_cdr("done")
    store.append_events([Event("queue.entered", "q-only", {"queue": "q"}, ts=T)])
    measured: list[str] = []

    def recorded(path: str) -> float:
        measured.append(path)
        return 6.0

    assert store.calls_without_cdr() == ["cut", "norec"]
    assert reconcile(store, recorded) == 1
    assert measured == ["r/c1.wav"]
    cut = store.get_call("cut")
    assert (cut.disposition, cut.hangup_by, cut.end_ts, cut.duration) == \
        ("interrupted", "system", T + 8, 6.0)
    assert (cut.recording_path, cut.recording_duration) == ("r/c1.wav", 6.0)
    assert [e.type for e in store.events_for_call("cut")][-2:] == ["call.recording",
                                                                   "call.ended"]
    assert store.get_call("norec").disposition == "answered"
    assert store.calls_without_cdr() == []
    assert reconcile(store, recorded) == 0                 # the next start: nothing to do
    assert measured == ["r/c1.wav"]
    assert store.list_calls()[1] == 3


def test_reconcile_goes_on_past_a_call_it_cannot_close(store: Store,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    store.append_events(_talking("bad") + _talking("good"))

    measured: list[str] = []

    def recorded(path: str) -> float:
        measured.append(path)
        if len(measured) == 1:
            raise RuntimeError("disk on fire")
        return 2.0

    assert reconcile(store, recorded) == 1
    assert store.get_call("bad") is None and store.get_call("good").disposition == "interrupted"
    assert "could not close call bad" in caplog.text
