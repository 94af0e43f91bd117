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
import tempfile
import time
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import sqlalchemy as sa  # noqa: E402

from kefu.config import ReportsSettings  # noqa: E402
from kefu.reports.service import Reports  # noqa: E402
from kefu.reports.fold import Fold  # noqa: E402
from kefu.reports.models import ReportCursorRow  # noqa: E402
from kefu.reports.summary import Days, Summaries  # noqa: E402
from kefu.store.engine import normalise_url  # noqa: E402
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


INDEXES = (("ix_call_events_call_id", "call_id"), ("ix_call_events_ts", "ts"))


class Writer:
    """Bulk-writes event rows into one store's ``call_events`` (SQLite executemany,
    PostgreSQL COPY in text blocks), 50,000 at a time; the log's indexes are dropped
    for the load and built again at the end (as a restore would)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.raw = store.db.engine.raw_connection()
        self.cur = self.raw.cursor()
        self.pg = store.db.dialect == "postgresql"
        self.batch: list[tuple] = []
        for name, _ in INDEXES:
            self.cur.execute(f"DROP INDEX IF EXISTS {name}")
        if not self.pg:
            self.cur.execute("PRAGMA synchronous=OFF")

    def add(self, row: tuple) -> None:
        self.batch.append(row)
        if len(self.batch) >= 50_000:
            self.flush()

    def flush(self) -> None:
        if self.pg:        # the generated JSON holds no tab, newline or backslash
            text = "".join(f"{ts!r}\t{cid if cid is not None else chr(92) + 'N'}\t{ty}\t{d}\n"
                           for ts, cid, ty, d in self.batch)
            with self.cur.copy("COPY call_events (ts, call_id, type, data) FROM STDIN") as cp:
                cp.write(text)
        else:
            self.cur.executemany("INSERT INTO call_events (ts, call_id, type, data) "
                                 "VALUES (?, ?, ?, ?)", self.batch)
        self.raw.commit()
        self.batch.clear()

    def close(self) -> None:
        self.flush()
        for name, column in INDEXES:
            self.cur.execute(f"CREATE INDEX {name} ON call_events ({column})")
        if not self.pg:
            self.cur.execute("PRAGMA synchronous=FULL")
        self.raw.commit()
        self.raw.close()


class Streamed:
    """An event as the fold reads it, straight from the generator."""

    __slots__ = ("ts", "call_id", "type", "data")

    def __init__(self, ts: float, call_id: str | None, type_: str, data: dict) -> None:
        self.ts, self.call_id, self.type, self.data = ts, call_id, type_, data


def fill(stores: list[Store], args: argparse.Namespace, stream: bool) -> int:
    """Bulk-write the month into every store; ``stream``: fold the generated events in
    the same pass (the same :class:`Fold` the consumer runs, written by the same
    ``Summaries.write``) instead of reading them back from the log.  How many events."""
    for store in stores:                     # a kept month a run left half-written
        with store.db.tx() as s:
            for table in ("call_events", "report_facts", "report_days", "report_counts"):
                s.execute(sa.text(f"DELETE FROM {table}"))
    writers = [Writer(s) for s in stores]
    sums = [Summaries(s.db, lambda q: SL, SHORT, Days("UTC")) for s in stores]
    fold = Fold(lambda q: SL, SHORT)
    n = 0

    def write_facts() -> None:
        facts = fold.take()
        for summaries in sums:
            with summaries.db.tx() as s:
                summaries.write(s, facts)
    for ts, cid, type_, data in month(args.calls, args.queues, args.agents):
        row = (ts, cid, type_, json.dumps(data))
        for w in writers:
            w.add(row)
        n += 1
        if stream:
            fold.apply(Streamed(ts, cid, type_, data))
            if n % 2_000_000 == 0:
                write_facts()
                print(f"  {n:,} events", flush=True)
    for w in writers:
        w.close()
    if stream:
        write_facts()
        for store in stores:                 # the cursor as the consumer leaves it
            with store.db.tx() as s:
                last = s.execute(sa.text("SELECT max(id) FROM call_events")).scalar()
                s.add(ReportCursorRow(id=1, last_event_id=last, state=fold.state, zone="UTC"))
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


def open_store(backend: str, args: argparse.Namespace) -> tuple[Store, bool]:
    """The store to run on, and whether it already holds the month (``--keep``: a SQLite
    file or a PostgreSQL schema kept between runs, to time the reports again)."""
    if backend == "sqlite":
        path = Path(args.keep or tempfile.mkdtemp()) / f"reports-{args.calls}.db"
        store = Store(f"sqlite:///{path}")
    else:
        schema = f"kefu_bench_reports_{args.calls}" if args.keep else f"kefu_bench_{os.getpid()}"
        admin = sa.create_engine(normalise_url(args.pg))
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        admin.dispose()
        url = normalise_url(args.pg).update_query_dict({"options": f"-csearch_path={schema}"})
        store = Store(url.render_as_string(hide_password=False))
    store.migrate()
    with store.db.engine.connect() as conn:
        done = conn.execute(sa.text("SELECT count(*) FROM report_cursor")).scalar() > 0
    return store, done


COPIED = ("call_events", "report_facts", "report_days", "report_counts", "report_cursor")


def copy_from(source: Path, store: Store) -> int:
    """The kept SQLite month (its log and the summary tables its fold wrote) copied into
    ``store`` (PostgreSQL) with COPY: the same data without generating and folding it
    again; how many events."""
    import sqlite3
    src = sqlite3.connect(source)
    raw = store.db.engine.raw_connection()
    cur = raw.cursor()
    for name, _ in INDEXES:
        cur.execute(f"DROP INDEX IF EXISTS {name}")
    for table in COPIED:
        cols = [r[1] for r in src.execute(f"PRAGMA table_info({table})")]
        names = ", ".join(f'"{c}"' for c in cols)
        rows = src.execute(f"SELECT {names} FROM {table}")
        with cur.copy(f"COPY {table} ({names}) FROM STDIN") as cp:
            while batch := rows.fetchmany(50_000):
                for row in batch:
                    cp.write_row(row)
        raw.commit()
    for name, column in INDEXES:
        cur.execute(f"CREATE INDEX {name} ON call_events ({column})")
    cur.execute("SELECT setval(pg_get_serial_sequence('call_events', 'id'), "
                "(SELECT max(id) FROM call_events))")
    cur.execute("ANALYZE")
    raw.commit()
    n = src.execute("SELECT count(*) FROM call_events").fetchone()[0]
    raw.close()
    src.close()
    return n


def drop(store: Store, args: argparse.Namespace) -> None:
    if store.db.dialect == "postgresql" and not args.keep:
        schema = f"kefu_bench_{os.getpid()}"
        store.close()
        admin = sa.create_engine(normalise_url(args.pg))
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    else:
        store.close()


def measure(store: Store, folded_already: bool, fold_log: bool) -> None:
    """Fold (when the log was not folded while written), time the two reports and the
    naive aggregation on one store, check they agree."""
    name = store.db.dialect
    if fold_log and not folded_already:
        t = time.perf_counter()
        folded = Summaries(store.db, lambda q: SL, SHORT, Days("UTC")).sync()
        dt = time.perf_counter() - t
        print(f"{name}: fold {folded:,} events in {dt:.1f} s = {folded / dt:,.0f} events/s")
    with store.db.engine.connect() as conn:
        facts = conn.execute(sa.text("SELECT count(*) FROM report_facts")).scalar()
        days = conn.execute(sa.text("SELECT count(*) FROM report_days")).scalar()
    print(f"{name}: rows report_facts {facts:,}, report_days {days:,}")
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
    print(f"{name}: report agent summary ({len(agent.rows)} rows) + interval "
          f"({len(interval.rows)} rows): {min(best):.3f} s (best of 3: {a:.3f} + "
          f"{i:.3f}; first {best[0]:.3f} s; load {os.getloadavg()[0]:.1f})")
    t = time.perf_counter()
    agents, hours = naive(store, START, START + DAYS * 86400)
    dt = time.perf_counter() - t
    print(f"{name}: naive per-row Python over the events: {dt:.1f} s "
          f"({len(agents)} agents, {len(hours)} hours; load {os.getloadavg()[0]:.1f})")
    total = interval.totals or {}
    assert total.get("answered") == sum(h["answered"] for h in hours.values()), \
        "the engine and the naive count disagree"
    assert total.get("abandoned") == sum(h["abandoned"] for h in hours.values())
    agent_total = agent.totals or {}
    assert abs(agent_total.get("talk", 0) - sum(v["talk"] for v in agents.values())) < 1
    print(f"{name}: agree answered {total.get('answered'):,}, abandoned "
          f"{total.get('abandoned'):,}, service level {total.get('service_level')}, "
          f"talk {agent_total.get('talk'):,.0f} s")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--calls", type=int, default=1_000_000)
    p.add_argument("--queues", type=int, default=10)
    p.add_argument("--agents", type=int, default=200)
    p.add_argument("--pg", default="", help="PostgreSQL URL: run there too (the same month)")
    p.add_argument("--only", choices=("sqlite", "postgresql"), default="",
                   help="one backend (two runs side by side use both cores)")
    p.add_argument("--fold", choices=("log", "stream"), default="log",
                   help="log: Summaries.sync() reads the log back (what kefu does); stream: "
                        "fold the generated events while writing them (for 10M calls)")
    p.add_argument("--from-sqlite", default="", help="with --only postgresql: copy a kept "
                   "SQLite month (its events and summary tables) instead of generating it")
    p.add_argument("--keep", default="", help="a directory: keep the SQLite file there and "
                   "the PostgreSQL schema; a later run with the same --calls reuses them")
    args = p.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}; {args.calls:,} calls, {args.queues} "
          f"queues, {args.agents} agents, fold {args.fold}")
    backends = [args.only] if args.only else ["sqlite"] + (["postgresql"] if args.pg else [])
    opened = [open_store(b, args) for b in backends]
    stores = [s for s, _ in opened]
    if args.from_sqlite and not opened[0][1]:
        t = time.perf_counter()
        events = copy_from(Path(args.from_sqlite), stores[0])
        print(f"copied {events:,} events and the summary tables from {args.from_sqlite} in "
              f"{time.perf_counter() - t:.1f} s")
        opened = [(stores[0], True)]
    elif not all(done for _, done in opened):
        t = time.perf_counter()
        events = fill(stores, args, args.fold == "stream")
        print(f"loaded {events:,} events into {', '.join(s.db.dialect for s in stores)} "
              f"in {time.perf_counter() - t:.1f} s")
    try:
        for store, done in opened:
            measure(store, done, args.fold == "log")
    finally:
        for store in stores:
            drop(store, args)
    print(f"peak RSS {rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
