"""A call asking a minimum skill level (``Waiting.min_level``, an IVR queue node's
``min_level``): only the queue's members at that level or above are offered it, by every
strategy, whether the call arrives to ready agents or waits for one (pure logic)."""

from __future__ import annotations

import random

import pytest
from test_routing import call, make_router, taken
from test_strategies import one_queue

from kefu.acd.routing import Router, Waiting
from kefu.acd.strategies import ScanStrategy, builtin_strategies

LEVELS = {"junior": 2, "mid": 5, "senior": 8}


def offered(r: Router, call_id: str, t: float = 100.0, min_level: int = 0) -> list[str] | None:
    offer = r.enqueue(Waiting(call_id, "q", t, min_level=min_level), t)
    return None if offer is None else [a.id for a in offer.agents]


@pytest.mark.parametrize("strategy", ["longest_idle", "fewest_calls", "least_talk", "top_down",
                                      "skills", "round_robin", "random", "weighted_random",
                                      "customer", "vip"])
def test_an_arriving_call_goes_only_to_a_member_at_its_level(strategy: str) -> None:
    r = one_queue(strategy, LEVELS, ready_at={"junior": 1.0, "mid": 2.0, "senior": 3.0})
    assert offered(r, "x", min_level=6) == ["senior"]
    assert offered(r, "y", min_level=5) == ["mid"]            # the senior is busy now
    assert offered(r, "z", min_level=3) is None               # only the junior is ready
    assert r.position("z") == 1 and r.waiting("q") == 1
    assert offered(r, "plain") == ["junior"]                  # no level asked: anyone


def test_ring_all_rings_only_the_members_at_the_level() -> None:
    r = one_queue("ring_all", LEVELS, ready_at={"junior": 1.0, "mid": 2.0, "senior": 3.0})
    assert offered(r, "x", min_level=5) == ["mid", "senior"]
    assert r.ready_agents("q") == 1


def test_the_longest_idle_qualifying_agent_not_the_longest_idle() -> None:
    r = one_queue("longest_idle", {"a": 1, "b": 9, "c": 9}, ready_at={"a": 1.0, "c": 2.0, "b": 3.0})
    assert offered(r, "x", min_level=9) == ["c"]


def test_round_robin_goes_on_from_the_last_qualifying_agent() -> None:
    r = one_queue("round_robin", {"a": 9, "b": 1, "c": 9, "d": 9},
                  ready_at={"a": 1.0, "b": 1.1, "c": 1.2, "d": 1.3})
    assert offered(r, "x", min_level=5) == ["a"]
    r.set_ready("a", 5.0)
    assert offered(r, "y", min_level=5) == ["c"]              # b skipped: level 1
    r.set_ready("c", 6.0)
    assert offered(r, "z", min_level=5) == ["d"]
    r.set_ready("d", 7.0)
    assert offered(r, "w", min_level=5) == ["a"]              # wraps round


def test_a_waiting_call_is_taken_only_by_a_qualifying_agent_becoming_ready() -> None:
    r = make_router({"q": 0}, {"junior": {"q": 2}, "senior": {"q": 8}})
    assert call(r, "hard", "q", 10.0, min_level=5) is None
    assert call(r, "easy", "q", 20.0) is None
    assert r.position("hard") == 1 and r.position("easy") == 2 and r.waiting("q") == 2
    assert taken(r, "junior", 30.0) == "easy"                 # older "hard" is above it
    assert taken(r, "senior", 31.0) == "hard"
    assert r.waiting("q") == 0


def test_the_best_call_across_levels_and_queues_keeps_the_ageing_order() -> None:
    r = make_router({"q": 0, "p": 0}, {"a": {"q": 6, "p": 1}})
    call(r, "q7", "q", 5.0, min_level=7)                      # above a's level: not for a
    call(r, "q6", "q", 20.0, min_level=6)
    call(r, "q3", "q", 10.0, min_level=3)
    call(r, "p0", "p", 15.0)
    call(r, "p2", "p", 1.0, min_level=2)                      # a is level 1 in p
    assert [taken(r, "a", 100.0 + i) for i in range(4)] == ["q3", "p0", "q6", None]
    assert r.position("q7") == 1 and r.position("p2") == 1


def test_withdrawn_and_requeued_calls_keep_their_level() -> None:
    r = make_router({"q": 0}, {"junior": {"q": 2}})
    call(r, "hard", "q", 10.0, min_level=5)
    entry = r.withdraw("hard")
    assert entry is not None and r.waiting("q") == 0 and r.queues["q"].levelled == {}
    assert r.requeue(entry, 20.0) is None and r.position("hard") == 1
    assert taken(r, "junior", 30.0) is None                   # the junior still cannot take it


def test_a_preferred_agent_below_the_level_does_not_hold_the_call() -> None:
    r = make_router({"q": 0}, {"owner": {"q": 1}, "senior": {"q": 9}})
    r.set_ready("senior", 1.0)
    offer = r.enqueue(Waiting("x", "q", 5.0, preferred="owner", prefer_until=60.0,
                              min_level=5), 5.0)
    assert offer is not None and [a.id for a in offer.agents] == ["senior"]


def test_a_plugin_chooses_among_the_qualifying_agents_only() -> None:
    class Last(ScanStrategy):
        name = "last"

        def choose(self, ready, entry, queue):  # type: ignore[no-untyped-def]
            return [max(ready, key=lambda a: a.id)]

    r = one_queue("last", {"a": 9, "b": 9, "z": 1}, ready_at={"a": 1.0, "b": 2.0, "z": 3.0},
                  strategies={**builtin_strategies(random.Random(0)), "last": Last()})
    assert offered(r, "x", min_level=5) == ["b"]
    assert offered(r, "y") == ["z"]
