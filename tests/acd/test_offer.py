"""An offer's lifecycle: it ends once, in one of four ways, and the ACD ends each offer
the way that happened (answered, declined, rang out, withdrawn)."""

from __future__ import annotations

import pytest
from conftest import queue

from kefu.acd.offer import TRANSITIONS, AgentOffer, IllegalOffer, OfferState

O = OfferState
ENDS = [O.ANSWERED, O.DECLINED, O.NO_ANSWER, O.WITHDRAWN]


@pytest.mark.parametrize("end", ENDS)
def test_a_ringing_offer_ends_once(end):
    offer = AgentOffer("alice")
    offer.end(end)
    assert offer.state is end
    for again in [O.RINGING, *ENDS]:
        with pytest.raises(IllegalOffer, match=f"{end.value} -> {again.value}"):
            offer.end(again)


def test_every_state_has_its_transitions_and_only_ringing_moves():
    assert set(TRANSITIONS) == set(O)
    assert [s for s, nxt in TRANSITIONS.items() if nxt] == [O.RINGING]


@pytest.mark.parametrize("code,end", [(603, O.DECLINED), (408, O.NO_ANSWER),
                                      (486, O.NO_ANSWER), (480, O.NO_ANSWER)])
def test_a_failed_offer_ends_by_its_sip_answer(code, end):
    assert AgentOffer.failure(code) is end


def offer_of(d, username):
    (queued,) = d.acd.waiting.values()
    return queued.offers[username]


def test_the_acd_ends_each_offer_the_way_it_went(desk):
    d = desk(queue(strategy="ring_all", members={"alice": 1, "bob": 1, "carol": 1}))
    d.login("alice", "bob", "carol")
    d.call("2001")
    offers = {u: offer_of(d, u) for u in ("alice", "bob", "carol")}
    assert {o.state for o in offers.values()} == {O.RINGING}
    d.switch.refuse("1003", 486, "Busy Here")
    d.answer("bob")
    assert [offers[u].state for u in ("alice", "bob", "carol")] == [
        O.WITHDRAWN, O.ANSWERED, O.NO_ANSWER]
    d.agent_hangs_up("bob")
    d.call("2002")
    declined = offer_of(d, "alice")
    d.acd.reject("alice")
    assert declined.state is O.DECLINED


def test_logging_out_or_the_caller_leaving_withdraws_the_offer(desk):
    d = desk(queue())
    d.login("alice")
    call = d.call("2001")
    first = offer_of(d, "alice")
    d.acd.logout("alice")
    assert first.state is O.WITHDRAWN
    d.login("bob")
    second = offer_of(d, "bob")
    d.hang_up(call)
    assert second.state is O.WITHDRAWN and second.attempt.cancelled
