"""A browser desk that goes away and comes back (issue 15): its line lost or its page
saying it is leaving starts a grace period in which the agent keeps its call and state
and an idle agent is offered nothing; the desk's next line is re-bound to the same
member; after the grace period the call goes back to its queue at its old place (or
ends) and the agent is logged out with the reason kept for its next sign-in.

The fake switch plays the switch's side (``line_lost``, ``rebind_line``) as call control
drives it for a browser (``open_webrtc_line``: ``keep`` is ``Acd.line_lost``)."""

from __future__ import annotations

from conftest import AGENTS, queue
import pytest
from fake_switch import Party, incoming

from kefu.acd.agents import AgentState as S
from kefu.acd.core import AcdError
from kefu.calls.call import CallState
from kefu.calls.errors import Kind


def browser(d, username: str, ready: bool = True):
    """``username`` logs in with device webrtc and its desk's line comes up."""
    d.acd.login(username, AGENTS[username], ready=ready, device="webrtc")
    session, member = d.switch.open_line(AGENTS[username], Party(AGENTS[username]), object())
    d.acd.attach_line(AGENTS[username], session, member)
    d.clock.advance(1)
    return member


def lose(d, username: str) -> bool:
    """The desk's line goes away (call control asks the ACD whether to keep it)."""
    member = d.acd.agents[username].line
    kept = d.acd.line_lost(AGENTS[username])
    if kept:
        d.switch.line_lost(member)
    return kept


def come_back(d, username: str):
    """The reloaded desk's new line is re-bound to the same member."""
    member = d.acd.agents[username].line
    call = d.switch.rebind_line(member, Party(AGENTS[username]), object())
    d.acd.attach_line(AGENTS[username], member.home, member)
    return call


def talking(d, username: str = "alice"):
    call = d.call("2001")
    d.acd.answer(username)
    assert d.state(username) is S.TALKING
    return call


def test_a_lost_line_in_a_call_leaves_the_member_absent_and_the_call_up(desk):
    d = desk(queue(members={"alice": 5}))
    member = browser(d, "alice")
    call = talking(d)
    session = d.acd.agents["alice"].session
    assert lose(d, "alice")
    assert member in call.room.members and member.absent and not call.ended
    assert d.state("alice") is S.TALKING                    # the agent keeps its state
    assert d.of("agent.line", state="lost")[0]["grace"] == 30.0
    # the customer alone with an absent agent hears music, as while someone holds
    caller = call.room.find_role("caller")
    assert call.room.matrix("moh")[caller] == ["moh"] and member not in call.room.matrix("moh")
    d.clock.advance(20)
    assert come_back(d, "alice") is call
    agent = d.acd.agents["alice"]
    assert not member.absent and agent.line is member and agent.session is session
    assert call.room.matrix("moh")[caller] == [member.rtp]
    assert d.of("agent.line", state="restored") and not agent.absent
    d.clock.advance(60)                                     # no grace timer left behind
    assert d.state("alice") is S.TALKING and not call.ended and not d.of("agent.logout")


def test_the_grace_period_over_requeues_the_call_at_its_old_place(desk):
    d = desk(queue(members={"alice": 5, "bob": 5}))
    browser(d, "alice")
    first = talking(d)                                      # alice takes 2001's call
    d.clock.advance(5)
    later = d.call("2002")                                  # waits: bob is not logged in
    assert lose(d, "alice")
    d.clock.advance(30)
    assert d.state("alice") is S.LOGGED_OUT
    logout = d.of("agent.logout")[-1]
    assert logout["by"] == "acd" and logout["reason"] == "line_lost"
    assert d.acd.agents["alice"].last_logout["reason"] == "line_lost"
    assert d.acd.describe(d.acd.agents["alice"])["last_logout"]["reason"] == "line_lost"
    assert not first.ended and first.state is CallState.QUEUED and first.room.waiting
    assert d.of("queue.complete")[-1]["by"] == "line_lost"
    assert d.acd.router.position(first.id) == 1             # ahead of 2002, who came later
    assert d.acd.router.position(later.id) == 2
    d.login("bob")                                          # the next agent gets it first
    assert d.offered()[-1] == ["bob"] and d.acd.agents["bob"].call_id == first.id
    browser(d, "alice")                                     # alice again: offered as before
    assert d.offered()[-1] == ["alice"] and d.acd.agents["alice"].call_id == later.id


def test_the_grace_period_over_ends_a_call_that_was_not_a_queue_call(desk):
    d = desk(queue(members={"alice": 5}))
    member = browser(d, "alice")
    d.acd.set_state("alice", S.NOT_READY, "break")
    own = incoming(d.switch, "1001", "2005")                # alice's click-to-call
    own.transition(CallState.RINGING)
    own.transition(CallState.CONNECTED)
    d.switch.detach_from_home(member)
    d.switch.join(own, member, quiet=True)
    d.acd.outbound("1001", own)
    assert d.state("alice") is S.TALKING
    assert lose(d, "alice")
    d.clock.advance(30)
    assert own.ended and d.state("alice") is S.LOGGED_OUT


def test_an_idle_agent_is_offered_nothing_while_its_desk_is_away(desk):
    d = desk(queue(members={"alice": 5, "bob": 5}))
    browser(d, "alice")
    assert d.state("alice") is S.READY
    assert lose(d, "alice")
    assert d.state("alice") is S.NOT_READY and d.acd.agents["alice"].reason == "reconnecting"
    call = d.call("2001")
    assert d.offered() == [] and call.state is CallState.QUEUED
    d.clock.advance(10)
    come_back(d, "alice")                                   # ready again: offered at once
    assert d.offered() == [["alice"]] and d.state("alice") is S.RESERVED


def test_a_paused_agent_comes_back_paused_with_its_reason(desk):
    d = desk(queue(members={"alice": 5}))
    browser(d, "alice")
    d.acd.set_state("alice", S.NOT_READY, "lunch")
    lose(d, "alice")
    come_back(d, "alice")
    assert d.state("alice") is S.NOT_READY and d.acd.agents["alice"].reason == "lunch"


def test_a_line_lost_while_offered_gives_the_call_to_the_next_agent(desk):
    d = desk(queue(members={"alice": 5, "bob": 5}))
    browser(d, "alice")
    d.login("bob")
    d.call("2001")
    assert d.offered() == [["alice"]]
    lose(d, "alice")
    assert d.offered() == [["alice"], ["bob"]] and d.state("alice") is S.NOT_READY
    come_back(d, "alice")
    assert d.state("alice") is S.READY


def test_wrap_up_runs_on_while_the_desk_is_away_and_offers_wait_for_it(desk):
    d = desk(queue(members={"alice": 5}, wrap_up=10))
    browser(d, "alice")
    call = talking(d)
    lose(d, "alice")
    d.hang_up(call)                                         # the customer hangs up meanwhile
    assert d.state("alice") is S.WRAP_UP
    d.clock.advance(11)                                     # wrap-up over: ready, yet absent
    d.call("2002")
    assert d.offered() == [["alice"]]                       # 2001's offer only
    come_back(d, "alice")
    assert d.offered() == [["alice"], ["alice"]]


def test_a_phone_agent_or_a_closed_line_is_not_kept(desk):
    d = desk(queue(members={"alice": 5, "bob": 5}))
    d.login("bob")                                          # a phone: nothing to keep
    assert not d.acd.line_lost(AGENTS["bob"])
    d2 = desk(queue(members={"alice": 5}), reconnect_grace=0)
    browser(d2, "alice")
    assert not lose(d2, "alice")                            # grace 0: as before


def test_leave_logs_an_idle_agent_out_after_the_leave_grace(desk):
    d = desk(queue(members={"alice": 5, "bob": 5}))
    browser(d, "alice")
    d.login("bob")
    d.acd.leave("alice")
    assert d.state("alice") is S.NOT_READY                  # unofferable at once
    d.call("2001")
    assert d.offered() == [["bob"]]
    d.clock.advance(1.5)
    assert d.state("alice") is S.LOGGED_OUT
    assert d.of("agent.logout")[-1]["reason"] == "closed"


def test_back_within_the_leave_grace_keeps_the_agent_ready(desk):
    d = desk(queue(members={"alice": 5}))
    browser(d, "alice")
    d.acd.leave("alice")
    d.clock.advance(0.5)
    d.acd.back("alice")
    assert d.state("alice") is S.READY and not d.acd.agents["alice"].absent
    d.clock.advance(5)
    assert d.state("alice") is S.READY
    # then the old page's line goes (after back): the line's grace, the new line restores
    lose(d, "alice")
    assert d.state("alice") is S.NOT_READY
    come_back(d, "alice")
    assert d.state("alice") is S.READY


def test_leave_in_a_call_is_the_lines_grace_period(desk):
    d = desk(queue(members={"alice": 5}))
    browser(d, "alice")
    call = talking(d)
    member = d.acd.agents["alice"].line
    d.acd.leave("alice")
    assert member.absent                                    # music for the customer at once
    d.clock.advance(1.5)
    assert d.state("alice") is S.TALKING                    # not the leave grace
    d.clock.advance(10)
    assert lose(d, "alice")                                 # the old page's line goes now:
    d.clock.advance(15)                                     # the grace runs from the leave
    assert d.state("alice") is S.TALKING
    d.clock.advance(4)
    assert d.state("alice") is S.LOGGED_OUT and call.state is CallState.QUEUED


def test_back_after_leave_in_a_call_waits_for_the_new_line(desk):
    d = desk(queue(members={"alice": 5}))
    browser(d, "alice")
    call = talking(d)
    d.acd.leave("alice")
    d.clock.advance(10)
    d.acd.back("alice")                                     # the line is still gone: waits
    assert d.acd.agents["alice"].absent == "lost"
    come_back(d, "alice")
    d.clock.advance(60)
    assert d.state("alice") is S.TALKING and not call.ended


def test_leave_and_back_refuse_an_agent_not_logged_in(desk):
    d = desk(queue(members={"alice": 5}))
    for verb in (d.acd.leave, d.acd.back):
        with pytest.raises(AcdError) as refused:
            verb("alice")
        assert refused.value.kind is Kind.CONFLICT


def test_a_logout_by_hand_keeps_no_reason(desk):
    d = desk(queue(members={"alice": 5}))
    browser(d, "alice")
    d.acd.logout("alice")
    assert d.acd.agents["alice"].last_logout["reason"] is None
    assert d.acd.agents["alice"].last_logout["by"] is None
