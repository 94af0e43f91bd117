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
import io
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import sqlalchemy as sa  # noqa: E402
from tqdm import tqdm  # noqa: E402

from kefu.recordings.service import Recordings, Search  # noqa: E402
from kefu.store import Store  # noqa: E402
from kefu.store.engine import normalise_url  # noqa: E402

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


def rows(n: int, seed: int = 13) -> Iterator[tuple[dict[str, Any], list[str]]]:
    """``n`` recordings (as column dicts) and each one's tags."""
    rng = random.Random(seed)
    numbers = [f"1{rng.randrange(3, 9)}{rng.randrange(10**9):09d}" for _ in range(200_000)]
    for i in range(n):
        agent = rng.randrange(len(AGENTS))
        score = round(rng.uniform(30, 100), 1) if rng.random() < 0.1 else None
        call = uuid.UUID(int=rng.getrandbits(128)).hex
        yield ({"call_id": call, "segment": 1, "journey": call,
                "caller": rng.choice(numbers), "callee": str(8000 + agent % 20),
                "started_at": END - YEAR * (n - i) / n, "duration": rng.expovariate(1 / 180),
                "agent": AGENTS[agent], "queue": QUEUES[agent % 20],
                "customer_id": rng.randrange(1, 50_000) if rng.random() < 0.5 else None,
                "direction": "inbound", "disposition": "answered", "policy": "all",
                "tier": "live", "path": f"/rec/2026/{call}.wav", "codec": "wav",
                "size": None, "sha256": None, "state": "done", "paused": "[]",
                "qa_score": score},
               ["complaint"] if rng.random() < 0.01 else [])


def fill_sqlite(store: Store, n: int) -> None:
    engine = store.db.engine
    table = sa.table("recordings", *[sa.column(c) for c in COLUMNS])
    tags = sa.table("recording_tags", sa.column("recording_id"), sa.column("tag"))
    with engine.begin() as conn:
        batch: list[dict[str, Any]] = []
        tagged: list[dict[str, Any]] = []
        for i, (row, row_tags) in enumerate(tqdm(rows(n), total=n, desc="sqlite rows"), 1):
            row["paused"] = "[]"
            batch.append(row)
            tagged += [{"recording_id": i, "tag": t} for t in row_tags]
            if len(batch) == CHUNK:
                conn.execute(table.insert(), batch)
                batch = []
        if batch:
            conn.execute(table.insert(), batch)
        if tagged:
            conn.execute(tags.insert(), tagged)
        conn.exec_driver_sql("ANALYZE")


def fill_postgres(store: Store, n: int) -> None:
    raw = store.db.engine.raw_connection()
    try:
        cur = raw.cursor()
        tagged: list[tuple[int, str]] = []
        with cur.copy(f"COPY recordings (id, {', '.join(COLUMNS)}) FROM STDIN") as copy:
            for i, (row, row_tags) in enumerate(tqdm(rows(n), total=n, desc="pg rows"), 1):
                copy.write_row((i, *[row[c] for c in COLUMNS]))
                tagged += [(i, t) for t in row_tags]
        with cur.copy("COPY recording_tags (recording_id, tag) FROM STDIN") as copy:
            for t in tagged:
                copy.write_row(t)
        cur.execute("SELECT setval(pg_get_serial_sequence('recordings', 'id'), %s)", (n,))
        raw.commit()
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
    numbers = sorted({r["caller"] for r, _ in rows(min(n, 5000))})
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            store = Store(f"sqlite:///{Path(tmp) / 'bench.db'}")
            store.migrate()
            t = time.perf_counter()
            fill_sqlite(store, n)
            print(f"sqlite: {n:,} rows inserted in {time.perf_counter() - t:.1f} s")
            try:
                return measure(Recordings(store.db), runs, numbers)
            finally:
                store.close()
    schema = f"kefu_bench_{os.getpid()}"
    admin = sa.create_engine(normalise_url(PG_URL))
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = normalise_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        store = Store(url.render_as_string(hide_password=False))
        store.migrate()
        t = time.perf_counter()
        fill_postgres(store, n)
        print(f"postgresql: {n:,} rows copied in {time.perf_counter() - t:.1f} s")
        try:
            return measure(Recordings(store.db), runs, numbers)
        finally:
            store.close()
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


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
