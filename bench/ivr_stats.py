#!/usr/bin/env python
"""Benchmark the IVR statistics (kefu.ivr.stats, kefu.ivr.reports) on synthetic events.

No SIP: a seeded generator makes ``--events`` ``ivr.*`` events (about ten a walk) of
walks spread over ``--days`` days in two flows (main and survey): to a queue (one of
three), a read-out then a hangup node, a caller hanging up mid-menu after an invalid key
or a timeout, a collect and store then a caller hang-up, a look-up that fails, a survey;
one queue hand-off in twenty is refused and falls back.  They are written to
``call_events`` of a fresh SQLite database (or ``--db`` URL, e.g. PostgreSQL), then:

  fold      the pure fold (Tally) over the events held in a list: events/s
  report    Statistics.report over the whole range from the database (chunked read, JSON
            decode, fold, whole-range sum), per interval: seconds, events/s
  api       the same report made into the API's StatsOut and serialised to JSON: size
  peak      tracemalloc peak of a report (hour) against holding the same events in a list:
            the chunked read keeps memory to the figures, the open walks and one chunk

The machine's load average is printed; compare runs made under the same load.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from kefu.bus import Event  # noqa: E402
from kefu.ivr.reports import Statistics  # noqa: E402
from kefu.ivr.stats import Tally  # noqa: E402
from kefu.ivr.statsout import StatsOut  # noqa: E402
from kefu.store import Store  # noqa: E402


def walk(rng: random.Random, call: str, t: float) -> list[Event]:
    """One synthetic walk starting at ``t``."""
    out: list[Event] = []

    def ev(type_: str, node: str, dt: float, flow: str = "main", **data: Any) -> None:
        out.append(Event(f"ivr.{type_}", call, {"flow": flow, "node": node, **data}, t + dt))

    if rng.random() < 0.1:  # a post-call survey
        ev("start", "rate", 0, "survey", version=1, caller="139")
        ev("node", "rate", 0, "survey", type="survey")
        score = rng.choice([1, 2, 3, 4, 5, 5, None])
        ev("survey", "rate", 6, "survey", score=score)
        ev("node", "bye", 6, "survey", type="hangup")
        ev("exit", "bye", 6, "survey", reason="hangup")
        return out
    ev("start", "greet", 0, version=3, caller="139")
    ev("node", "greet", 0, type="play")
    ev("node", "main", 4, type="menu")
    path = rng.random()
    if path < 0.15:
        ev("invalid", "main", 8, digits="7", problem="not a choice", attempt=1)
        ev("timeout", "main", 18, attempt=2)
        ev("exit", "main", 20, reason="caller_hangup")
        return out
    if path < 0.35:
        ev("choice", "main", 7, key="1", to="balance")
        ev("node", "balance", 7, type="lookup")
        if rng.random() < 0.1:
            ev("lookup", "balance", 8, ok=False, error="timeout")
            ev("error", "balance", 8, error="timeout")
            ev("node", "bye", 10, type="hangup")
        else:
            ev("lookup", "balance", 8, ok=True, fields=["balance"])
            ev("node", "say_balance", 8, type="say")
            ev("say", "say_balance", 8, kind="money", text="一百元", lang="zh")
            ev("node", "bye", 14, type="hangup")
        ev("exit", "bye", 15, reason="hangup")
        return out
    if path < 0.5:
        ev("choice", "main", 7, key="3", to="order")
        ev("node", "order", 7, type="collect")
        ev("digits", "order", 15, digits="123456", into="order")
        ev("node", "save", 15, type="store")
        ev("store", "save", 15, record="order")
        ev("node", "thanks", 15, type="play")
        ev("exit", "thanks", 17, reason="caller_hangup")
        return out
    queue = rng.choice(["sales", "support", "billing"])
    ev("choice", "main", 7, key="2", to="agents")
    ev("node", "agents", 7, type="queue")
    ev("exit", "agents", 7, reason="queue", to=queue)
    if rng.random() < 0.05:
        ev("refused", "agents", 7, reason="queue full")
        ev("node", "bye", 7, type="hangup")
        ev("exit", "bye", 9, reason="hangup")
    return out


def synthesise(n: int, days: float, seed: int) -> list[Event]:
    rng = random.Random(seed)
    start = time.time() - days * 86400
    walks: list[list[Event]] = []
    count = i = 0
    while count < n:
        w = walk(rng, f"call-{i}", start + rng.random() * days * 86400)
        walks.append(w)
        count += len(w)
        i += 1
    events = sorted((e for w in walks for e in w), key=lambda e: e.ts)  # as the log holds them
    return events[:n]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--days", type=float, default=30.0)
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    args = ap.parse_args()

    events = synthesise(args.events, args.days, args.seed)
    start, end = events[0].ts, events[-1].ts + 1
    print(f"{len(events)} events, {sum(e.type == 'ivr.start' for e in events)} walks over "
          f"{args.days:g} days; load average {os.getloadavg()[0]:.2f}")

    t = Tally("hour")
    began = time.perf_counter()
    for e in events:
        t.add(e.type, e.call_id, e.ts, e.data)
    fold = time.perf_counter() - began
    print(f"fold      {fold:6.2f} s  {len(events) / fold:10,.0f} events/s  (in memory, hour)")

    with tempfile.TemporaryDirectory(prefix="kefu-ivr-stats-") as tmp:
        store = Store(args.db or f"sqlite:///{tmp}/kefu.db")
        store.migrate()
        began = time.perf_counter()
        for i in range(0, len(events), 5000):
            store.append_events(events[i:i + 5000])
        print(f"write     {time.perf_counter() - began:6.2f} s  ({store.dialect})")
        stats = Statistics(store.db)
        for interval in ("day", "hour", "15m"):
            began = time.perf_counter()
            report = stats.report(start, end, interval)  # type: ignore[arg-type]
            took = time.perf_counter() - began
            body = StatsOut.of(report).model_dump_json()
            api = time.perf_counter() - began
            print(f"report    {took:6.2f} s  {len(events) / took:10,.0f} events/s  ({interval}: "
                  f"{len(report.intervals)} intervals, {report.whole.total.entered} walks); "
                  f"api {api:5.2f} s, {len(body) / 1e6:.1f} MB JSON")

        tracemalloc.start()
        stats.report(start, end, "hour")
        streamed = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        held = list(stats.events(start, end))
        loaded = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"peak      report (hour, chunked) {streamed / 1e6:6.1f} MB; "
              f"the same {len(held)} events held in a list {loaded / 1e6:6.1f} MB")
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
