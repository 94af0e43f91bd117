"""Offers in process: who is offered a waiting call, in which order, and what happens when
an offer is not taken (the next agent, the no-answer pause) or can no longer be (the
agent logs out, the caller hangs up).  The fake switch plays the phones, the fake clock
the ring timeouts: seconds of test for minutes of queue."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from conftest import AGENTS, queue
from fake_switch import Party

from kefu.acd.agents import AgentState
from kefu.calls.call import CallState

S = AgentState


def test_a_ready_agent_is_offered_the_call_and_connected_when_its_phone_answers(desk):
    d = desk(queue())
    d.login("alice")
    call = d.call("2001")
    assert d.offered() == [["alice"]] and d.state("alice") is S.RESERVED
    assert d.switch.ringing() and d.switch.ringing()[0].number == "1001"
    d.answer("alice")
    assert call.state is CallState.CONNECTED and call.agent == "alice"
    assert d.state("alice") is S.TALKING and d.connected("caller") == ["2001"]
    assert [m.number for m in call.room.members] == ["2001", "1001"]
    assert d.switch.recording == [call.id]


ORDERS = [  # strategy, members in order with levels, the first three offers
    ("longest_idle", {"alice": 1, "bob": 1, "carol": 1}, ["alice", "bob", "carol"]),
    ("top_down", {"carol": 1, "alice": 1, "bob": 1}, ["carol", "alice", "bob"]),
    ("skills", {"alice": 1, "bob": 9, "carol": 5}, ["bob", "carol", "alice"]),
    ("round_robin", {"bob": 1, "carol": 1, "alice": 1}, ["bob", "carol", "alice"]),
    ("ring_all", {"alice": 1, "bob": 1, "carol": 1}, None),
]


@pytest.mark.parametrize("strategy,members,first_three", ORDERS[:4])
def test_each_strategy_orders_its_offers_then_calls_go_first_come_to_whoever_frees_up(
        desk, strategy, members, first_three):
    """Alice, bob and carol go ready in that order; ten callers dial; the strategy picks
    among the ready agents, later callers wait and go, oldest first, to whoever frees."""
    d = desk(queue(strategy=strategy, members=members))
    d.login("alice", "bob", "carol")
    callers = [str(n) for n in range(2001, 2011)]
    for caller in callers:
        d.call(caller)
        d.answer_all()
        d.clock.advance(1)
    assert d.connected() == first_three
    freeing = ["alice", "bob", "carol", "alice", "bob", "carol", "alice"]
    for username in freeing:
        d.agent_hangs_up(username)
        d.answer_all()
    assert d.connected() == first_three + freeing
    assert d.connected("caller") == callers
    assert [c["by"] for c in d.of("queue.complete")] == ["agent"] * 7


def test_ring_all_rings_every_ready_agent_and_the_first_answer_wins(desk):
    d = desk(queue(strategy="ring_all"))
    d.login("alice", "bob", "carol")
    call = d.call("2001")
    assert d.offered() == [["alice", "bob", "carol"]]
    assert sorted(a.number for a in d.switch.ringing()) == ["1001", "1002", "1003"]
    d.answer("bob")
    assert call.agent == "bob" and d.switch.ringing() == []        # the others stop
    assert [d.state(u) for u in ("alice", "bob", "carol")] == [S.READY, S.TALKING, S.READY]
    assert all(a.cancelled for a in d.switch.attempts if a.number != "1002")


def test_an_offer_not_answered_goes_to_the_next_agent_and_the_first_backs_off(desk):
    """Alice's phone rings out (408): bob is offered at once; alice is ready again but
    is offered nothing for the queue's ``retry`` seconds."""
    d = desk(queue(retry=5, ring_timeout=4))
    d.login("alice", "bob")
    call = d.call("2001")
    assert d.switch.ringing("1001")[0].ring_timeout == 4        # the queue's, not sip's
    d.switch.refuse("1001", 408, "No Answer")
    assert d.offered() == [["alice"], ["bob"]]
    assert d.of("queue.ring_no_answer") == [{"queue": "sales", "agent": "alice",
                                             "code": 408, "reason": "No Answer"}]
    assert d.state("alice") is S.READY
    d.switch.refuse("1002", 486, "Busy Here")          # bob is busy: no one to offer now
    assert call.state is CallState.QUEUED and d.offered() == [["alice"], ["bob"]]
    d.clock.advance(4.9)
    assert len(d.offered()) == 2                        # alice still backing off
    d.clock.advance(0.2)
    assert d.offered()[-1] == ["alice"]
    d.answer("alice")
    assert call.agent == "alice" and d.acd.agents["alice"].no_answers == 0


def test_a_busy_agent_backs_off_for_busy_backoff_not_the_queues_retry(desk):
    d = desk(queue(retry=1), busy_backoff=8)
    d.login("alice")
    d.call("2001")
    d.switch.refuse("1001", 486, "Busy Here")
    d.clock.advance(7.9)
    assert d.offered() == [["alice"]]
    d.clock.advance(0.2)
    assert d.offered() == [["alice"], ["alice"]]


def test_offers_left_unanswered_pause_the_agent_with_reason_no_answer(desk):
    d = desk(queue(retry=1), no_answer_limit=2)
    d.login("alice", "bob")
    d.acd.set_state("bob", S.NOT_READY, "lunch")
    call = d.call("2001")
    d.switch.refuse("1001")
    assert d.state("alice") is S.READY and d.of("agent.pause", reason="no_answer") == []
    d.clock.advance(1)
    d.switch.refuse("1001")                          # the second in a row
    assert d.state("alice") is S.NOT_READY
    assert d.acd.agents["alice"].reason == "no_answer"
    (pause,) = d.of("agent.pause", reason="no_answer")
    assert pause["reason"] == "no_answer" and pause["by"] == "acd"
    d.clock.advance(60)
    assert d.offered() == [["alice"], ["alice"]]      # a paused agent is offered nothing
    d.acd.set_state("bob", S.READY)                  # the next agent takes the call
    assert d.offered()[-1] == ["bob"]
    d.answer("bob")
    assert call.agent == "bob"


def test_a_rejected_offer_counts_toward_the_pause_and_goes_to_the_next_agent(desk):
    d = desk(queue(), no_answer_limit=1)
    d.login("alice", "bob")
    d.call("2001")
    (attempt,) = d.switch.ringing("1001")
    d.acd.reject("alice")                            # from the desk, while the phone rings
    assert attempt.cancelled and d.of("queue.ring_no_answer")[0]["code"] == 603
    assert d.state("alice") is S.NOT_READY and d.offered() == [["alice"], ["bob"]]


def test_an_agent_logging_out_while_offered_stops_the_ringing_and_the_call_waits(desk):
    d = desk(queue())
    d.login("alice")
    call = d.call("2001")
    (attempt,) = d.switch.ringing("1001")
    d.acd.logout("alice", by="sue")
    assert attempt.cancelled and d.state("alice") is S.LOGGED_OUT
    assert call.state is CallState.QUEUED and d.acd.queue_status("sales")["waiting"] == 1
    assert d.of("queue.ring_no_answer") == []        # not the agent's fault: no count
    d.login("bob")
    assert d.offered() == [["alice"], ["bob"]]
    d.answer("bob")
    assert call.agent == "bob" and d.connected("caller") == ["2001"]


def test_the_caller_hanging_up_while_offered_withdraws_the_offer(desk):
    d = desk(queue())
    d.login("alice")
    call = d.call("2001")
    d.clock.advance(3)
    (attempt,) = d.switch.ringing("1001")
    d.hang_up(call)
    assert attempt.cancelled and d.state("alice") is S.READY
    assert d.acd.agents["alice"].call_id is None and d.acd.agents["alice"].no_answers == 0
    (abandon,) = d.of("queue.abandon")
    assert abandon["caller"] == "2001" and abandon["wait"] == 3.0
    assert d.acd.queue_status("sales")["waiting"] == 0
    d.call("2002")                                   # alice is free for the next one
    assert d.offered()[-1] == ["alice"]


def test_an_answer_crossing_the_callers_hang_up_is_dropped(desk):
    d = desk(queue())
    d.login("alice")
    call = d.call("2001")
    (attempt,) = d.switch.ringing("1001")
    d.hang_up(call)
    phone = Party("1001")                           # its 200 OK was already on the way
    attempt.on_answer(call, attempt, SimpleNamespace(sip=phone, rtp=object()), None)
    assert phone.hung_up and d.state("alice") is S.READY and d.connected() == []


def test_a_vip_tier_puts_a_later_caller_first(desk):
    """Gold is worth priority 5: at 60 s per priority point, a gold caller arriving 10 s
    after another is offered first; a tier learned while waiting moves the caller up."""
    d = desk(queue(tiers={"gold": 5}), priority_seconds=60)
    first = d.call("2001")
    d.clock.advance(10)
    gold = d.call("2002", data={"tier": "gold"})
    d.clock.advance(10)
    third = d.call("2003")
    d.clock.advance(10)
    d.acd.set_data(third, {"tier": "gold"})         # learned while it waits
    (moved,) = d.of("queue.priority")
    assert moved["priority"] == 5 and moved["position"] == 2
    assert [c["caller"] for c in d.acd.queue_status("sales")["calls"]] == [
        "2002", "2003", "2001"]
    d.login("alice")
    d.answer("alice")
    d.login("bob")
    d.answer("bob")
    d.login("carol")
    d.answer("carol")
    assert d.connected("caller") == ["2002", "2003", "2001"]
    assert (gold.agent, third.agent, first.agent) == ("alice", "bob", "carol")


def test_customer_routing_waits_for_the_callers_last_agent_then_takes_anyone(desk):
    d = desk(queue(strategy="customer", prefer_timeout=3, members={"alice": 1, "bob": 1}))
    d.login("alice", "bob")
    d.call("2001")
    d.answer("alice")
    d.agent_hangs_up("alice")
    d.acd.set_state("alice", S.NOT_READY, "break")
    d.call("2001")                                   # alice served 2001 before: it waits
    assert d.offered() == [["alice"]]
    d.clock.advance(2.9)
    assert d.offered() == [["alice"]]
    d.clock.advance(0.2)                             # the preference runs out
    assert d.offered() == [["alice"], ["bob"]]


def test_fewest_calls_then_least_talk_time_pick_by_todays_history(desk):
    """Carol answers two short calls, bob one long one, alice none; then they go ready in
    the order carol, bob, alice (longest idle would pick carol first)."""
    d = desk(queue("fewest", "8021", strategy="fewest_calls"),
             queue("least", "8022", strategy="least_talk"))
    for username, talk in (("carol", 10), ("carol", 10), ("bob", 40)):
        d.acd.login(username, AGENTS[username], queues=["fewest"], ready=True)
        d.call("2001", queue="fewest")
        d.answer(username)
        d.clock.advance(talk)
        d.agent_hangs_up(username)
        d.acd.logout(username)
    assert {u: d.acd.describe(d.acd.agents[u])["answered"] for u in d.acd.agents} == {
        "alice": 0, "bob": 1, "carol": 2}

    def round_(name: str) -> list[str]:
        for username in ("carol", "bob", "alice"):
            d.acd.login(username, AGENTS[username], queues=[name], ready=True)
            d.clock.advance(1)
        start = len(d.connected())
        for caller, talk in (("2001", 1), ("2002", 2), ("2003", 3)):
            d.call(caller, queue=name)
            d.answer_all()
            d.clock.advance(talk)
        for username in ("carol", "bob", "alice"):
            d.agent_hangs_up(username)
            d.acd.logout(username)
        return d.connected()[start:]

    assert round_("fewest") == ["alice", "bob", "carol"]
    # talk so far: alice 1 + 2 + 3 s, carol 20 + 3 s, bob 40 + 2 + 3 s
    talk = {u: d.acd.describe(d.acd.agents[u])["talk_time"] for u in ("alice", "bob", "carol")}
    assert talk["alice"] < talk["carol"] < talk["bob"], talk
    assert round_("least") == ["alice", "carol", "bob"]


def test_a_pause_ends_with_an_unpause_saying_how_long_it_lasted(desk):
    d = desk(queue())
    d.login("alice")
    d.acd.set_state("alice", S.NOT_READY, "lunch")
    d.clock.advance(90)
    d.acd.set_state("alice", S.READY, by="sue")
    (unpause,) = d.of("agent.unpause", reason="lunch")
    assert unpause == {"agent": "alice", "state": "ready", "reason": "lunch", "paused": 90.0,
                       "by": "sue"}
