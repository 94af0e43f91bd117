"""The routing engine: which agent gets which waiting call.  Pure logic, no I/O, no clock.

Two decisions make up all of ACD routing:

* a call arrives in a queue (``enqueue``): the queue's strategy picks among its ready
  agents (:mod:`kefu.acd.strategies`), or the call waits;
* an agent becomes ready (``set_ready``): the agent takes the best waiting call of all
  the queues it is logged into, or waits.

Waiting calls are ordered by a score that ages: a call's key is the time it joined
minus ``priority × priority_seconds``, so a priority-1 call counts as if it had waited
``priority_seconds`` longer, and every waiting call gains on newer ones as time passes.
Because waiting time grows equally for every call, the key never changes while the call
waits: each queue keeps its calls sorted once, and the best call for an agent in several
queues is the smallest head among those queues.  A call that was offered and not
answered goes back with its key: it keeps its place.

A call may ask for a minimum skill level in its queue (``Waiting.min_level``, an IVR
``queue`` node's ``min_level``): only members at that level or above are offered it.
Each queue keeps such calls in one sorted list per level asked (the plain ones in
``waiting``), so an agent becoming ready compares the heads of the lists its level
allows: a few more comparisons, no scan.  A call arriving asks the strategy's index for
its choice among the members at that level (``pick_among``: the index's order walked
until one qualifies; the plain ``pick`` for calls that ask no level).

A call that prefers one agent (customer-based routing) waits only for that agent until
``prefer_until``; :meth:`Router.due` then lets any agent take it.

Every decision the engine returns as an :class:`Offer` has already been applied: the
call left its queue and the agents are no longer ready.  The ACD rings them and reports
back (``requeue`` the call after no answer, ``set_ready`` the agents again).
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass
from typing import Any, Iterable

from sortedcontainers import SortedKeyList

from kefu.acd.slots import AgentSlot, Waiting
from kefu.acd.strategies import ReadyIndex, all_strategies

__all__ = ["AgentSlot", "Offer", "RQueue", "Router", "RoutingError", "Waiting"]


class RoutingError(ValueError):
    pass


@dataclass
class Offer:
    entry: Waiting
    agents: list[AgentSlot]


class RQueue:
    def __init__(self, router: "Router", name: str, strategy: Any, priority: int) -> None:
        self.router = router
        self.name = name
        self.strategy_name: str = getattr(strategy, "name", "")
        self.priority = priority                 # added to every call's priority
        self.members: dict[str, int] = {}        # agent id → skill level
        self.order: dict[str, int] = {}          # agent id → position (top-down, ring-all)
        self.waiting = SortedKeyList(key=_key)  # calls any member may take
        self.levelled: dict[int, SortedKeyList] = {}   # min_level → calls asking it
        self.index: ReadyIndex = strategy.index(self)

    def head_for(self, agent: AgentSlot) -> Waiting | None:
        """The best waiting call ``agent`` (a member) may take."""
        best = self.waiting[0] if self.waiting else None
        if not self.levelled:                # the usual case: no call asks a level
            return best
        level = self.members.get(agent.id, 0)
        for need, calls in self.levelled.items():
            if need <= level and (best is None or calls[0].key < best.key):
                best = calls[0]
        return best

    def add(self, entry: Waiting) -> None:
        if entry.min_level <= 0:
            self.waiting.add(entry)
        else:
            self.levelled.setdefault(entry.min_level, SortedKeyList(key=_key)).add(entry)

    def discard(self, entry: Waiting) -> None:
        if entry.min_level <= 0:
            self.waiting.discard(entry)
        elif (calls := self.levelled.get(entry.min_level)) is not None:
            calls.discard(entry)
            if not calls:                    # no empty lists: heads are always there
                del self.levelled[entry.min_level]

    def ahead_of(self, entry: Waiting) -> int:
        """Calls of this queue before ``entry`` (whatever level they ask)."""
        return self.waiting.bisect_key_left(entry.key) + sum(
            calls.bisect_key_left(entry.key) for calls in self.levelled.values())

    def __len__(self) -> int:
        return len(self.waiting) + sum(len(calls) for calls in self.levelled.values())


def _key(w: Waiting) -> tuple:
    return w.key


class Router:
    def __init__(self, priority_seconds: float = 60.0, strategies: dict[str, Any] | None = None
                 ) -> None:
        self.priority_seconds = priority_seconds
        self.strategies = strategies if strategies is not None else all_strategies()
        self.queues: dict[str, RQueue] = {}
        self.agents: dict[str, AgentSlot] = {}
        self.entries: dict[str, Waiting] = {}
        self._seq = itertools.count()
        self._timers: list[tuple[float, int, Waiting]] = []    # preference expiries

    # --- configuration -----------------------------------------------------------------------
    def add_queue(self, name: str, strategy: str = "longest_idle", priority: int = 0) -> RQueue:
        if strategy not in self.strategies:
            raise RoutingError(f"unknown routing strategy {strategy!r} (known: "
                               f"{', '.join(sorted(self.strategies))})")
        queue = RQueue(self, name, self.strategies[strategy], priority)
        queue.strategy_name = strategy      # the name it was configured by (a plug-in's
        self.queues[name] = queue           # object need not have a ``name``)
        return queue

    def add_agent(self, agent_id: str, skills: dict[str, int]) -> AgentSlot:
        """An agent and its queue memberships (queue → level), in member order."""
        for q in skills:
            if q not in self.queues:
                raise RoutingError(f"agent {agent_id}: no queue {q!r}")
        agent = AgentSlot(agent_id, dict(skills), seq=next(self._seq))
        self.agents[agent_id] = agent
        for q, level in skills.items():
            queue = self.queues[q]
            queue.members[agent_id] = level
            queue.order[agent_id] = len(queue.order)
        return agent

    def set_skills(self, agent_id: str, skills: dict[str, int], join: bool = False
                   ) -> Offer | None:
        """Change an agent's memberships (queue → level) while kefu runs: a supervisor
        moves it between queues or changes its levels.

        Dropped queues are left at once; with ``join`` (the agent is logged in) it is
        logged into new ones too.  A ready agent stays ready and keeps its idle time in
        every index; if a queue it now serves has a call waiting, that call is offered
        to it (returned) as when it becomes ready.  New members go last in member order.
        """
        for q in skills:
            if q not in self.queues:
                raise RoutingError(f"agent {agent_id}: no queue {q!r}")
        agent = self.agents.get(agent_id)
        if agent is None:
            self.add_agent(agent_id, skills)
            return None
        was_ready = agent.ready
        self.set_busy(agent_id)
        for q in set(agent.skills) - set(skills):
            queue = self.queues[q]
            queue.members.pop(agent_id, None)
            queue.order.pop(agent_id, None)
            agent.queues.discard(q)
        for q, level in skills.items():
            queue = self.queues[q]
            queue.members[agent_id] = level
            if agent_id not in queue.order:
                queue.order[agent_id] = max(queue.order.values(), default=-1) + 1
                if join:
                    agent.queues.add(q)
        agent.skills = dict(skills)
        if not was_ready:
            return None
        if (best := self.best_for(agent)) is not None:
            self._take(best)
            return Offer(best, [agent])
        agent.ready = True                          # idle_since as it was
        for q in agent.queues:
            self.queues[q].index.add(agent)
        return None

    def set_order(self, queue: str, agent_ids: Iterable[str]) -> None:
        """The queue's member order (top-down, round robin, ring-all), by agent id;
        members not named keep their place after those named.  Agents must be ready-free
        (set before anyone logs in)."""
        q = self.queues[queue]
        named = [a for a in agent_ids if a in q.members]
        rest = sorted((a for a in q.members if a not in named), key=q.order.__getitem__)
        q.order = {a: i for i, a in enumerate(named + rest)}

    # --- agents ------------------------------------------------------------------------------
    def login(self, agent_id: str, queues: Iterable[str] | None = None) -> None:
        """Log into ``queues`` (None: all the agent's queues); the agent is not ready yet."""
        agent = self.agents[agent_id]
        wanted = set(agent.skills) if queues is None else set(queues)
        unknown = wanted - set(agent.skills)
        if unknown:
            raise RoutingError(f"agent {agent_id} is not a member of {', '.join(sorted(unknown))}")
        self.set_busy(agent_id)
        agent.queues = wanted

    def logout(self, agent_id: str) -> list[Waiting]:
        """Log out of every queue.  Calls that waited only for this agent are released:
        they wait nowhere until the caller routes each again with :meth:`requeue` (which
        keeps its place, offering it at once if an agent of its queue is ready)."""
        agent = self.agents[agent_id]
        self.set_busy(agent_id)
        agent.queues = set()
        released, agent.parked = agent.parked, []
        for entry in released:
            entry.parked = False
            self.entries.pop(entry.id, None)
        return released

    def set_busy(self, agent_id: str) -> None:
        """The agent stops being ready (reserved, talking, not ready, logged out)."""
        agent = self.agents[agent_id]
        if not agent.ready:
            return
        agent.ready = False
        for q in agent.queues:
            self.queues[q].index.discard(agent)

    def set_ready(self, agent_id: str, now: float) -> Offer | None:
        """The agent is free: offer it the best call waiting for it, else index it."""
        agent = self.agents[agent_id]
        if agent.ready:
            return None
        if not agent.queues:
            agent.ready = True
            agent.idle_since = now
            return None
        best = self.best_for(agent)
        if best is not None:
            self._take(best)
            return Offer(best, [agent])
        agent.ready = True
        agent.idle_since = now
        for q in agent.queues:
            self.queues[q].index.add(agent)
        return None

    def best_for(self, agent: AgentSlot) -> Waiting | None:
        best: Waiting | None = agent.parked[0] if agent.parked else None
        for q in agent.queues:
            head = self.queues[q].head_for(agent)
            if head is not None and (best is None or head.key < best.key):
                best = head
        return best

    def answered(self, agent_id: str) -> None:
        self.agents[agent_id].calls += 1

    def talked(self, agent_id: str, seconds: float) -> None:
        self.agents[agent_id].talk_time += seconds

    def restore(self, agent_id: str, calls: int, talk_time: float) -> None:
        """Counts carried over a restart (today's, from the event log), before the agent
        is ready: the keyed indexes read them when it becomes ready."""
        slot = self.agents[agent_id]
        slot.calls, slot.talk_time = calls, talk_time

    # --- calls -------------------------------------------------------------------------------
    def enqueue(self, entry: Waiting, now: float) -> Offer | None:
        """A call joins ``entry.queue``: offer it to the strategy's choice, or let it wait."""
        queue = self.queues.get(entry.queue)
        if queue is None:
            raise RoutingError(f"no queue {entry.queue!r}")
        if entry.id in self.entries:
            raise RoutingError(f"call {entry.id} is already waiting")
        priority = entry.priority + queue.priority
        entry.key = (entry.enqueued - priority * self.priority_seconds, next(self._seq))
        self.entries[entry.id] = entry
        return self._route(entry, now)

    def requeue(self, entry: Waiting, now: float) -> Offer | None:
        """An offer of ``entry`` failed: it is routed again, keeping its place."""
        if self.entries.get(entry.id) is entry:     # still waiting: not a second copy
            self._take(entry)
        self.entries[entry.id] = entry
        return self._route(entry, now)

    def _route(self, entry: Waiting, now: float) -> Offer | None:
        queue = self.queues[entry.queue]
        preferred = self.agents.get(entry.preferred) if entry.preferred else None
        if preferred is not None and (entry.queue not in preferred.queues
                                      or queue.members.get(preferred.id, 0) < entry.min_level):
            preferred = None
        if preferred is not None and preferred.ready:
            self.entries.pop(entry.id, None)
            self.set_busy(preferred.id)
            return Offer(entry, [preferred])
        if preferred is not None and now < entry.prefer_until:
            entry.parked = True
            preferred.parked.append(entry)
            preferred.parked.sort(key=lambda w: w.key)
            heapq.heappush(self._timers, (entry.prefer_until, next(self._seq), entry))
            return None
        if not len(queue.index):
            agents = []
        elif entry.min_level <= 0:
            agents = queue.index.pick(entry)
        else:
            agents = self._pick_among(queue, entry)
        if not agents:
            queue.add(entry)
            return None
        self.entries.pop(entry.id, None)
        for agent in agents:
            self.set_busy(agent.id)
        return Offer(entry, agents)

    @staticmethod
    def _pick_among(queue: RQueue, entry: Waiting) -> list[AgentSlot]:
        """The strategy's choice among the ready members at ``entry``'s level or above."""
        need, members = entry.min_level, queue.members

        def qualifies(agent: AgentSlot) -> bool:
            return members.get(agent.id, 0) >= need
        among = getattr(queue.index, "pick_among", None)
        if among is not None:
            return among(entry, qualifies)
        # a plug-in index that cannot choose among some: its choice, if it qualifies
        return [a for a in queue.index.pick(entry) if qualifies(a)]

    def withdraw(self, entry_id: str) -> Waiting | None:
        """The call left the queue (abandoned, overflowed, went to callback)."""
        entry = self.entries.get(entry_id)
        if entry is None:
            return None
        self._take(entry)
        return entry

    def _take(self, entry: Waiting) -> None:
        self.entries.pop(entry.id, None)
        if entry.parked:
            entry.parked = False
            self.agents[entry.preferred].parked.remove(entry)  # type: ignore[index]
        else:
            self.queues[entry.queue].discard(entry)

    def next_due(self) -> float | None:
        return self._timers[0][0] if self._timers else None

    def due(self, now: float) -> list[Offer]:
        """Preferences that expired by ``now``: those calls are open to every agent."""
        offers: list[Offer] = []
        while self._timers and self._timers[0][0] <= now:
            _, _, entry = heapq.heappop(self._timers)
            if not entry.parked or self.entries.get(entry.id) is not entry:
                continue
            self.agents[entry.preferred].parked.remove(entry)  # type: ignore[index]
            entry.parked = False
            entry.preferred = None
            offer = self._route(entry, now)
            if offer is not None:
                offers.append(offer)
        return offers

    # --- status ------------------------------------------------------------------------------
    def position(self, entry_id: str) -> int:
        """1-based place of a waiting call in its queue (0: not waiting)."""
        entry = self.entries.get(entry_id)
        if entry is None:
            return 0
        if entry.parked:
            return 1 + self.agents[entry.preferred].parked.index(entry)  # type: ignore[index]
        return 1 + self.queues[entry.queue].ahead_of(entry)

    def waiting(self, queue: str) -> int:
        return len(self.queues[queue]) + sum(
            1 for e in self.entries.values() if e.parked and e.queue == queue)

    def ready_agents(self, queue: str) -> int:
        return len(self.queues[queue].index)
