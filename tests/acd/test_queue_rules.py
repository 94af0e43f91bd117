"""Queue rules in process: maximum wait and length with overflow (to a number or another
queue), joining and leaving an empty queue, the leave key, wrap-up and its timer, and
position announcements, over the fake switch and the fake clock."""

from __future__ import annotations

import wave

from conftest import queue

from kefu.acd.agents import AgentState
from kefu.calls.call import CallState, Disposition

S = AgentState


def test_after_max_wait_with_nobody_free_the_caller_overflows_to_its_number(desk):
    d = desk(queue(max_wait=30, overflow="1005"))
    call = d.call("2001")
    d.clock.advance(29.9)
    assert d.of("queue.overflow") == [] and call.state is CallState.QUEUED
    d.clock.advance(0.2)
    (over,) = d.of("queue.overflow")
    assert over["reason"] == "max_wait" and over["destination"] == "1005"
    assert over["wait"] == 30.0 and call.queue is None
    d.switch.answer("1005")
    assert call.state is CallState.CONNECTED and [m.number for m in call.room.members] == [
        "2001", "1005"]
    assert d.switch.recording == [call.id]


def test_max_wait_lets_a_ringing_offer_ring_out_then_overflows(desk):
    """An agent's phone is ringing when max wait is reached: it may still answer; when it
    does not, the caller overflows instead of being offered again."""
    d = desk(queue(max_wait=2, overflow="1005", retry=0.2, members={"alice": 1}))
    d.login("alice")
    call = d.call("2001")
    d.clock.advance(2.5)
    assert d.of("queue.overflow") == []             # alice's phone still rings
    d.switch.refuse("1001")
    (over,) = d.of("queue.overflow")
    assert over["reason"] == "max_wait" and d.switch.ringing("1005")
    assert d.acd.queue_status("sales")["waiting"] == 0 and call.state is CallState.QUEUED


def test_max_wait_without_an_overflow_number_ends_the_call_busy(desk):
    d = desk(queue(max_wait=5))
    call = d.call("2001")
    d.clock.advance(5)
    assert call.ended and d.of("call.ended")[0]["disposition"] == Disposition.BUSY.value


def test_a_full_queue_overflows_the_next_caller_to_another_queue(desk):
    d = desk(queue(max_length=1, overflow="8002"),
             queue("backup", "8002", members={"dave": 1}))
    first = d.call("2001")
    second = d.call("2002")
    (over,) = d.of("queue.overflow")
    assert over == {"queue": "sales", "reason": "full", "wait": 0.0, "position": 2,
                    "destination": "8002"}
    assert first.queue == "sales" and second.queue == "backup"
    d.login("dave")
    d.answer("dave")
    assert second.agent == "dave" and first.state is CallState.QUEUED


def test_a_full_queue_without_overflow_refuses_the_caller_busy(desk):
    d = desk(queue(max_length=1))
    d.call("2001")
    second = d.call("2002")
    (refused,) = d.of("queue.refused")
    assert refused == {"queue": "sales", "reason": "full", "caller": "2002"}
    assert second.ended and d.of("call.ended")[0]["sip_code"] == 486


def test_no_agent_logged_in_refuses_or_overflows_when_join_empty_is_off(desk):
    d = desk(queue(join_empty=False), queue("tiny", "8002", join_empty=False, overflow="1005"))
    call = d.call("2001")
    assert call.ended and d.of("queue.refused")[0]["reason"] == "empty"
    assert d.of("call.ended")[0]["sip_code"] == 480
    other = d.call("2002", queue="tiny")
    assert d.of("queue.overflow")[0]["reason"] == "empty" and d.switch.ringing("1005")
    assert other.state is CallState.QUEUED            # answered, music while 1005 rings


def test_the_last_agent_logging_out_sends_waiting_callers_on_when_leave_empty(desk):
    d = desk(queue(leave_empty=True, overflow="1005"))
    d.login("alice", ready=False)
    call = d.call("2001")
    d.acd.logout("alice")
    assert d.of("queue.overflow")[0]["reason"] == "empty" and d.switch.ringing("1005")
    assert call.state is CallState.QUEUED


def test_the_leave_key_sends_the_caller_to_the_overflow_number(desk):
    d = desk(queue(leave_key="0", overflow="1005"))
    call = d.call("2001")
    d.press(call, "5")
    assert d.of("queue.overflow") == []
    d.press(call, "0")
    assert d.of("queue.overflow")[0]["reason"] == "leave_key" and d.switch.ringing("1005")


def test_wrap_up_runs_out_on_the_clock_and_the_agent_takes_the_next_call(desk):
    d = desk(queue(wrap_up=10, members={"alice": 1}))
    d.login("alice")
    d.call("2001")
    d.answer("alice")
    d.clock.advance(42)
    d.agent_hangs_up("alice")
    (complete,) = d.of("queue.complete")
    assert complete["talk"] == 42.0 and complete["by"] == "agent"
    assert d.state("alice") is S.WRAP_UP
    d.call("2002")                                  # waits: alice is in wrap-up
    assert d.offered() == [["alice"]]
    d.clock.advance(9.9)
    assert d.state("alice") is S.WRAP_UP
    d.clock.advance(0.2)
    assert d.of("agent.wrap_up_end") == [{"agent": "alice", "by": "timer"}]
    assert d.state("alice") is S.RESERVED and d.offered() == [["alice"], ["alice"]]


def test_wrap_up_extended_or_ended_early(desk):
    d = desk(queue(wrap_up=10, members={"alice": 1}))
    d.login("alice")
    d.call("2001")
    d.answer("alice")
    d.agent_hangs_up("alice")
    d.acd.extend_wrap_up("alice", 20)
    d.clock.advance(29)
    assert d.state("alice") is S.WRAP_UP
    d.acd.end_wrap_up("alice")
    assert d.state("alice") is S.READY
    d.clock.advance(5)                               # the old timer is gone
    assert d.of("agent.wrap_up_end") == [{"agent": "alice"}]


def tone(path, seconds: float = 0.1) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(8000)
        w.writeframes(b"\0\0" * int(8000 * seconds))


def test_waiting_callers_hear_their_position_every_announce_interval(desk, tmp_path):
    prompts = tmp_path / "prompts" / "queue"
    for name in ("position", "wait", "minutes", "digits/1", "digits/2"):   # no 4
        tone(prompts / f"{name}.wav")
    d = desk(queue(announce_interval=30))
    first = d.call("2001")
    second = d.call("2002")
    d.clock.advance(29)
    assert d.of("queue.announce") == []
    d.clock.advance(1)
    said = [(a["position"], a["wait_minutes"]) for a in d.of("queue.announce")]
    assert said == [(1, 2), (2, 4)]            # no agent yet: a default handle time each
    assert [p.name for p in d.switch.prompts] == [
        "position.wav", "1.wav", "wait.wav", "2.wav", "minutes.wav",
        "position.wav", "2.wav", "wait.wav", "minutes.wav"]      # a missing file is skipped
    assert first.room.waiting and second.room.waiting      # music again after the prompts
    d.hang_up(first)
    d.clock.advance(30)
    assert [a["position"] for a in d.of("queue.announce")][2:] == [1]   # 2002 moved up
    d.clock.advance(30)
    assert len(d.of("queue.announce")) == 4
