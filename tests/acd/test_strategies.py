"""Routing strategies: the order in which a queue's ready agents are offered calls, and
strategy plug-ins loaded from the ``kefu.strategies`` entry point group (pure logic)."""

from __future__ import annotations

import heapq
import logging
import random
import sys
import textwrap
from collections import Counter

import pytest

from kefu.acd.routing import Router, Waiting
from kefu.acd.strategies import (ENTRY_POINT_GROUP, KeyedStrategy, ScanStrategy,
                                 all_strategies, builtin_strategies, plugin_strategies,
                                 strategy_names)


def one_queue(strategy: str, agents: dict[str, int], ready_at: dict[str, float] | None = None,
              rng: random.Random | None = None, strategies: dict | None = None) -> Router:
    """Queue ``q`` with ``strategy``; ``agents`` {id: level} in member order, all logged in;
    ``ready_at`` {id: time}: those agents become ready at that time (earliest first)."""
    r = Router(strategies=strategies or builtin_strategies(rng or random.Random(0)))
    r.add_queue("q", strategy)
    for agent_id, level in agents.items():
        r.add_agent(agent_id, {"q": level})
        r.login(agent_id)
    for agent_id, t in sorted((ready_at or {}).items(), key=lambda kv: kv[1]):
        assert r.set_ready(agent_id, t) is None
    return r


def drive(r: Router, calls: int, hold: dict[str, float], talk: float = 0.0,
          start: float = 10.0) -> list[str]:
    """One call a second from ``start``; the agent offered a call answers it, talks ``talk``
    seconds, is busy for ``hold[agent]`` seconds and then ready again.  Returns the agents
    in the order they were offered calls."""
    pending: list[tuple[float, str]] = []
    order: list[str] = []

    def served(offer, now: float) -> None:
        assert offer is not None and len(offer.agents) == 1
        agent = offer.agents[0].id
        order.append(agent)
        r.answered(agent)
        r.talked(agent, talk)
        heapq.heappush(pending, (now + hold[agent], agent))

    def free_until(t: float) -> None:
        while pending and pending[0][0] <= t:
            when, agent = heapq.heappop(pending)
            offer = r.set_ready(agent, when)
            if offer is not None:
                served(offer, when)

    for i in range(calls):
        t = start + i
        free_until(t)
        offer = r.enqueue(Waiting(f"c{i}", "q", t), t)
        if offer is not None:
            served(offer, t)
    free_until(float("inf"))
    assert len(order) == calls
    return order


# --- keyed strategies ----------------------------------------------------------------------

def test_longest_idle() -> None:
    r = one_queue("longest_idle", {"a": 1, "b": 1, "c": 1}, ready_at={"a": 3, "b": 1, "c": 2})
    # b is busy 2.5 s per call, a and c come back at once: whoever has been idle longest
    assert drive(r, 10, {"a": 0, "b": 2.5, "c": 0}) == list("bcacabcaca")


def test_fewest_calls_then_longest_idle() -> None:
    r = one_queue("fewest_calls", {"a": 1, "b": 1, "c": 1})
    for agent, calls in {"a": 2, "c": 1}.items():
        for _ in range(calls):
            r.answered(agent)
    for agent, t in {"a": 1, "c": 2, "b": 3}.items():
        r.set_ready(agent, t)
    # a (2 calls) is the longest idle, b (0) the shortest; a tie goes to the longest idle
    assert drive(r, 10, {"a": 0, "b": 0, "c": 0}) == list("bcbacbacba")


def test_least_talk_then_longest_idle() -> None:
    r = one_queue("least_talk", {"a": 1, "b": 1, "c": 1})
    r.talked("a", 100)
    r.talked("c", 30)
    for agent, t in {"a": 1, "b": 2, "c": 3}.items():
        r.set_ready(agent, t)
    assert drive(r, 10, {"a": 0, "b": 0, "c": 0}, talk=20) == list("bbcbcbcbca")


def test_top_down_first_ready_in_member_order() -> None:
    r = one_queue("top_down", {"a": 1, "b": 1, "c": 1}, ready_at={"c": 1, "b": 2, "a": 3})
    assert drive(r, 10, {"a": 2.5, "b": 0, "c": 0}) == list("abbabbabba")


def test_skills_best_level_then_longest_idle() -> None:
    r = one_queue("skills", {"a": 3, "b": 7, "c": 7}, ready_at={"a": 1, "b": 3, "c": 2})
    # b and c (level 7) before a (level 3), even when a has been idle longer; a only
    # when both are busy
    assert drive(r, 10, {"a": 0, "b": 2.5, "c": 2.5}) == list("cbacbacbac")


def test_vip_priority_from_enqueue_then_longest_idle() -> None:
    r = one_queue("vip", {"a": 1, "b": 1, "c": 1})
    priorities = [0, 2, 0, 1, 3, 0, 2, 1, 0, 3]
    for i, p in enumerate(priorities):
        assert r.enqueue(Waiting(f"c{i}", "q", float(i), priority=p), float(i)) is None
    assert [r.position(f"c{i}") for i in range(10)] == [7, 3, 8, 5, 1, 9, 4, 6, 10, 2]
    offers = []
    for t in range(20, 30):
        offer = r.set_ready("abc"[t % 3], float(t))
        offers.append(offer.entry.id)
    assert offers == ["c4", "c9", "c1", "c6", "c3", "c7", "c0", "c2", "c5", "c8"]
    # agents: longest idle
    for agent, t in {"b": 40, "a": 41, "c": 42}.items():
        r.set_ready(agent, t)
    assert [r.enqueue(Waiting(f"v{i}", "q", 50.0 + i, priority=3), 50.0 + i).agents[0].id
            for i in range(3)] == list("bac")


# --- round robin, ring all ---------------------------------------------------------------

def test_round_robin_memory_wrap_and_busy_agents_skipped() -> None:
    r = one_queue("round_robin", {"a": 1, "b": 1, "c": 1, "d": 1},
                  ready_at={"d": 1, "c": 2, "b": 3, "a": 4})
    # a, b and d come back at once (without memory a would get every call); c is busy
    # from 12 to 17 and its turn at 16 is skipped; after d the turn wraps to a
    assert drive(r, 10, {"a": 0, "b": 0, "c": 5, "d": 0}) == list("abcdabdabc")


def test_round_robin_memory_is_per_queue() -> None:
    r = Router(strategies=builtin_strategies(random.Random(0)))
    r.add_queue("q1", "round_robin")
    r.add_queue("q2", "round_robin")
    for agent in "abc":
        r.add_agent(agent, {"q1": 1, "q2": 1})
        r.login(agent)
        r.set_ready(agent, 0)

    def call(q: str, i: int) -> str:
        agent = r.enqueue(Waiting(f"{q}-{i}", q, 1.0), 1.0).agents[0].id
        r.set_ready(agent, 1.0)
        return agent

    assert [call("q1", 0), call("q1", 1), call("q2", 0), call("q1", 2), call("q2", 1)] == \
        list("abacb")


def test_ring_all_offers_every_ready_agent_in_member_order() -> None:
    r = one_queue("ring_all", {"a": 1, "b": 1, "c": 1}, ready_at={"c": 1, "a": 2, "b": 3})
    rings = []
    for i in range(10):
        t = 10.0 + i
        offer = r.enqueue(Waiting(f"c{i}", "q", t), t)
        rings.append("".join(a.id for a in offer.agents))
        assert r.ready_agents("q") == 0
        # one of them answers, the others are ready again; the one who answered is busy
        # for the next call
        answered = offer.agents[i % len(offer.agents)].id
        for a in offer.agents:
            if a.id != answered:
                r.set_ready(a.id, t)
        if i % 2:
            for a in "abc":
                r.set_ready(a, t)
    assert rings == ["abc", "bc", "abc", "ab", "abc", "ac", "abc", "bc", "abc", "ab"]
    # nobody ready: the call waits, the first agent back takes it alone
    for a in "abc":
        r.set_busy(a)
    assert r.enqueue(Waiting("w", "q", 30.0), 30.0) is None
    offer = r.set_ready("b", 31.0)
    assert offer.entry.id == "w" and [a.id for a in offer.agents] == ["b"]


# --- random --------------------------------------------------------------------------------

def _random_picks(strategy: str, levels: dict[str, int], n: int, seed: int) -> list[str]:
    r = one_queue(strategy, levels, ready_at={a: i for i, a in enumerate(levels)},
                  rng=random.Random(seed))
    picks = []
    for i in range(n):
        agent = r.enqueue(Waiting(f"c{i}", "q", 10.0), 10.0).agents[0].id
        picks.append(agent)
        r.set_ready(agent, 10.0)
    return picks


def test_random_is_seeded_and_uniform() -> None:
    picks = _random_picks("random", {"a": 1, "b": 9, "c": 5}, 3000, seed=7)
    assert picks == _random_picks("random", {"a": 1, "b": 9, "c": 5}, 3000, seed=7)
    assert picks[:50] != _random_picks("random", {"a": 1, "b": 9, "c": 5}, 50, seed=8)
    counts = Counter(picks)
    assert set(counts) == {"a", "b", "c"}
    for agent in "abc":          # 1000 expected each, sd ≈ 26
        assert 880 < counts[agent] < 1120, counts


def test_weighted_random_by_level() -> None:
    picks = _random_picks("weighted_random", {"a": 1, "b": 3, "c": 6}, 10_000, seed=3)
    assert picks == _random_picks("weighted_random", {"a": 1, "b": 3, "c": 6}, 10_000, seed=3)
    counts = Counter(picks)
    for agent, share in {"a": 0.1, "b": 0.3, "c": 0.6}.items():   # sd ≤ 0.005
        assert abs(counts[agent] / 10_000 - share) < 0.025, counts


def test_random_only_picks_ready_agents() -> None:
    r = one_queue("random", {"a": 1, "b": 1, "c": 1}, ready_at={"a": 1, "b": 2, "c": 3},
                  rng=random.Random(1))
    r.set_busy("b")
    picks = set()
    for i in range(200):
        agent = r.enqueue(Waiting(f"c{i}", "q", 10.0), 10.0).agents[0].id
        picks.add(agent)
        r.set_ready(agent, 10.0)
    assert picks == {"a", "c"}


# --- customer (preferred agent) ------------------------------------------------------------

def test_customer_preferred_agent_when_ready() -> None:
    r = one_queue("customer", {"a": 1, "b": 1, "c": 1}, ready_at={"a": 1, "b": 2, "c": 3})
    offer = r.enqueue(Waiting("x", "q", 10.0, preferred="c", prefer_until=40.0), 10.0)
    assert [a.id for a in offer.agents] == ["c"]
    # no preference (or an unknown agent): longest idle
    assert r.enqueue(Waiting("y", "q", 11.0), 11.0).agents[0].id == "a"
    assert r.enqueue(Waiting("z", "q", 12.0, preferred="nobody"), 12.0).agents[0].id == "b"


def test_customer_waits_for_busy_preferred_agent_until_due() -> None:
    r = one_queue("customer", {"a": 1, "b": 1, "c": 1}, ready_at={"a": 1, "b": 2})
    # c is busy: the call waits for c although a and b are ready
    assert r.enqueue(Waiting("x", "q", 10.0, preferred="c", prefer_until=40.0), 10.0) is None
    assert r.position("x") == 1 and r.waiting("q") == 1 and r.ready_agents("q") == 2
    assert r.next_due() == 40.0
    assert r.due(39.9) == []
    # other calls do not wait behind it
    assert r.enqueue(Waiting("y", "q", 11.0), 11.0).agents[0].id == "a"
    offers = r.due(40.0)
    assert [(o.entry.id, [a.id for a in o.agents]) for o in offers] == [("x", ["b"])]
    assert r.waiting("q") == 0 and r.due(100.0) == []


def test_customer_preference_expires_with_nobody_ready() -> None:
    r = one_queue("customer", {"a": 1, "c": 1})
    assert r.enqueue(Waiting("x", "q", 10.0, preferred="c", prefer_until=40.0), 10.0) is None
    assert r.due(40.0) == []
    assert r.position("x") == 1 and r.waiting("q") == 1
    # open to anyone now
    assert r.set_ready("a", 41.0).entry.id == "x"


def test_customer_preferred_agent_becoming_ready_takes_its_parked_call() -> None:
    r = one_queue("customer", {"a": 1, "c": 1})
    assert r.enqueue(Waiting("old", "q", 5.0), 5.0) is None           # waits for anyone
    assert r.enqueue(Waiting("x", "q", 10.0, preferred="c", prefer_until=40.0), 10.0) is None
    assert r.enqueue(Waiting("new", "q", 12.0), 12.0) is None
    # c's parked call competes with the queue by key: ahead of newer calls, behind older
    assert r.set_ready("c", 20.0).entry.id == "old"
    assert r.set_ready("c", 21.0).entry.id == "x"
    assert r.set_ready("c", 22.0).entry.id == "new"
    # the expired timer of a call already taken does nothing
    assert r.due(50.0) == []


def test_customer_preferred_agent_ahead_of_anyone_else() -> None:
    r = one_queue("customer", {"a": 1, "c": 1})
    assert r.enqueue(Waiting("x", "q", 10.0, preferred="c", prefer_until=40.0), 10.0) is None
    # a is not the preferred agent: it does not take x
    assert r.set_ready("a", 11.0) is None
    offer = r.set_ready("c", 12.0)
    assert offer.entry.id == "x" and [a.id for a in offer.agents] == ["c"]
    assert r.waiting("q") == 0


def test_customer_preferred_agent_not_logged_in_does_not_hold_the_call() -> None:
    r = one_queue("customer", {"a": 1, "c": 1}, ready_at={"a": 1})
    r.logout("c")
    offer = r.enqueue(Waiting("x", "q", 10.0, preferred="c", prefer_until=40.0), 10.0)
    assert [a.id for a in offer.agents] == ["a"]


# --- plug-ins ------------------------------------------------------------------------------

PLUGIN = '''
from kefu.acd.strategies import ScanStrategy


class ScanStrategy_(ScanStrategy):
    """Cheapest ready agent (attrs["cost"]), ties by member order."""
    name = "cheapest"

    def choose(self, ready, entry, queue):
        return [min(ready, key=lambda a: (a.attrs.get("cost", 0), queue.order[a.id]))]


class NoIndex:
    name = "noindex"
'''


def write_plugin(root, dist: str, module: str, source: str, entry_points: str) -> None:
    (root / f"{module}.py").write_text(textwrap.dedent(source))
    info = root / f"{dist}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{entry_points}")


@pytest.fixture
def plugins(tmp_path, monkeypatch):
    """tmp_path on sys.path with a good plug-in, a broken one, one that has no index(),
    and one named like a built-in."""
    write_plugin(tmp_path, "kefu_test_plugin", "kefu_test_plugin", PLUGIN,
                 "cheapest = kefu_test_plugin:ScanStrategy_\n"
                 "longest_idle = kefu_test_plugin:ScanStrategy_\n"
                 "noindex = kefu_test_plugin:NoIndex\n")
    write_plugin(tmp_path, "kefu_broken_plugin", "kefu_broken_plugin",
                 "import kefu_no_such_module_here\n",
                 "broken = kefu_broken_plugin:Whatever\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for module in ("kefu_test_plugin", "kefu_broken_plugin"):
        sys.modules.pop(module, None)


def test_plugin_loaded_from_entry_point(plugins, caplog) -> None:
    with caplog.at_level(logging.ERROR, logger="kefu.acd.strategies"):
        strategies = all_strategies(random.Random(0))
    assert strategies["cheapest"].name == "cheapest"
    assert isinstance(strategies["cheapest"], ScanStrategy)
    # the built-ins are all there, and a plug-in cannot replace one
    assert set(builtin_strategies()) < set(strategies)
    assert isinstance(strategies["longest_idle"], KeyedStrategy)
    assert "broken" not in strategies and "noindex" not in strategies
    errors = "\n".join(rec.getMessage() for rec in caplog.records)
    assert "'broken'" in errors and "kefu_no_such_module_here" in errors
    assert "'noindex'" in errors and "index" in errors
    assert "'longest_idle' ignored" in errors

    r = Router(strategies=strategies)
    r.add_queue("q", "cheapest")
    for agent, cost in {"a": 5, "b": 1, "c": 3}.items():
        r.add_agent(agent, {"q": 1}).attrs["cost"] = cost
        r.login(agent)
        r.set_ready(agent, 1.0)
    assert r.queues["q"].strategy_name == "cheapest"
    got = []
    for i in range(4):
        offer = r.enqueue(Waiting(f"c{i}", "q", 10.0 + i), 10.0 + i)
        got.append(offer.agents[0].id if offer else None)
    assert got == ["b", "c", "a", None]
    # the waiting call goes to the first agent back
    assert r.set_ready("a", 20.0).entry.id == "c3"


def test_plugin_strategies_alone(plugins) -> None:
    assert set(plugin_strategies()) == {"cheapest", "longest_idle"}


def test_strategy_names_are_what_the_router_accepts(plugins) -> None:
    """What config checks a queue's strategy against (kefu.cli passes it to load_settings)."""
    assert strategy_names() == set(builtin_strategies()) | {"cheapest"}


def test_router_default_strategies_include_plugins(plugins) -> None:
    r = Router()          # all_strategies(): built-ins and plug-ins
    assert r.add_queue("q", "cheapest").strategy_name == "cheapest"
    assert isinstance(r.strategies["cheapest"], ScanStrategy)
    assert isinstance(r.strategies["longest_idle"], KeyedStrategy)


def test_plugin_choosing_nobody_leaves_the_call_waiting() -> None:
    class Nobody(ScanStrategy):
        name = "nobody"

        def choose(self, ready, entry, queue):
            return []

    r = one_queue("nobody", {"a": 1}, ready_at={"a": 1},
                  strategies={**builtin_strategies(), "nobody": Nobody()})
    assert r.enqueue(Waiting("x", "q", 10.0), 10.0) is None
    assert r.position("x") == 1 and r.ready_agents("q") == 1


def test_plugin_without_name_attribute() -> None:
    class Bare:
        def index(self, queue):
            return builtin_strategies()["top_down"].index(queue)

    r = one_queue("bare", {"a": 1, "b": 1}, ready_at={"b": 1, "a": 2},
                  strategies={**builtin_strategies(), "bare": Bare()})
    assert r.queues["q"].strategy_name == "bare"
    assert r.enqueue(Waiting("x", "q", 10.0), 10.0).agents[0].id == "a"
