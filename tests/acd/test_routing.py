"""The routing engine: waiting calls ordered by an ageing priority key, agents in several
queues, requeue, withdraw, positions, login and logout (pure logic)."""

from __future__ import annotations

import random

import pytest

from kefu.acd.routing import Router, RoutingError, Waiting
from kefu.acd.strategies import builtin_strategies


def make_router(queues: dict[str, int] | None = None, agents: dict[str, dict[str, int]] | None = None,
                priority_seconds: float = 60.0, strategy: str = "longest_idle") -> Router:
    """``queues`` {name: queue priority}; ``agents`` {id: {queue: level}}, all logged in to
    all their queues, none ready."""
    r = Router(priority_seconds, builtin_strategies(random.Random(0)))
    for name, priority in (queues or {"q": 0}).items():
        r.add_queue(name, strategy, priority)
    for agent_id, skills in (agents or {}).items():
        r.add_agent(agent_id, skills)
        r.login(agent_id)
    return r


def call(r: Router, call_id: str, queue: str, t: float, priority: int = 0, **kw):
    return r.enqueue(Waiting(call_id, queue, t, priority=priority, **kw), t)


def taken(r: Router, agent: str, t: float) -> str | None:
    """The call ``agent`` gets when it becomes ready at ``t`` (None: it waits)."""
    offer = r.set_ready(agent, t)
    if offer is None:
        return None
    assert [a.id for a in offer.agents] == [agent]
    return offer.entry.id


# --- priority with ageing ----------------------------------------------------------------

def test_agent_in_two_queues_gets_the_smallest_key() -> None:
    r = make_router({"q1": 0, "q2": 0}, {"a": {"q1": 1, "q2": 1}})
    assert call(r, "x1", "q1", 100.0) is None            # key 100
    assert call(r, "x2", "q2", 50.0, priority=1) is None  # key 50 - 60 = -10
    assert call(r, "x3", "q1", 0.0) is None               # key 0
    assert call(r, "x4", "q2", 20.0) is None              # key 20
    assert [taken(r, "a", 200.0 + i) for i in range(5)] == ["x2", "x3", "x4", "x1", None]
    assert r.ready_agents("q1") == r.ready_agents("q2") == 1


@pytest.mark.parametrize("newer_at, first", [(30.0, "high"), (59.0, "high"), (61.0, "low")])
def test_older_low_priority_call_overtakes_after_priority_seconds(newer_at, first) -> None:
    """A priority-1 call counts as if it had waited 60 s longer: an older priority-0 call
    comes first once it has waited more than 60 s longer than the priority-1 one."""
    r = make_router({"q1": 0, "q2": 0}, {"a": {"q1": 1, "q2": 1}})
    call(r, "low", "q1", 0.0)
    call(r, "high", "q2", newer_at, priority=1)
    second = "low" if first == "high" else "high"
    assert [taken(r, "a", 100.0), taken(r, "a", 101.0)] == [first, second]


def test_priority_seconds_scales_the_head_start() -> None:
    r = make_router(agents={"a": {"q": 1}}, priority_seconds=10.0)
    call(r, "low", "q", 0.0)
    call(r, "high", "q", 25.0, priority=2)   # key 5
    call(r, "mid", "q", 12.0, priority=1)    # key 2
    assert r.position("low") == 1 and r.position("mid") == 2 and r.position("high") == 3
    assert [taken(r, "a", 30.0 + i) for i in range(3)] == ["low", "mid", "high"]


def test_queue_priority_adds_to_call_priority() -> None:
    r = make_router({"normal": 0, "gold": 1}, {"a": {"normal": 1, "gold": 1}})
    call(r, "n2", "normal", 0.0, priority=2)     # key -120
    call(r, "g0", "gold", 30.0)                  # key 30 - 60 = -30
    call(r, "g1", "gold", 50.0, priority=1)      # key 50 - 120 = -70
    call(r, "n0", "normal", 0.0)                 # key 0
    call(r, "g2", "gold", 70.0, priority=2)      # key 70 - 180 = -110
    assert [taken(r, "a", 100.0 + i) for i in range(5)] == ["n2", "g2", "g1", "g0", "n0"]


def test_equal_keys_first_come_first_served() -> None:
    r = make_router(agents={"a": {"q": 1}})
    call(r, "x", "q", 60.0)
    call(r, "y", "q", 120.0, priority=1)  # the same key, 60
    call(r, "z", "q", 60.0)
    assert [taken(r, "a", 200.0 + i) for i in range(3)] == ["x", "y", "z"]


# --- requeue, withdraw, position ---------------------------------------------------------

def test_requeue_keeps_the_place() -> None:
    r = make_router(agents={"a": {"q": 1}, "b": {"q": 1}})
    for i in range(3):
        call(r, f"c{i}", "q", float(i))
    offer = r.set_ready("a", 10.0)
    assert offer.entry.id == "c0" and r.position("c0") == 0
    call(r, "c3", "q", 11.0)
    assert r.waiting("q") == 3
    # a did not answer: c0 goes back ahead of the calls that came after it
    assert r.requeue(offer.entry, 12.0) is None
    assert [r.position(f"c{i}") for i in range(4)] == [1, 2, 3, 4]
    assert [taken(r, "b", 13.0 + i) for i in range(4)] == ["c0", "c1", "c2", "c3"]


def test_requeue_with_an_agent_ready_offers_again() -> None:
    r = make_router(agents={"a": {"q": 1}, "b": {"q": 1}})
    r.set_ready("a", 1.0)
    r.set_ready("b", 2.0)
    offer = call(r, "x", "q", 10.0)
    assert offer.agents[0].id == "a"
    again = r.requeue(offer.entry, 30.0)
    assert again.entry is offer.entry and again.agents[0].id == "b"
    assert r.waiting("q") == 0 and r.position("x") == 0


def test_withdraw_and_positions() -> None:
    r = make_router(agents={"a": {"q": 1}})
    for i in range(5):
        call(r, f"c{i}", "q", float(i))
    assert [r.position(f"c{i}") for i in range(5)] == [1, 2, 3, 4, 5]
    assert r.withdraw("c1").id == "c1"
    assert r.withdraw("c1") is None and r.withdraw("nope") is None
    assert [r.position(f"c{i}") for i in range(5)] == [1, 0, 2, 3, 4]
    r.withdraw("c0")
    r.withdraw("c4")
    assert [r.position(f"c{i}") for i in range(5)] == [0, 0, 1, 2, 0]
    assert r.waiting("q") == 2
    assert [taken(r, "a", 10.0), taken(r, "a", 11.0), taken(r, "a", 12.0)] == ["c2", "c3", None]
    assert r.waiting("q") == 0 and r.position("c2") == 0


def test_withdraw_a_parked_call() -> None:
    r = make_router(agents={"a": {"q": 1}, "c": {"q": 1}})
    assert call(r, "x", "q", 10.0, preferred="c", prefer_until=40.0) is None
    call(r, "y", "q", 11.0)
    assert r.waiting("q") == 2 and r.position("x") == 1
    assert r.withdraw("x").id == "x"
    assert r.waiting("q") == 1 and r.position("x") == 0
    assert r.agents["c"].parked == []
    assert r.due(40.0) == []                  # its timer finds nothing to do
    assert taken(r, "c", 41.0) == "y"
    assert taken(r, "a", 42.0) is None


def test_waiting_counts_per_queue() -> None:
    r = make_router({"q1": 0, "q2": 0}, {"a": {"q1": 1, "q2": 1}, "b": {"q2": 1}})
    call(r, "x", "q1", 1.0)
    call(r, "y", "q2", 2.0)
    call(r, "z", "q2", 3.0, preferred="b", prefer_until=60.0)
    assert (r.waiting("q1"), r.waiting("q2")) == (1, 2)
    assert taken(r, "a", 10.0) == "x"
    assert (r.waiting("q1"), r.waiting("q2")) == (0, 2)
    # a does not take z: it waits for b
    assert taken(r, "a", 11.0) == "y"
    assert taken(r, "a", 12.0) is None
    assert (r.waiting("q1"), r.waiting("q2")) == (0, 1)
    assert taken(r, "b", 13.0) == "z"


# --- agents ------------------------------------------------------------------------------

def test_login_to_a_subset_of_queues() -> None:
    r = make_router({"q1": 0, "q2": 0})
    r.add_agent("a", {"q1": 1, "q2": 1})
    r.login("a", ["q2"])
    assert r.agents["a"].queues == {"q2"}
    call(r, "x1", "q1", 0.0)
    assert taken(r, "a", 1.0) is None                   # q1's call is not for it
    assert r.ready_agents("q1") == 0 and r.ready_agents("q2") == 1
    assert call(r, "x2", "q2", 2.0).agents[0].id == "a"
    assert call(r, "x3", "q1", 3.0) is None
    # logging in again (all queues) makes it not ready until it says so
    r.login("a")
    assert r.agents["a"].ready is False and r.agents["a"].queues == {"q1", "q2"}
    assert taken(r, "a", 4.0) == "x1"


def test_login_to_a_queue_the_agent_is_not_a_member_of() -> None:
    r = make_router({"q1": 0, "q2": 0})
    r.add_agent("a", {"q1": 1})
    with pytest.raises(RoutingError, match="not a member of q2"):
        r.login("a", ["q1", "q2"])
    with pytest.raises(RoutingError, match="no queue 'q3'"):
        r.add_agent("b", {"q3": 1})


def test_set_busy_and_ready_agents() -> None:
    r = make_router(agents={"a": {"q": 1}, "b": {"q": 1}})
    r.set_ready("a", 1.0)
    r.set_ready("b", 2.0)
    assert r.set_ready("a", 3.0) is None            # already ready: no change
    assert r.agents["a"].idle_since == 1.0
    assert r.ready_agents("q") == 2
    r.set_busy("a")
    r.set_busy("a")
    assert r.ready_agents("q") == 1
    assert call(r, "x", "q", 5.0).agents[0].id == "b"
    assert r.ready_agents("q") == 0
    assert call(r, "y", "q", 6.0) is None


def test_not_logged_in_agent_gets_nothing() -> None:
    r = make_router()
    r.add_agent("a", {"q": 1})
    call(r, "x", "q", 0.0)
    assert taken(r, "a", 1.0) is None
    assert r.agents["a"].ready and r.ready_agents("q") == 0
    r.login("a")
    assert taken(r, "a", 2.0) == "x"


def test_logout_releases_parked_calls() -> None:
    r = make_router(agents={"a": {"q": 1}, "c": {"q": 1}})
    assert call(r, "x", "q", 10.0, preferred="c", prefer_until=100.0) is None
    call(r, "y", "q", 12.0)
    assert call(r, "w", "q", 11.0, preferred="c", prefer_until=100.0) is None
    assert taken(r, "c", 13.0) == "x"        # the best of its calls; c is busy with it
    assert r.position("w") == 1 and r.waiting("q") == 2
    released = r.logout("c")
    assert [e.id for e in released] == ["w"]
    assert r.agents["c"].parked == [] and r.agents["c"].queues == set()
    assert r.ready_agents("q") == 0
    # released: waiting nowhere until routed again; requeue puts it back in its place
    # (it came before y)
    assert r.position("w") == 0 and r.waiting("q") == 1
    assert r.requeue(released[0], 14.0) is None
    assert r.position("w") == 1 and r.position("y") == 2 and r.waiting("q") == 2
    assert [taken(r, "a", 20.0), taken(r, "a", 21.0), taken(r, "a", 22.0)] == ["w", "y", None]
    assert r.due(100.0) == []
    assert taken(r, "c", 101.0) is None and r.logout("c") == []


def test_logout_released_call_goes_to_a_ready_agent_once() -> None:
    """What the ACD does: log out, requeue every released call (bug: logout put them in
    the queue as well, so the call was offered a second time to the next agent ready)."""
    r = make_router(agents={"a": {"q": 1}, "b": {"q": 1}, "c": {"q": 1}})
    assert call(r, "x", "q", 10.0, preferred="c", prefer_until=100.0) is None
    assert r.set_ready("a", 11.0) is None            # a is ready, x waits for c
    (entry,) = r.logout("c")
    offer = r.requeue(entry, 12.0)
    assert offer.entry is entry and [a.id for a in offer.agents] == ["a"]
    assert r.waiting("q") == 0 and r.position("x") == 0
    assert taken(r, "b", 13.0) is None
    assert r.due(100.0) == []


def test_requeue_of_a_waiting_call_does_not_duplicate_it() -> None:
    r = make_router(agents={"a": {"q": 1}})
    call(r, "x", "q", 10.0)
    entry = r.entries["x"]
    call(r, "y", "q", 11.0)
    assert r.requeue(entry, 12.0) is None
    assert r.waiting("q") == 2 and r.position("x") == 1
    assert [taken(r, "a", 13.0), taken(r, "a", 14.0), taken(r, "a", 15.0)] == ["x", "y", None]


def test_logout_of_a_ready_agent() -> None:
    r = make_router(agents={"a": {"q": 1}, "b": {"q": 1}})
    r.set_ready("a", 1.0)
    r.set_ready("b", 2.0)
    assert r.logout("a") == []
    assert r.ready_agents("q") == 1
    assert call(r, "x", "q", 5.0).agents[0].id == "b"


def test_fewest_calls_and_least_talk_keys_are_taken_when_ready() -> None:
    r = make_router(agents={"a": {"q": 1}, "b": {"q": 1}}, strategy="fewest_calls")
    r.answered("a")
    r.set_ready("a", 1.0)
    r.set_ready("b", 2.0)
    assert r.agents["a"].calls == 1
    assert call(r, "x", "q", 3.0).agents[0].id == "b"
    r.talked("a", 12.5)
    assert r.agents["a"].talk_time == 12.5


# --- configuration errors --------------------------------------------------------------------

def test_unknown_strategy() -> None:
    r = Router(strategies=builtin_strategies())
    with pytest.raises(RoutingError, match="unknown routing strategy 'nope'.*longest_idle"):
        r.add_queue("q", "nope")
    assert "q" not in r.queues


def test_unknown_queue_and_duplicate_call() -> None:
    r = make_router()
    with pytest.raises(RoutingError, match="no queue 'q9'"):
        call(r, "x", "q9", 0.0)
    call(r, "x", "q", 0.0)
    with pytest.raises(RoutingError, match="already waiting"):
        call(r, "x", "q", 1.0)
    assert r.waiting("q") == 1


def test_every_builtin_strategy_can_be_configured() -> None:
    strategies = builtin_strategies(random.Random(0))
    r = Router(strategies=strategies)
    for name in strategies:
        q = r.add_queue(name, name)
        assert q.strategy_name == name
    assert set(strategies) == {"ring_all", "longest_idle", "fewest_calls", "least_talk",
                               "round_robin", "top_down", "random", "weighted_random",
                               "skills", "customer", "vip"}


def test_set_order_changes_member_order_for_top_down():
    router = Router(strategies=builtin_strategies())
    router.add_queue("q", "top_down")
    for agent in ("a", "b", "c"):
        router.add_agent(agent, {"q": 1})
    router.set_order("q", ["c", "a"])
    assert router.queues["q"].order == {"c": 0, "a": 1, "b": 2}
    for agent in ("a", "b", "c"):
        router.login(agent)
        router.set_ready(agent, 1.0)
    picked = [router.enqueue(Waiting(str(i), "q", 2.0 + i), 2.0 + i).agents[0].id
              for i in range(3)]
    assert picked == ["c", "a", "b"]


# --- memberships changed while running -----------------------------------------------------

def test_a_ready_agent_moved_to_a_queue_with_a_waiting_call_gets_it() -> None:
    r = make_router({"q1": 0, "q2": 0}, {"a": {"q1": 1}, "b": {"q1": 1}})
    assert taken(r, "a", 10.0) is None and taken(r, "b", 20.0) is None
    assert call(r, "x", "q2", 30.0) is None               # nobody serves q2 yet
    offer = r.set_skills("b", {"q1": 1, "q2": 5}, join=True)
    assert offer is not None and offer.entry.id == "x" and [a.id for a in offer.agents] == ["b"]
    assert r.queues["q2"].members == {"b": 5} and r.agents["b"].queues == {"q1", "q2"}


def test_a_ready_agent_keeps_its_idle_time_when_its_levels_change() -> None:
    r = make_router({"q": 0}, {"a": {"q": 1}, "b": {"q": 1}})
    taken(r, "a", 10.0)                                   # a idle longest
    taken(r, "b", 20.0)
    assert r.set_skills("b", {"q": 9}) is None
    assert r.agents["b"].ready and r.agents["b"].idle_since == 20.0
    assert call(r, "x", "q", 30.0).agents[0].id == "a"    # still longest idle first
    assert call(r, "y", "q", 31.0).agents[0].id == "b"


def test_dropping_a_queue_takes_the_agent_out_of_it_at_once() -> None:
    r = make_router({"q1": 0, "q2": 0}, {"a": {"q1": 1, "q2": 1}})
    taken(r, "a", 10.0)
    assert r.set_skills("a", {"q1": 1}) is None
    assert r.ready_agents("q2") == 0 and r.ready_agents("q1") == 1
    assert call(r, "x", "q2", 20.0) is None               # waits: nobody left in q2
    assert "a" not in r.queues["q2"].members and "a" not in r.queues["q2"].order
    assert call(r, "y", "q1", 21.0).agents[0].id == "a"


def test_new_members_go_last_in_member_order_and_unknown_queues_are_refused() -> None:
    r = make_router({"q": 0}, {"a": {"q": 1}, "b": {"q": 1}}, strategy="top_down")
    r.set_skills("c", {"q": 1})                           # an agent kefu did not know
    assert r.queues["q"].order == {"a": 0, "b": 1, "c": 2}
    r.login("c")
    for agent, t in (("c", 1.0), ("b", 2.0), ("a", 3.0)):
        taken(r, agent, t)
    assert [call(r, f"x{i}", "q", 10.0 + i).agents[0].id for i in range(3)] == ["a", "b", "c"]
    with pytest.raises(RoutingError, match="no queue"):
        r.set_skills("a", {"nope": 1})
    assert r.agents["a"].skills == {"q": 1}
