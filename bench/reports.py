#!/usr/bin/env python
"""Benchmark the reports engine: the agent summary plus the interval report over a
synthetic month, from the summary tables, beside a naive per-row Python aggregation of
the same events in the same run.

A seeded generator makes ``--calls`` queued calls over 30 days (``--queues`` queues,
``--agents`` agents): each enters a queue; 85 % are answered (connect, agent talking,
complete, wrap-up, ready), 10 % abandon (a third of them short), 5 % overflow; every call
ends.  About 8 events a call (agent states included).  They are bulk-written to
``call_events`` of a fresh database made by the real migrations (SQLite temp file, or a
PostgreSQL schema with ``--pg URL``), then:

  fold     Summaries.sync(): the consumer folding the whole log into the summary tables
           (what the event log's after_write does live, a batch at a time): events/s
  report   Reports.run("agent_summary") + Reports.run("traffic_by_interval", hour) over
           the month: seconds (what the issue's < 2 s target is about)
  naive    the same two reports' main figures by reading every event of the month and
           aggregating row by row in Python (streamed, JSON decoded): seconds
  rows     summary rows the reports read; peak RSS of the process

The machine's load average is printed; compare runs made under the same load.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import time
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import sqlalchemy as sa  # noqa: E402

from _stores import filled_store  # noqa: E402
from kefu.config import ReportsSettings  # noqa: E402
from kefu.reports.service import Reports  # noqa: E402
from kefu.reports.summary import Summaries  # noqa: E402
from kefu.store import Store  # noqa: E402

START = datetime(2026, 11, 1, tzinfo=timezone.utc).timestamp()
DAYS = 30
SL, SHORT = 20.0, 5.0


def month(calls: int, queues: int, agents: int, seed: int = 7) -> Iterator[tuple]:
    """(ts, call_id, type, data) rows in time order, call by call (a call's events are
    contiguous: the log order of a real log differs, the fold does not care)."""
    rng = random.Random(seed)
    step = DAYS * 86400 / calls
    names = [f"agent{i:04d}" for i in range(agents)]
    for a, name in enumerate(names):
        yield START - 60, None, "agent.login", {"agent": name, "extension": str(2000 + a),
                                                "queues": [f"q{a % queues}"]}
        yield START - 60, None, "agent.state", {"agent": name, "state": "ready",
                                                "previous": "logged_out", "reason": "",
                                                "extension": str(2000 + a)}
    for i in range(calls):
        t = START + i * step
        cid = f"c{i}"
        q = f"q{rng.randrange(queues)}"
        yield t, cid, "queue.entered", {"queue": q, "caller": "138", "position": 1,
                                        "priority": 0, "preferred": None}
        r = rng.random()
        wait = rng.expovariate(1 / 25)
        if r < 0.85:
            agent = names[rng.randrange(agents)]
            talk = rng.expovariate(1 / 180)
            ext = "2000"
            yield t + wait, cid, "queue.connect", {"queue": q, "agent": agent,
                                                   "extension": ext, "caller": "138",
                                                   "wait": wait, "position": 1}
            yield t + wait, None, "agent.state", {"agent": agent, "state": "talking",
                                                  "previous": "ready", "reason": "",
                                                  "extension": ext}
            end = t + wait + talk
            yield end, cid, "queue.complete", {"queue": q, "agent": agent, "by": "caller",
                                               "talk": talk, "wait": wait}
            yield end, None, "agent.state", {"agent": agent, "state": "wrap_up",
                                             "previous": "talking", "reason": "",
                                             "extension": ext}
            yield end + 15, None, "agent.state", {"agent": agent, "state": "ready",
                                                  "previous": "wrap_up", "reason": "",
                                                  "extension": ext}
        elif r < 0.95:
            wait = wait if rng.random() > 0.33 else rng.random() * SHORT
            end = t + wait
            yield end, cid, "queue.abandon", {"queue": q, "caller": "138", "position": 1,
                                              "entry_position": 1, "wait": wait}
        else:
            end = t + wait
            yield end, cid, "queue.overflow", {"queue": q, "reason": "timeout",
                                               "wait": wait, "position": 1}
        yield end, cid, "call.ended", {"disposition": "answered", "hangup_by": "caller",
                                       "sip_code": None}


def fill(store: Store, args: argparse.Namespace) -> int:
    """Bulk-write the month; how many events."""
    n = 0
    raw = store.db.engine.raw_connection()
    try:
        cur = raw.cursor()
        pg = store.db.dialect == "postgresql"
        sql = ("INSERT INTO call_events (ts, call_id, type, data) VALUES (?, ?, ?, ?)"
               if not pg else None)
        batch: list[tuple] = []

        def flush() -> None:
            if pg:
                with cur.copy("COPY call_events (ts, call_id, type, data) FROM STDIN") as cp:
                    for row in batch:
                        cp.write_row(row)
            else:
                cur.executemany(sql, batch)
            batch.clear()
        for ts, cid, type_, data in month(args.calls, args.queues, args.agents):
            batch.append((ts, cid, type_, json.dumps(data)))
            n += 1
            if len(batch) >= 50_000:
                flush()
        flush()
        raw.commit()
    finally:
        raw.close()
    return n


def naive(store: Store, start: float, end: float) -> tuple[dict, dict]:
    """Both reports' main figures by reading every event row by row: the calls that
    entered in [start, end), so the events read run an hour past ``end`` (a call entered
    before the end may be answered after it)."""
    agents: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    hours: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    with store.db.engine.connect() as conn:
        rows = conn.execution_options(stream_results=True, yield_per=20_000).execute(
            sa.text("SELECT ts, type, data FROM call_events WHERE ts >= :a AND ts < :b "
                    "ORDER BY id"), {"a": start - 3600, "b": end + 3600})
        for ts, type_, data in rows:
            d = json.loads(data) if isinstance(data, str) else data
            entry = ts - d.get("wait", 0.0) if type_ != "queue.complete" else \
                ts - d["talk"] - d["wait"]
            if not start <= entry < end:
                continue
            if type_ == "queue.entered":
                hours[int(ts // 3600)]["entered"] += 1
            elif type_ == "queue.connect":
                h = hours[int((ts - d["wait"]) // 3600)]
                h["answered"] += 1
                h["in_sl"] += d["wait"] <= SL
                agents[d["agent"]]["answered"] += 1
            elif type_ == "queue.abandon":
                h = hours[int((ts - d["wait"]) // 3600)]
                h["short" if d["wait"] < SHORT else "abandoned"] += 1
            elif type_ == "queue.complete":
                agents[d["agent"]]["talk"] += d["talk"]
                agents[d["agent"]]["handled"] += 1
    return agents, hours


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--calls", type=int, default=1_000_000)
    p.add_argument("--queues", type=int, default=10)
    p.add_argument("--agents", type=int, default=200)
    p.add_argument("--pg", default="", help="PostgreSQL URL: run there instead of SQLite")
    args = p.parse_args()
    backend = "postgresql" if args.pg else "sqlite"
    print(f"load average {os.getloadavg()[0]:.2f}; {args.calls:,} calls, {args.queues} "
          f"queues, {args.agents} agents, {backend}")
    events = 0

    def load(store: Store) -> None:
        nonlocal events
        events = fill(store, args)
    with filled_store(backend, args.pg, load) as store:
        print(f"events {events:,}")
        t = time.perf_counter()
        folded = Summaries(store.db, lambda q: SL, SHORT).sync()
        dt = time.perf_counter() - t
        print(f"fold     {folded:,} events in {dt:.1f} s = {folded / dt:,.0f} events/s")
        with store.db.engine.connect() as conn:
            facts = conn.execute(sa.text("SELECT count(*) FROM report_facts")).scalar()
        print(f"rows     report_facts: {facts:,}")
        reports = Reports(store.db, ReportsSettings(short_abandon=SHORT, timezone="UTC"))
        span = {"from": "2026-11-01", "to": "2026-11-30", "interval": "hour"}
        best, parts = [], []
        for _ in range(3):
            t = time.perf_counter()
            agent = reports.run("agent_summary", span, "admin", "admin")
            t1 = time.perf_counter()
            interval = reports.run("traffic_by_interval", span, "admin", "admin")
            best.append(time.perf_counter() - t)
            parts.append((t1 - t, time.perf_counter() - t1))
        a, i = parts[best.index(min(best))]
        print(f"report   agent summary ({len(agent.rows)} rows) + interval "
              f"({len(interval.rows)} rows): {min(best):.3f} s (best of 3: {a:.3f} + "
              f"{i:.3f}; first {best[0]:.3f} s)")
        t = time.perf_counter()
        agents, hours = naive(store, START, START + DAYS * 86400)
        dt = time.perf_counter() - t
        print(f"naive    per-row Python over the events: {dt:.1f} s "
              f"({len(agents)} agents, {len(hours)} hours)")
        total = interval.totals or {}
        assert total.get("answered") == sum(h["answered"] for h in hours.values()), \
            "the engine and the naive count disagree"
        assert total.get("abandoned") == sum(h["abandoned"] for h in hours.values())
        print(f"agree    answered {total.get('answered'):,}, abandoned "
              f"{total.get('abandoned'):,}, service level {total.get('service_level')}")
        print(f"peak RSS {rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
