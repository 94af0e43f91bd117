"""cdr_from_events: the pure projection, no database."""

from __future__ import annotations

import pytest

from kefu.bus import Event
from kefu.store import Invalid, cdr_from_events

START = Event("call.started", "c1", {"caller": "1001", "callee": "1002", "caller_name": "A"},
              ts=100.0)


def ended(ts: float, disposition: str, by: str = "caller", code: int | None = 200) -> Event:
    return Event("call.ended", "c1", {"disposition": disposition, "hangup_by": by,
                                      "sip_code": code}, ts=ts)


def test_answered_call() -> None:
    cdr = cdr_from_events([START, Event("call.ringing", "c1", ts=100.2),
                           Event("call.answered", "c1", ts=101.25),
                           Event("call.dtmf", "c1", {"digit": "1", "leg": "callee"}, ts=102.0),
                           ended(131.5, "answered", "callee")])
    assert (cdr.start_ts, cdr.answer_ts, cdr.end_ts) == (100.0, 101.25, 131.5)
    assert cdr.duration == pytest.approx(30.25)
    assert (cdr.caller, cdr.callee, cdr.caller_name) == ("1001", "1002", "A")
    assert (cdr.disposition, cdr.hangup_by, cdr.sip_code) == ("answered", "callee", 200)
    assert cdr.recording_path is None and cdr.recording_duration is None


@pytest.mark.parametrize("disposition,code", [
    ("busy", 486), ("no_answer", 480), ("cancelled", 487), ("not_found", 404),
    ("unavailable", 480), ("failed", 500),
])
def test_unanswered_calls_have_no_duration(disposition: str, code: int) -> None:
    cdr = cdr_from_events([START, ended(105.0, disposition, "system", code)])
    assert cdr.answer_ts is None and cdr.duration == 0.0 and cdr.end_ts == 105.0
    assert (cdr.disposition, cdr.sip_code) == (disposition, code)


def test_in_progress_call() -> None:
    cdr = cdr_from_events([START, Event("call.answered", "c1", ts=101.0)])
    assert cdr.end_ts is None and cdr.disposition is None and cdr.duration == 0.0


def test_last_recording_wins_first_answer_counts() -> None:
    cdr = cdr_from_events([
        START, Event("call.answered", "c1", ts=101.0), Event("call.answered", "c1", ts=150.0),
        Event("call.recording", "c1", {"path": "a.wav", "duration": 1}, ts=102.0),
        Event("call.recording", "c1", {"path": "b.wav", "duration": "9.5"}, ts=111.0),
        ended(111.0, "answered"), ended(200.0, "failed")])
    assert cdr.answer_ts == 101.0 and cdr.duration == 10.0 and cdr.disposition == "answered"
    assert (cdr.recording_path, cdr.recording_duration) == ("b.wav", 9.5)


def test_missing_fields_do_not_crash() -> None:
    cdr = cdr_from_events([Event("call.started", "c1", {}, ts=1.0),
                           Event("call.ended", "c1", {"sip_code": "bogus"}, ts=2.0)])
    assert (cdr.caller, cdr.callee, cdr.caller_name) == ("", "", "")
    assert cdr.sip_code is None and cdr.disposition is None and cdr.end_ts == 2.0


def test_needs_call_started_of_one_call() -> None:
    with pytest.raises(Invalid):
        cdr_from_events([Event("call.answered", "c1")])
    with pytest.raises(Invalid):
        cdr_from_events([])
    with pytest.raises(Invalid):
        cdr_from_events([START, Event("call.ended", "c2", {}, ts=101.0)])


def test_recording_started_names_the_file_until_the_recording_ends() -> None:
    started = Event("call.recording_started", "c1", {"path": "r/c1.wav"}, ts=101.0)
    live = cdr_from_events([START, Event("call.answered", "c1", ts=101.0), started])
    assert (live.recording_path, live.recording_duration) == ("r/c1.wav", None)
    done = cdr_from_events([START, started, Event("call.recording", "c1",
                                                  {"path": "r/c1.wav", "duration": 4}, ts=105.0),
                            ended(105.0, "answered")])
    assert (done.recording_path, done.recording_duration) == ("r/c1.wav", 4.0)


def test_the_last_survey_score_is_the_calls() -> None:
    def survey(ts: float, score: object) -> Event:
        return Event("ivr.survey", "c1", {"flow": "csat", "node": "ask", "score": score}, ts=ts)
    assert cdr_from_events([START, ended(110.0, "answered")]).survey_score is None
    cdr = cdr_from_events([START, Event("call.answered", "c1", ts=101.0), survey(150.0, 3),
                           survey(160.0, 4), survey(170.0, None), ended(171.0, "answered")])
    assert cdr.survey_score == 4           # a later survey without a score keeps it
