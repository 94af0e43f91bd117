#!/usr/bin/env python
"""Benchmark the recordings search (kefu.recordings.service.Recordings.search) over
``--rows`` generated recording rows (1,000,000 by default) on SQLite and PostgreSQL.

No SIP: a seeded generator makes a year of recordings (200 agents in 20 queues, callers
from 200,000 numbers, durations around three minutes, one in ten scored, one in a hundred
tagged ``complaint``) and bulk-inserts them into a fresh, migrated database (SQLite: a
temporary file, executemany in one transaction; PostgreSQL: a new schema, COPY).  Then
each common search runs ``--runs`` times with varied values through the service, exactly
as the API calls it (first page of 50, newest first, with the total count):

  agent+week      one agent's calls in a 7-day range
  number prefix   caller or callee starting with 7 digits of a known number
  queue+day       one queue's calls in one day
  score range     qa_score between 90 and 100
  tag             tagged complaint
  group           a supervisor's group: 10 agents (the access filter), no other filter
  no filter       page 1 of everything

p50 and p95 in ms are printed per backend; the target is p95 < 50 ms.  The load average
is printed too: compare runs made under the same load.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import numpy as np  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from tqdm import tqdm  # noqa: E402

from kefu.recordings.models import RecordingRow  # noqa: E402
from kefu.recordings.service import Recordings, Search  # noqa: E402
from kefu.store import Store  # noqa: E402

from _stores import filled_store  # noqa: E402

PG_URL = os.environ.get("KEFU_TEST_POSTGRES_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/test")
YEAR = 365 * 86400.0
END = 1_780_000_000.0
AGENTS = [f"agent{i:03d}" for i in range(200)]
QUEUES = [f"queue{i:02d}" for i in range(20)]
COLUMNS = ("call_id", "segment", "journey", "caller", "callee", "started_at", "duration",
           "agent", "queue", "customer_id", "direction", "disposition", "policy", "tier",
           "path", "codec", "size", "sha256", "state", "paused", "qa_score")
CHUNK = 20_000
NUMBERS = 200_000      # callers' numbers


def rows(n: int, seed: int = 13) -> Iterator[tuple[tuple[Any, ...], list[str]]]:
    """``n`` recordings (values in :data:`COLUMNS` order, ids 1..n) and each one's tags,
    generated a chunk at a time with numpy (the load is the database's, not Python's)."""
    rng = np.random.default_rng(seed)
    numbers = np.array([f"1{a}{b:09d}" for a, b in zip(rng.integers(3, 9, NUMBERS),
                                                        rng.integers(0, 10**9, NUMBERS))])
    for first in range(0, n, CHUNK):
        m = min(CHUNK, n - first)
        ids = np.arange(first + 1, first + m + 1)
        agent = rng.integers(0, len(AGENTS), m)
        caller = numbers[rng.integers(0, NUMBERS, m)]
        started = END - YEAR * (n - ids + 1) / n
        duration = np.round(rng.exponential(180.0, m), 1)
        scored = rng.random(m) < 0.1
        score = np.round(rng.uniform(30, 100, m), 1)
        customer = rng.integers(1, 50_000, m)
        known = rng.random(m) < 0.5
        tagged = rng.random(m) < 0.01
        for j in range(m):
            call = f"{int(ids[j]):032x}"
            a = int(agent[j])
            yield ((call, 1, call, str(caller[j]), str(8000 + a % 20), float(started[j]),
                    float(duration[j]), AGENTS[a], QUEUES[a % 20],
                    int(customer[j]) if known[j] else None, "inbound", "answered", "all",
                    "live", f"/rec/2026/{call}.wav", "wav", None, None, "done", "[]",
                    float(score[j]) if scored[j] else None),
                   ["complaint"] if tagged[j] else [])


def known_numbers(n: int) -> list[str]:
    """Numbers that are some recording's caller (the prefix search's values)."""
    return sorted({row[3] for row, _ in itertools.islice(rows(n), 5000)})


def indexes() -> list[sa.Index]:
    """The recordings table's indexes (the models'): dropped for the load, made after."""
    return sorted(RecordingRow.__table__.indexes, key=lambda i: str(i.name))


def fill_sqlite(store: Store, n: int) -> None:
    insert = (f"INSERT INTO recordings (id, {', '.join(COLUMNS)}) "
              f"VALUES ({', '.join('?' * (len(COLUMNS) + 1))})")
    with store.db.engine.begin() as conn:
        for index in indexes():
            index.drop(conn)
        cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        batch: list[tuple[Any, ...]] = []
        tagged: list[tuple[int, str]] = []
        for i, (row, row_tags) in enumerate(tqdm(rows(n), total=n, desc="sqlite rows",
                                                 mininterval=2), 1):
            batch.append((i, *row))
            tagged += [(i, t) for t in row_tags]
            if len(batch) == CHUNK:
                cur.executemany(insert, batch)
                batch = []
        cur.executemany(insert, batch)
        cur.executemany("INSERT INTO recording_tags (recording_id, tag) VALUES (?, ?)", tagged)
        for index in tqdm(indexes(), desc="sqlite indexes"):
            index.create(conn)
        conn.exec_driver_sql("ANALYZE")


def fill_postgres(store: Store, n: int) -> None:
    with store.db.engine.begin() as conn:
        for index in indexes():
            index.drop(conn)
    raw = store.db.engine.raw_connection()
    try:
        cur = raw.cursor()
        tagged: list[tuple[int, str]] = []
        with cur.copy(f"COPY recordings (id, {', '.join(COLUMNS)}) FROM STDIN") as copy:
            for i, (row, row_tags) in enumerate(tqdm(rows(n), total=n, desc="pg rows",
                                                     mininterval=2), 1):
                copy.write_row((i, *row))
                tagged += [(i, t) for t in row_tags]
        with cur.copy("COPY recording_tags (recording_id, tag) FROM STDIN") as copy:
            for t in tagged:
                copy.write_row(t)
        cur.execute("SELECT setval(pg_get_serial_sequence('recordings', 'id'), %s)", (n,))
        raw.commit()
    finally:
        raw.close()
    with store.db.engine.begin() as conn:
        for index in tqdm(indexes(), desc="pg indexes"):
            index.create(conn)
    raw = store.db.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("ANALYZE recordings")
        cur.execute("ANALYZE recording_tags")
        raw.commit()
    finally:
        raw.close()


def searches(rng: random.Random, numbers: list[str]) -> dict[str, Callable[[], Search]]:
    def week() -> float:
        return END - rng.uniform(7 * 86400, YEAR)

    def agent_week() -> Search:
        since = week()
        return Search(agent=rng.choice(AGENTS), since=since, until=since + 7 * 86400)

    def queue_day() -> Search:
        since = week()
        return Search(queue=rng.choice(QUEUES), since=since, until=since + 86400)

    return {
        "agent+week": agent_week,
        "number prefix": lambda: Search(number=rng.choice(numbers)[:7]),
        "queue+day": queue_day,
        "score range": lambda: Search(min_score=90, max_score=100),
        "tag": lambda: Search(tags=("complaint",)),
        "group": lambda: Search(agents=tuple(rng.sample(AGENTS, 10))),
        "no filter": lambda: Search(),
    }


def measure(recordings: Recordings, runs: int, numbers: list[str]) -> dict[str, tuple]:
    rng = random.Random(7)
    out = {}
    for name, make in searches(rng, numbers).items():
        recordings.search(make())                      # warm: plans, caches
        times, totals = [], []
        for _ in range(runs):
            search = make()
            t = time.perf_counter()
            page = recordings.search(search, 0, 50)
            times.append((time.perf_counter() - t) * 1000)
            totals.append(page.total)
        times.sort()
        out[name] = (statistics.median(times), times[int(0.95 * (len(times) - 1))],
                     statistics.median(totals), max(totals))
    return out


def run(backend: str, n: int, runs: int) -> dict[str, tuple]:
    numbers = known_numbers(n)
    fill = fill_sqlite if backend == "sqlite" else fill_postgres
    with filled_store(backend, PG_URL, lambda store: fill(store, n)) as store:
        return measure(Recordings(store.db), runs, numbers)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--runs", type=int, default=40, help="searches per filter")
    p.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = p.parse_args()
    print(f"load average at start: {os.getloadavg()}")
    results = {}
    for backend in (("sqlite", "postgresql") if args.backend == "both" else (args.backend,)):
        results[backend] = run(backend, args.rows, args.runs)
    print(f"\n{args.rows:,} rows, {args.runs} searches per filter, first page of 50 + total"
          f"; load average {os.getloadavg()[0]:.2f}")
    head = f"{'search':<15}" + "".join(f"{b + ' p50':>16}{b + ' p95':>16}{'total':>9}"
                                        for b in results)
    print(head)
    print("-" * len(head))
    for name in next(iter(results.values())):
        line = f"{name:<15}"
        for got in results.values():
            p50, p95, total, _ = got[name]
            line += f"{p50:>13.1f} ms{p95:>13.1f} ms{total:>9.0f}"
        print(line)
    worst = max(got[name][1] for got in results.values() for name in got)
    print(f"\nworst p95: {worst:.1f} ms (target < 50 ms): {'met' if worst < 50 else 'NOT met'}")


if __name__ == "__main__":
    main()
