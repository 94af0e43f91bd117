#!/usr/bin/env python
"""Benchmark the ACD routing engine alone (kefu.acd.routing), beside a naive scan.

No SIP, no I/O: one process drives ``Router`` directly.  A seeded scenario: ``--queues``
queues (strategies skills, longest_idle, fewest_calls, round_robin, top_down in turn;
one queue in five has queue priority 1), ``--agents`` agents each a member of 2-5 queues
with skill levels 1-10, ``--calls`` waiting calls spread over the queues with priorities
0-3 and enqueue times over the 10 minutes before the run; with ``--levelled P`` a share P
of all calls (waiting and arriving) asks a minimum skill level 1-10 (``Waiting.min_level``,
an IVR queue node's ``min_level``): only members at that level or above may take it.  A decision is one call of
``Router.set_ready`` (an agent is free: it takes the best call of all its queues, or
waits) or ``Router.enqueue`` (a call arrives: the queue's strategy picks a ready agent,
or the call waits).

Phase A, calls waiting, agents freeing: every agent busy, ``--calls`` calls waiting.  Each
step a random busy agent becomes ready (a decision: it takes the best call across its
queues) and a fresh call (random queue, priority 0-3) arrives (a decision: nobody is
ready, it waits), so about ``--calls`` calls keep waiting.
Phase B, agents waiting, calls arriving: half the agents ready, no call waiting.  Each
step a call arrives in a random queue (a decision: the strategy picks an agent) and the
agent it went to is ready again at once (a decision: no call waits, it is indexed).

The same phases (same seed, same operations) run on ``NaiveRouter`` below: the same
semantics without indexes (an agent becoming ready scans every waiting call of its
queues for the smallest key; a call arriving scans all agents for the ready members of
its queue and takes the strategy's best).  Fewer steps (``--naive-ops``): it is slow.
Both runs log every decision; the naive log must equal the start of the engine's (all
the strategies in the mix are deterministic), else the bench fails.

Columns (one row per router and phase):
  decisions  routing decisions timed (two per step, more when an agent takes calls that
             waited in phase B)
  dec/s      decisions / the time spent inside the router's methods
  loop/s     decisions / wall time of the whole loop (the driver's own work included)
  p50/p99/max  latency of one decision, µs (time.perf_counter_ns around the call)
  >1ms       decisions that took longer than 1 ms
  gc2        full garbage collections (generation 2) during the loop: the max latency
             is usually one of them, on a heap holding every waiting call and agent
Targets (the engine, both phases): >= 50,000 decisions/s and p99 <= 1 ms.

Python's garbage collector stays on (its pauses are part of the latency); the machine's
load average is printed, compare runs made under the same load.

Usage: /work/venv/bin/python bench/routing.py [--agents 2000] [--calls 20000] [--queues 50]
        [--ops 100000] [--naive-ops 3000] [--seed 1] [--levelled 0.0]
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from kefu.acd.routing import Offer, Router, Waiting  # noqa: E402
from kefu.acd.strategies import builtin_strategies  # noqa: E402

STRATEGIES = ["skills", "longest_idle", "fewest_calls", "round_robin", "top_down"]
PRIORITY_SECONDS = 60.0
HISTORY = 600.0            # the initial calls joined over the 600 s before the run
TARGET_RATE = 50_000
TARGET_P99_US = 1000.0


# --- the scenario ------------------------------------------------------------------------

@dataclass
class Scenario:
    queues: list[tuple[str, str, int]]              # name, strategy, queue priority
    agents: list[tuple[str, dict[str, int]]]        # id, {queue: level} in member order
    calls: list[tuple[str, str, float, int, int]]   # id, queue, enqueued, priority, min_level
    half: list[str]                                 # phase B: the agents ready at the start
    levelled: float = 0.0                           # the share of calls asking a level


def min_level(rng: random.Random, share: float) -> int:
    """A call's minimum skill level: 0 (anyone), or 1-10 for a share of them (no draw at
    all without ``--levelled``, so the default scenario stays what it always was)."""
    return rng.randint(1, 10) if share and rng.random() < share else 0


def scenario(n_queues: int, n_agents: int, n_calls: int, seed: int,
             levelled: float = 0.0) -> Scenario:
    rng = random.Random(seed)
    queues = [(f"q{i:02d}", STRATEGIES[i % len(STRATEGIES)], 1 if i % 5 == 4 else 0)
              for i in range(n_queues)]
    names = [q[0] for q in queues]
    agents = []
    for i in range(n_agents):
        member_of = rng.sample(names, rng.randint(2, min(5, n_queues)))
        agents.append((f"a{i:04d}", {q: rng.randint(1, 10) for q in member_of}))
    calls = [(f"w{i}", rng.choice(names), rng.uniform(0.0, HISTORY), rng.randint(0, 3),
              min_level(rng, levelled)) for i in range(n_calls)]
    half = rng.sample([a[0] for a in agents], n_agents // 2)
    return Scenario(queues, agents, calls, half, levelled)


# --- the naive reference -----------------------------------------------------------------

@dataclass(eq=False)
class NaiveAgent:
    id: str
    skills: dict[str, int]
    seq: int
    queues: set[str] = field(default_factory=set)
    ready: bool = False
    idle_since: float = 0.0
    calls: int = 0
    talk_time: float = 0.0


class NaiveQueue:
    def __init__(self, name: str, strategy: str, priority: int) -> None:
        self.name = name
        self.strategy = strategy
        self.priority = priority
        self.members: dict[str, int] = {}
        self.order: dict[str, int] = {}
        self.waiting: dict[str, Waiting] = {}
        self.last = -1                               # round robin


class NaiveRouter:
    """``Router``'s semantics for the strategies of the bench, without an index: every
    decision scans."""

    def __init__(self, priority_seconds: float = PRIORITY_SECONDS) -> None:
        self.priority_seconds = priority_seconds
        self.queues: dict[str, NaiveQueue] = {}
        self.agents: dict[str, NaiveAgent] = {}
        self.all_agents: list[NaiveAgent] = []
        self._seq = 0

    def _next(self) -> int:
        self._seq += 1
        return self._seq

    def add_queue(self, name: str, strategy: str = "longest_idle", priority: int = 0) -> None:
        if strategy not in STRATEGIES:
            raise ValueError(f"naive router: no strategy {strategy!r}")
        self.queues[name] = NaiveQueue(name, strategy, priority)

    def add_agent(self, agent_id: str, skills: dict[str, int]) -> None:
        agent = NaiveAgent(agent_id, dict(skills), self._next())
        self.agents[agent_id] = agent
        self.all_agents.append(agent)
        for q, level in skills.items():
            self.queues[q].members[agent_id] = level
            self.queues[q].order[agent_id] = len(self.queues[q].order)

    def login(self, agent_id: str) -> None:
        agent = self.agents[agent_id]
        agent.ready = False
        agent.queues = set(agent.skills)

    def answered(self, agent_id: str) -> None:
        self.agents[agent_id].calls += 1

    def set_ready(self, agent_id: str, now: float) -> Offer | None:
        agent = self.agents[agent_id]
        if agent.ready:
            return None
        best: Waiting | None = None
        for q in agent.queues:
            level = self.queues[q].members[agent.id]
            for entry in self.queues[q].waiting.values():
                if entry.min_level <= level and (best is None or entry.key < best.key):
                    best = entry
        if best is not None:
            del self.queues[best.queue].waiting[best.id]
            return Offer(best, [agent])          # type: ignore[list-item]
        agent.ready = True
        agent.idle_since = now
        return None

    def enqueue(self, entry: Waiting, now: float) -> Offer | None:
        queue = self.queues[entry.queue]
        priority = entry.priority + queue.priority
        entry.key = (entry.enqueued - priority * self.priority_seconds, self._next())
        name = queue.name
        ready = [a for a in self.all_agents if a.ready and name in a.queues
                 and queue.members[a.id] >= entry.min_level]
        if not ready:
            queue.waiting[entry.id] = entry
            return None
        strategy = queue.strategy
        if strategy == "round_robin":
            order = queue.order
            after = [a for a in ready if order[a.id] > queue.last]
            agent = min(after or ready, key=lambda a: order[a.id])
            queue.last = order[agent.id]
        else:
            agent = min(ready, key=self._keys[strategy](queue))
        agent.ready = False
        return Offer(entry, [agent])             # type: ignore[list-item]

    _keys: dict[str, Any] = {
        "longest_idle": lambda q: lambda a: (a.idle_since, a.seq, a.id),
        "fewest_calls": lambda q: lambda a: ((a.calls, a.idle_since), a.seq, a.id),
        "skills": lambda q: lambda a: ((-q.members[a.id], a.idle_since), a.seq, a.id),
        "top_down": lambda q: lambda a: (q.order[a.id], a.seq, a.id),
    }

    def waiting_total(self) -> int:
        return sum(len(q.waiting) for q in self.queues.values())


# --- building and driving ----------------------------------------------------------------

def build(kind: str, scen: Scenario, with_calls: bool) -> Any:
    if kind == "engine":
        router: Any = Router(PRIORITY_SECONDS, builtin_strategies(random.Random(0)))
    else:
        router = NaiveRouter(PRIORITY_SECONDS)
    for name, strategy, priority in scen.queues:
        router.add_queue(name, strategy, priority)
    for agent_id, skills in scen.agents:
        router.add_agent(agent_id, skills)
        router.login(agent_id)
    if with_calls:
        for call_id, queue, enqueued, priority, level in scen.calls:
            # nobody is ready: every call waits (the naive router would scan all agents
            # for each one first, which changes nothing but the set-up time)
            entry = Waiting(call_id, queue, enqueued, priority, min_level=level)
            if kind == "engine":
                assert router.enqueue(entry, HISTORY) is None
            else:
                router.enqueue(entry, HISTORY)
    return router


def waiting_total(router: Any) -> int:
    if isinstance(router, NaiveRouter):
        return router.waiting_total()
    return sum(len(q) for q in router.queues.values())


@dataclass
class Result:
    lat: list[int]              # ns per decision
    log: list[Any]              # what each decision did
    wall: float                 # s, the whole loop
    waiting_end: int
    gc2: int = 0                # full (generation 2) collections during the loop
    took: int = 0               # set_ready decisions that took a call
    indexed: int = 0            # set_ready decisions that left the agent ready
    offered: int = 0            # enqueue decisions that picked an agent
    waited: int = 0             # enqueue decisions that left the call waiting


def phase_a(router: Any, scen: Scenario, ops: int, seed: int, log_steps: int) -> Result:
    """Calls waiting, agents freeing; the decisions of the first ``log_steps`` steps are
    logged."""
    rng = random.Random(seed)
    names = [q[0] for q in scen.queues]
    busy = [a[0] for a in scen.agents]
    lat: list[int] = []
    log: list[Any] = []
    res = Result(lat, log, 0.0, 0)
    now = HISTORY
    clock = time.perf_counter_ns
    w0 = time.perf_counter()
    for i in range(ops):
        if i == log_steps:
            log = DISCARD                # the rest is not compared: spare the heap
        now += 0.01
        j = rng.randrange(len(busy))
        agent_id = busy[j]
        busy[j] = busy[-1]
        busy.pop()
        t0 = clock()
        offer = router.set_ready(agent_id, now)
        t1 = clock()
        lat.append(t1 - t0)
        if offer is not None:
            router.answered(agent_id)
            busy.append(agent_id)
            log.append(("r", agent_id, offer.entry.id))
            res.took += 1
        else:
            log.append(("r", agent_id, None))
            res.indexed += 1
        entry = Waiting(f"n{i}", names[rng.randrange(len(names))], now, rng.randint(0, 3),
                        min_level=min_level(rng, scen.levelled))
        t0 = clock()
        offer = router.enqueue(entry, now)
        t1 = clock()
        lat.append(t1 - t0)
        if offer is not None:
            for agent in offer.agents:
                router.answered(agent.id)
                busy.append(agent.id)
            log.append(("e", entry.id, tuple(a.id for a in offer.agents)))
            res.offered += 1
        else:
            log.append(("e", entry.id, None))
            res.waited += 1
    res.wall = time.perf_counter() - w0
    res.waiting_end = waiting_total(router)
    return res


def phase_b(router: Any, scen: Scenario, ops: int, seed: int, log_steps: int) -> Result:
    """Agents waiting, calls arriving; the decisions of the first ``log_steps`` steps are
    logged."""
    rng = random.Random(seed)
    names = [q[0] for q in scen.queues]
    for k, agent_id in enumerate(scen.half):
        assert router.set_ready(agent_id, k * 0.001) is None
    lat: list[int] = []
    log: list[Any] = []
    res = Result(lat, log, 0.0, 0)
    now = 10.0
    clock = time.perf_counter_ns
    w0 = time.perf_counter()
    for i in range(ops):
        if i == log_steps:
            log = DISCARD                # the rest is not compared: spare the heap
        now += 0.01
        entry = Waiting(f"n{i}", names[rng.randrange(len(names))], now, rng.randint(0, 3),
                        min_level=min_level(rng, scen.levelled))
        t0 = clock()
        offer = router.enqueue(entry, now)
        t1 = clock()
        lat.append(t1 - t0)
        if offer is None:
            log.append(("e", entry.id, None))
            res.waited += 1
            continue
        res.offered += 1
        agents = tuple(a.id for a in offer.agents)
        log.append(("e", entry.id, agents))
        for agent_id in agents:
            router.answered(agent_id)
            while True:                  # ready again (taking any call that waited)
                t0 = clock()
                again = router.set_ready(agent_id, now)
                t1 = clock()
                lat.append(t1 - t0)
                if again is None:
                    log.append(("r", agent_id, None))
                    res.indexed += 1
                    break
                router.answered(agent_id)
                log.append(("r", agent_id, again.entry.id))
                res.took += 1
    res.wall = time.perf_counter() - w0
    res.waiting_end = waiting_total(router)
    return res


class _Discard:
    def append(self, item: object) -> None:
        pass


DISCARD: Any = _Discard()


class FullCollections:
    """Counts the garbage collector's generation-2 runs while active."""

    def __init__(self) -> None:
        self.count = 0

    def _callback(self, phase: str, info: dict) -> None:
        if phase == "start" and info["generation"] == 2:
            self.count += 1

    def __enter__(self) -> "FullCollections":
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._callback)


def percentile(sorted_ns: list[int], p: float) -> float:
    i = min(len(sorted_ns) - 1, max(0, round(p / 100 * len(sorted_ns)) - 1))
    return sorted_ns[i] / 1000


def figures(res: Result) -> dict[str, float]:
    lat = sorted(res.lat)
    total = sum(lat)
    return {
        "n": len(lat),
        "rate": len(lat) / (total / 1e9),
        "loop": len(lat) / res.wall,
        "p50": percentile(lat, 50),
        "p99": percentile(lat, 99),
        "max": lat[-1] / 1000,
        "over": sum(1 for x in res.lat if x > TARGET_P99_US * 1000),
        "gc2": res.gc2,
    }


def check_agree(phase: str, engine: Result, naive: Result) -> int:
    n = len(naive.log)
    if engine.log[:n] != naive.log:
        first = next(i for i, (a, b) in enumerate(zip(engine.log, naive.log)) if a != b)
        raise AssertionError(f"phase {phase}: decision {first} differs: engine "
                             f"{engine.log[first]} vs naive {naive.log[first]}")
    return n


def main(args: argparse.Namespace) -> int:
    scen = scenario(args.queues, args.agents, args.calls, args.seed, args.levelled)
    levels = sum(len(s) for _, s in scen.agents) / len(scen.agents)
    print(f"kefu routing engine bench: {args.queues} queues ({', '.join(STRATEGIES)}), "
          f"{args.agents} agents (mean {levels:.1f} queues each, levels 1-10), {args.calls} "
          f"waiting calls (priority 0-3), {args.levelled:.0%} of calls asking a level, "
          f"seed {args.seed}; Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs", flush=True)
    rows = []
    agree = []
    for phase, run, with_calls in (("A", phase_a, True), ("B", phase_b, False)):
        t = time.perf_counter()
        router = build("engine", scen, with_calls)
        with FullCollections() as full:
            engine = run(router, scen, args.ops, args.seed + 1, args.naive_ops)
        engine.gc2 = full.count
        t_engine = time.perf_counter() - t
        t = time.perf_counter()
        router = build("naive", scen, with_calls)
        with FullCollections() as full:
            naive = run(router, scen, args.naive_ops, args.seed + 1, args.naive_ops)
        naive.gc2 = full.count
        t_naive = time.perf_counter() - t
        del router
        agree.append(check_agree(phase, engine, naive))
        engine.log = naive.log = []
        print(f"  phase {phase}: engine {t_engine:.1f} s (set-up included), naive {t_naive:.1f} s; "
              f"engine set_ready took a call {engine.took}, left the agent ready {engine.indexed}; "
              f"enqueue offered {engine.offered}, waited {engine.waited}; "
              f"{engine.waiting_end} calls waiting at the end", flush=True)
        rows.append((phase, "engine", figures(engine)))
        rows.append((phase, "naive", figures(naive)))
    print(f"decisions agree: the naive router made the same {agree[0]} (phase A) and "
          f"{agree[1]} (phase B) decisions as the engine")

    titles = {"A": "A calls waiting, agents freeing", "B": "B agents waiting, calls arriving"}
    head = (f"{'phase':<33} {'router':<7} {'decisions':>9} {'dec/s':>9} {'loop/s':>9} "
            f"{'p50 µs':>7} {'p99 µs':>7} {'max µs':>8} {'>1ms':>5} {'gc2':>4}")
    print()
    print(head)
    print("-" * len(head))
    for phase, kind, f in rows:
        print(f"{titles[phase]:<33} {kind:<7} {f['n']:>9} {f['rate']:>9.0f} {f['loop']:>9.0f} "
              f"{f['p50']:>7.1f} {f['p99']:>7.1f} {f['max']:>8.1f} {f['over']:>5} {f['gc2']:>4}")
    print()
    ok = True
    by = {(p, k): f for p, k, f in rows}
    for phase in "AB":
        e, n = by[(phase, "engine")], by[(phase, "naive")]
        passed = e["rate"] >= TARGET_RATE and e["p99"] <= TARGET_P99_US
        ok &= passed
        print(f"phase {phase}: {'PASS' if passed else 'FAIL'}  engine {e['rate']:,.0f} decisions/s "
              f"(target >= {TARGET_RATE:,}), p99 {e['p99']:.1f} µs (target <= {TARGET_P99_US:.0f}); "
              f"naive scan {n['rate']:,.0f} decisions/s, p99 {n['p99']:.1f} µs "
              f"({e['rate'] / n['rate']:.0f}x slower than the engine)")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    return 0 if ok else 1


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--agents", type=int, default=2000)
    ap.add_argument("--calls", type=int, default=20_000, help="calls waiting in phase A")
    ap.add_argument("--queues", type=int, default=50)
    ap.add_argument("--ops", type=int, default=100_000, help="steps per phase, engine")
    ap.add_argument("--naive-ops", type=int, default=3000, help="steps per phase, naive router")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--levelled", type=float, default=0.0,
                    help="share of calls asking a minimum skill level 1-10")
    sys.exit(main(ap.parse_args()))
