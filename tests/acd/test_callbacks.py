"""Callbacks and persistent lines in process: a caller who asks to be called back keeps
its place; its turn rings the agent first, then the customer; a missed customer is tried
again after ``callback_retry`` until ``callback_attempts`` are used up.  An agent on a
persistent line answers or rejects offers from the desk, and the ACD's own ring timeout
applies there."""

from __future__ import annotations

from conftest import queue

from kefu.acd.agents import AgentState
from kefu.calls.call import CallState, Disposition

S = AgentState


def callback_queue(**kw):
    kw.setdefault("members", {"carol": 1})
    return queue("callback", "8003", callback_key="9", callback_attempts=2,
                 callback_retry=60, **kw)


def test_a_callback_keeps_the_callers_place_and_rings_the_agent_then_the_customer(desk):
    d = desk(callback_queue())
    call = d.call("2001", queue="callback")
    d.clock.advance(5)
    d.call("2002", queue="callback")
    d.press(call, "9")
    (asked,) = d.of("queue.callback")
    assert asked == {"queue": "callback", "number": "2001", "position": 1, "wait": 5.0}
    assert call.ended and d.of("call.ended")[0]["disposition"] == Disposition.CALLBACK.value
    assert d.acd.queue_status("callback")["callbacks_waiting"] == 1
    d.login("carol")                               # the callback is still first in line
    (placed,) = d.switch.placed
    assert (placed.first, placed.second, placed.caller_id) == ("1003", "2001", "8003")
    assert d.offered() == [["carol"]] and d.of("queue.offer")[0]["callback"] == "2001"
    d.switch.first_answers(placed)                 # carol picks up: the customer is dialled
    connect = d.of("queue.callback_connect")[0]
    assert connect["agent"] == "carol" and connect["original_call"] == call.id
    assert d.state("carol") is S.TALKING
    d.switch.second_answers(placed)
    (answered,) = d.of("queue.callback_answered")
    assert answered["number"] == "2001"
    assert d.acd.figures.queue("callback").callbacks_connected == 1
    d.hang_up(placed.call, by="callee")            # the customer hangs up
    assert d.of("queue.complete", by="caller")[0]["agent"] == "carol"
    assert d.offered()[-1] == ["carol"]            # 2002 is next


def called_back(desk):
    """2001 asks for a callback; carol logs in and answers its turn: 2001 is dialled."""
    d = desk(callback_queue())
    call = d.call("2001", queue="callback")
    d.press(call, "9")
    d.login("carol")
    d.switch.first_answers(d.switch.placed[0])
    return d, call, d.switch.placed[0]


def test_a_missed_callback_is_tried_again_then_given_up(desk):
    d, call, placed = called_back(desk)
    d.switch.second_fails(placed, 486)            # the customer is busy
    (retry,) = d.of("queue.callback_retry")
    assert retry["attempt"] == 1 and retry["retry_in"] == 60 and retry["code"] == 486
    assert len(d.switch.placed) == 1
    d.clock.advance(59)
    assert len(d.switch.placed) == 1
    d.clock.advance(1)                             # back in line, carol is ready: again
    again = d.switch.placed[1]
    assert again.second == "2001"
    d.switch.first_answers(again)
    d.switch.second_fails(again, 480, "Temporarily Unavailable")
    (failed,) = d.of("queue.callback_failed")
    assert failed["attempt"] == 2 and failed["original_call"] == call.id
    d.clock.advance(600)
    assert len(d.switch.placed) == 2 and d.acd.queue_status("callback")["waiting"] == 0


def test_a_number_that_cannot_exist_is_not_called_back_twice(desk):
    d, _, placed = called_back(desk)
    d.switch.second_fails(placed, 404, "Not Found")
    assert d.of("queue.callback_failed")[0]["code"] == 404
    assert d.of("queue.callback_retry") == []


def test_the_agent_not_answering_a_callback_puts_it_back_for_the_next_agent(desk):
    d = desk(callback_queue(members={"carol": 1, "dave": 1}))
    call = d.call("2001", queue="callback")
    d.press(call, "9")
    d.login("carol", "dave")
    d.switch.first_fails(d.switch.placed[0], 408)
    assert d.of("queue.ring_no_answer")[0]["agent"] == "carol"
    assert d.offered() == [["carol"], ["dave"]] and d.switch.placed[1].first == "1004"


def test_a_persistent_line_gets_offers_on_the_desk_and_the_acds_ring_timeout(desk):
    d = desk(queue(ring_timeout=15, retry=1, members={"alice": 1}))
    d.acd.login("alice", "1001", ready=True, persistent=True)
    assert d.state("alice") is S.NOT_READY            # until the phone answers its line
    d.switch.line_up("1001")
    assert d.state("alice") is S.READY and d.of("agent.line")[0]["state"] == "open"
    call = d.call("2001")
    assert d.offered() == [["alice"]] and d.switch.ringing() == []   # nothing rings
    assert d.of("queue.offer")[0]["timeout"] == 15    # the desk counts it down
    d.clock.advance(15)                               # not answered on the desk
    assert d.of("queue.ring_no_answer")[0]["code"] == 408
    d.clock.advance(1)
    d.acd.answer("alice")
    assert call.state is CallState.CONNECTED and call.agent == "alice"
    line = d.acd.agents["alice"].line
    assert line in call.room.members and line.home is not call
    d.hang_up(call)                                   # the line goes home, still open
    assert d.switch.idle_line("1001") is line and d.state("alice") is S.READY


def test_rejecting_on_a_persistent_line_offers_the_next_agent(desk):
    d = desk(queue(members={"alice": 1, "bob": 1}), busy_backoff=10)
    for username, ext in (("alice", "1001"), ("bob", "1002")):
        d.acd.login(username, ext, ready=True, persistent=True)
        d.switch.line_up(ext)
        d.clock.advance(1)
    d.call("2001")
    d.acd.reject("alice")
    assert d.offered() == [["alice"], ["bob"]]
    assert d.of("queue.ring_no_answer")[0]["code"] == 603
    d.acd.answer("bob")
    d.call("2002")
    d.clock.advance(9.9)
    assert len(d.offered()) == 2                      # alice backs off busy_backoff
    d.clock.advance(0.2)
    assert d.offered()[-1] == ["alice"]


def test_the_line_dropping_logs_the_agent_out(desk):
    d = desk(queue(members={"alice": 1}))
    d.acd.login("alice", "1001", ready=True, persistent=True)
    session, _ = d.switch.line_up("1001")
    d.hang_up(session)
    assert d.state("alice") is S.LOGGED_OUT
    assert [e["state"] for e in d.of("agent.line")] == ["open", "closed"]
