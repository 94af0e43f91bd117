"""Routing strategies: which of a queue's ready agents gets a call.

A strategy makes one :class:`ReadyIndex` per queue.  The router tells the index when an
agent of the queue becomes ready (``add``) or stops being ready (``discard``); on a new
call it asks ``pick``.  Strategies whose choice is an order over agents (longest idle,
fewest calls, skills…) keep the ready agents sorted by a key fixed at the moment the
agent became ready, so a decision costs O(log n) instead of a scan over every agent.

Custom strategies are plug-ins: a Python entry point in the group ``kefu.strategies``
whose object is a :class:`Strategy` (or a class making one).  The simplest plug-in
subclasses :class:`ScanStrategy` and implements ``choose``::

    class Cheapest(ScanStrategy):
        name = "cheapest"
        def choose(self, ready, entry, queue):
            return [min(ready, key=lambda a: a.attrs.get("cost", 0))]

    # pyproject.toml of the plug-in's distribution
    [project.entry-points."kefu.strategies"]
    cheapest = "mypkg.strategies:Cheapest"
"""

from __future__ import annotations

import logging
import random
from importlib.metadata import entry_points
from typing import Any, Callable, Hashable, Protocol, Sequence

from sortedcontainers import SortedList

from kefu.acd.slots import AgentSlot, QueueView, Waiting

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "kefu.strategies"


Qualifies = Callable[["AgentSlot"], bool]


class ReadyIndex(Protocol):
    """The ready agents of one queue, organised for one strategy's choice.  An index may
    also have ``pick_among(entry, qualifies)``: the same choice among the agents that
    qualify (a call asking a minimum skill level); the built-in ones all have it."""

    def add(self, agent: "AgentSlot") -> None: ...
    def discard(self, agent: "AgentSlot") -> None: ...
    def pick(self, entry: "Waiting") -> list["AgentSlot"]: ...
    def __len__(self) -> int: ...


class Strategy(Protocol):
    name: str

    def index(self, queue: QueueView) -> ReadyIndex: ...


# --- keyed strategies ---------------------------------------------------------------------

AgentKey = Callable[["AgentSlot", QueueView], Hashable]


class KeyedIndex:
    """Ready agents sorted by ``key`` (smallest first), fixed when each became ready."""

    def __init__(self, queue: QueueView, key: AgentKey) -> None:
        self.queue = queue
        self.key = key
        self._sorted = SortedList()
        self._keys: dict[str, tuple] = {}

    def add(self, agent: "AgentSlot") -> None:
        self.discard(agent)
        k = (self.key(agent, self.queue), agent.seq, agent.id)
        self._keys[agent.id] = k
        self._sorted.add(k)

    def discard(self, agent: "AgentSlot") -> None:
        k = self._keys.pop(agent.id, None)
        if k is not None:
            self._sorted.remove(k)

    def first(self) -> "AgentSlot | None":
        return self.queue.router.agents[self._sorted[0][2]] if self._sorted else None

    def pick(self, entry: "Waiting") -> list["AgentSlot"]:
        agent = self.first()
        return [agent] if agent is not None else []

    def pick_among(self, entry: "Waiting", qualifies: Qualifies) -> list["AgentSlot"]:
        """The first in key order that qualifies (a walk: the ready agents, few when
        calls wait)."""
        agents = self.queue.router.agents
        for k in self._sorted:
            if qualifies(agent := agents[k[2]]):
                return [agent]
        return []

    def __len__(self) -> int:
        return len(self._sorted)


class KeyedStrategy:
    def __init__(self, name: str, key: AgentKey) -> None:
        self.name = name
        self.key = key

    def index(self, queue: QueueView) -> ReadyIndex:
        return KeyedIndex(queue, self.key)


def _idle(agent: "AgentSlot", queue: QueueView) -> Hashable:
    return agent.idle_since


def _fewest_calls(agent: "AgentSlot", queue: QueueView) -> Hashable:
    return (agent.calls, agent.idle_since)


def _least_talk(agent: "AgentSlot", queue: QueueView) -> Hashable:
    return (agent.talk_time, agent.idle_since)


def _top_down(agent: "AgentSlot", queue: QueueView) -> Hashable:
    return queue.order[agent.id]


def _skills(agent: "AgentSlot", queue: QueueView) -> Hashable:
    return (-queue.members[agent.id], agent.idle_since)


# --- ring all, round robin, random --------------------------------------------------------

class SetIndex:
    """Ready agents in a set with O(1) add, discard and random choice."""

    def __init__(self, queue: QueueView) -> None:
        self.queue = queue
        self._list: list["AgentSlot"] = []
        self._pos: dict[str, int] = {}

    def add(self, agent: "AgentSlot") -> None:
        if agent.id not in self._pos:
            self._pos[agent.id] = len(self._list)
            self._list.append(agent)

    def discard(self, agent: "AgentSlot") -> None:
        i = self._pos.pop(agent.id, None)
        if i is None:
            return
        last = self._list.pop()
        if last is not agent:
            self._list[i] = last
            self._pos[last.id] = i

    @property
    def ready(self) -> list["AgentSlot"]:
        return self._list

    def __len__(self) -> int:
        return len(self._list)


class RingAllIndex(SetIndex):
    def pick(self, entry: "Waiting") -> list["AgentSlot"]:
        return sorted(self._list, key=lambda a: self.queue.order[a.id])

    def pick_among(self, entry: "Waiting", qualifies: Qualifies) -> list["AgentSlot"]:
        return [a for a in self.pick(entry) if qualifies(a)]


class RandomIndex(SetIndex):
    def __init__(self, queue: QueueView, weighted: bool, rng: random.Random) -> None:
        super().__init__(queue)
        self.weighted = weighted
        self.rng = rng

    def pick(self, entry: "Waiting") -> list["AgentSlot"]:
        return self._choose(self._list)

    def pick_among(self, entry: "Waiting", qualifies: Qualifies) -> list["AgentSlot"]:
        return self._choose([a for a in self._list if qualifies(a)])

    def _choose(self, ready: list["AgentSlot"]) -> list["AgentSlot"]:
        if not ready:
            return []
        if not self.weighted:
            return [self.rng.choice(ready)]
        weights = [max(self.queue.members[a.id], 0) or 1 for a in ready]
        return self.rng.choices(ready, weights=weights)


class RoundRobinIndex:
    """Member order, starting after the agent who got the queue's previous call."""

    def __init__(self, queue: QueueView) -> None:
        self.queue = queue
        self._sorted = SortedList()
        self._in: dict[str, int] = {}
        self.last = -1

    def add(self, agent: "AgentSlot") -> None:
        if agent.id not in self._in:
            order = self.queue.order[agent.id]
            self._in[agent.id] = order
            self._sorted.add((order, agent.id))

    def discard(self, agent: "AgentSlot") -> None:
        order = self._in.pop(agent.id, None)
        if order is not None:
            self._sorted.remove((order, agent.id))

    def pick(self, entry: "Waiting") -> list["AgentSlot"]:
        if not self._sorted:
            return []
        i = self._sorted.bisect_left((self.last + 1, ""))
        order, agent_id = self._sorted[i if i < len(self._sorted) else 0]
        self.last = order
        return [self.queue.router.agents[agent_id]]

    def pick_among(self, entry: "Waiting", qualifies: Qualifies) -> list["AgentSlot"]:
        """The next in member order after the previous call's agent that qualifies."""
        n, agents = len(self._sorted), self.queue.router.agents
        i = self._sorted.bisect_left((self.last + 1, ""))
        for j in range(n):
            order, agent_id = self._sorted[(i + j) % n]
            if qualifies(agent := agents[agent_id]):
                self.last = order
                return [agent]
        return []

    def __len__(self) -> int:
        return len(self._sorted)


class CustomerIndex(KeyedIndex):
    """The agent this caller belongs to (last served them, or owns the customer) when
    ready, else the longest idle.  Waiting for a busy preferred agent is the router's
    business (``Waiting.preferred`` / ``prefer_until``)."""

    def __init__(self, queue: QueueView) -> None:
        super().__init__(queue, _idle)

    def pick(self, entry: "Waiting") -> list["AgentSlot"]:
        if entry.preferred and entry.preferred in self._keys:
            return [self.queue.router.agents[entry.preferred]]
        return super().pick(entry)

    def pick_among(self, entry: "Waiting", qualifies: Qualifies) -> list["AgentSlot"]:
        if entry.preferred and entry.preferred in self._keys:
            agent = self.queue.router.agents[entry.preferred]
            if qualifies(agent):
                return [agent]
        return super().pick_among(entry, qualifies)


class _Factory:
    def __init__(self, name: str, make: Callable[[QueueView], ReadyIndex]) -> None:
        self.name = name
        self._make = make

    def index(self, queue: QueueView) -> ReadyIndex:
        return self._make(queue)


# --- plug-ins ----------------------------------------------------------------------------

class ScanStrategy:
    """Base for custom strategies: ``choose`` sees every ready agent of the queue.

    ``choose(ready, entry, queue)`` returns the agents to offer the call to (usually
    one, several to ring them all, none to leave the call waiting).  ``ready`` holds
    :class:`~kefu.acd.slots.AgentSlot` objects (``id``, ``idle_since``, ``calls``,
    ``talk_time``, ``attrs``); ``queue.members[agent.id]`` is the skill level and
    ``entry.data`` whatever the ACD attached (caller number, call-attached data).
    A scan costs O(ready agents) per decision; fine for the few ready agents a queue
    with waiting calls has.
    """

    name = "scan"

    def choose(self, ready: Sequence["AgentSlot"], entry: "Waiting",
               queue: QueueView) -> list["AgentSlot"]:
        raise NotImplementedError

    def index(self, queue: QueueView) -> ReadyIndex:
        strategy = self

        class _ScanIndex(SetIndex):
            def pick(self, entry: "Waiting") -> list["AgentSlot"]:
                return self.pick_among(entry, lambda a: True)

            def pick_among(self, entry: "Waiting", qualifies: Qualifies) -> list["AgentSlot"]:
                ready = [a for a in self._list if qualifies(a)]
                if not ready:
                    return []
                chosen = strategy.choose(ready, entry, self.queue)
                return [a for a in chosen if a.id in self._pos and qualifies(a)]

        return _ScanIndex(queue)


def builtin_strategies(rng: random.Random | None = None) -> dict[str, Any]:
    rng = rng or random.Random()
    longest_idle = KeyedStrategy("longest_idle", _idle)
    return {
        "ring_all": _Factory("ring_all", RingAllIndex),
        "longest_idle": longest_idle,
        "fewest_calls": KeyedStrategy("fewest_calls", _fewest_calls),
        "least_talk": KeyedStrategy("least_talk", _least_talk),
        "round_robin": _Factory("round_robin", RoundRobinIndex),
        "top_down": KeyedStrategy("top_down", _top_down),
        "random": _Factory("random", lambda q: RandomIndex(q, False, rng)),
        "weighted_random": _Factory("weighted_random", lambda q: RandomIndex(q, True, rng)),
        "skills": KeyedStrategy("skills", _skills),
        "customer": _Factory("customer", CustomerIndex),
        # VIP priority raises the call's priority from the customer's tier (the ACD
        # does that for every strategy); among agents it is longest idle
        "vip": KeyedStrategy("vip", _idle),
    }


def plugin_strategies() -> dict[str, Any]:
    """Strategies installed as entry points (group ``kefu.strategies``)."""
    found: dict[str, Any] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            obj = ep.load()
            strategy = obj() if isinstance(obj, type) else obj
            if not callable(getattr(strategy, "index", None)):
                raise TypeError("it has no index(queue) method")
        except Exception as exc:
            log.error("routing strategy plug-in %r (%s) not loaded: %s", ep.name, ep.value, exc)
            continue
        found[ep.name] = strategy
    return found


def all_strategies(rng: random.Random | None = None) -> dict[str, Any]:
    """Built-in strategies, then plug-ins (a plug-in cannot replace a built-in)."""
    strategies = builtin_strategies(rng)
    for name, strategy in plugin_strategies().items():
        if name in strategies:
            log.error("routing strategy plug-in %r ignored: a built-in has that name", name)
        else:
            strategies[name] = strategy
    return strategies


def strategy_names() -> set[str]:
    """Every name a queue's ``strategy`` may take, exactly those the router will accept: the
    built-ins and the plug-ins that load (a broken one is logged and refused)."""
    return set(all_strategies())
