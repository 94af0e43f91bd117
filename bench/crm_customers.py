#!/usr/bin/env python
"""Benchmark the CRM's two hot reads over ``--customers`` generated customers (1,000,000
by default, with three numbers and ten timeline lines each: 3,000,000 numbers and
10,000,000 lines) on SQLite and, with ``--pg URL``, PostgreSQL.

No SIP: a seeded generator makes the customers (Chinese mobile and landline numbers in
E.164, as :mod:`kefu.crm.phones` keeps them) and their timelines (nine lines in ten
spread over everyone, one in ten on 100 busy accounts, a switchboard's kind), and
bulk-inserts them into a fresh database made by the real migrations (SQLite: a temporary
file, executemany in one transaction; PostgreSQL: a new schema, COPY); the tables'
indexes are dropped for the load and made again after it.  Then, through the service
exactly as the API calls it:

  screen pop        ``Crm.find_customers(number)``: a random existing number written the
                    way a caller ID, an agent or an import file writes it
                    (+86 138 0013 8000, 138-0013-8000, 008613800138000, 13800138000)
  timeline page     ``Crm.timeline(id, limit=50)``: the first page of a random customer's
  timeline busy     … of one of the 100 busy customers (thousands of lines each)

and beside each, in the same run and the same database, the same question asked of a
naive copy with no index: ``customers_flat`` (a customer's numbers in one text column,
scanned with LIKE) and ``crm_timeline_flat`` (the timeline without its index).  The
naive queries are run ``--naive-runs`` times only: each is a full scan.

p50 and p95 in ms are printed; the targets are screen pop p95 < 5 ms and a timeline page
p95 < 20 ms.  The load average is printed too: compare runs made under the same load.
"""

from __future__ import annotations

import argparse
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

from kefu.config import CrmSettings  # noqa: E402
from kefu.crm.models import CustomerNumberRow, CustomerRow, TimelineRow  # noqa: E402
from kefu.crm.phones import lookup_key  # noqa: E402
from kefu.crm.service import Crm  # noqa: E402
from kefu.store import Store  # noqa: E402
from kefu.users.service import Users  # noqa: E402

from _stores import filled_store  # noqa: E402

END = 1_780_000_000.0
YEARS = 3 * 365 * 86400.0                     # the timeline spans three years
CHUNK = 20_000
NUMBERS_EACH = 3
LINES_EACH = 10
BUSY = 100                                    # customers with a tenth of all lines
BUSY_SHARE = 0.1
# mobile prefixes the phonenumbers library reads as valid CN mobiles; landlines: Beijing
MOBILE = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151",
          "152", "155", "156", "157", "158", "159", "180", "181", "186", "187", "188",
          "189")
TIERS = ("", "", "", "silver", "gold", "vip")
KINDS = ("call", "call", "call", "note", "note", "ticket", "voicemail", "survey",
         "followup", "email")
AGENTS = [f"agent{i:03d}" for i in range(200)]

CUSTOMER_COLUMNS = ("id", "name", "company", "tier", "owner", "notes", "birthday",
                    "address", "fields", "created_at", "updated_at")
NUMBER_COLUMNS = ("id", "customer_id", "number", "extension", "label", "position")
TIMELINE_COLUMNS = ("id", "customer_id", "at", "kind", "ref", "agent", "summary", "data")


def national(k: int) -> str:
    """The ``k``-th number (distinct for k < 10^7), national spelling: eleven
    digits of a mobile, or a Beijing landline (010 and eight digits) for every fifth."""
    if k % 5 == 4:
        return f"010{6000_0000 + (k * 7919) % 1000_0000:08d}"
    return f"{MOBILE[k % len(MOBILE)]}{(k // len(MOBILE) * 7919) % 10**8:08d}"


def e164(k: int) -> str:
    n = national(k)
    return f"+86{n[1:]}" if n.startswith("0") else f"+86{n}"


def spellings(k: int) -> list[str]:
    """Ways a person or a caller ID writes the ``k``-th number."""
    n = national(k)
    bare = n[1:] if n.startswith("0") else n
    if n.startswith("010"):
        return [n, f"{n[:3]}-{n[3:7]} {n[7:]}", f"+86 10 {n[3:7]} {n[7:]}", f"0086{bare}",
                f"+86{bare}"]
    return [n, f"{n[:3]}-{n[3:7]}-{n[7:]}", f"+86 {n[:3]} {n[3:7]} {n[7:]}", f"0086{n}",
            f"+86{n}"]


def customers(n: int, seed: int = 11) -> Iterator[tuple[Any, ...]]:
    rng = np.random.default_rng(seed)
    for first in range(0, n, CHUNK):
        m = min(CHUNK, n - first)
        tier = rng.integers(0, len(TIERS), m)
        owner = rng.integers(0, len(AGENTS) * 4, m)       # three in four have no owner
        created = END - YEARS * rng.random(m)
        for j in range(m):
            i = first + j + 1
            o = int(owner[j])
            yield (i, f"客户{i}", f"公司{i % 50_000}", TIERS[int(tier[j])],
                   AGENTS[o] if o < len(AGENTS) else "", "", None, "", "{}",
                   float(created[j]), float(created[j]))


def numbers(n: int) -> Iterator[tuple[Any, ...]]:
    """Three numbers each: customer i has the (3(i-1)+p)-th number at position p."""
    labels = ("mobile", "work", "home")
    for i in range(1, n + 1):
        for p in range(NUMBERS_EACH):
            k = (i - 1) * NUMBERS_EACH + p
            yield (k + 1, i, e164(k), "", labels[p], p)


def lines(n: int, seed: int = 12) -> Iterator[tuple[Any, ...]]:
    """``LINES_EACH * n`` timeline lines, ids in time order; a tenth are the busy ones'."""
    total = n * LINES_EACH
    rng = np.random.default_rng(seed)
    busy = min(BUSY, n)
    for first in range(0, total, CHUNK):
        m = min(CHUNK, total - first)
        on_busy = rng.random(m) < BUSY_SHARE
        who = np.where(on_busy, rng.integers(1, busy + 1, m), rng.integers(1, n + 1, m))
        kind = rng.integers(0, len(KINDS), m)
        agent = rng.integers(0, len(AGENTS), m)
        for j in range(m):
            i = first + j + 1
            k = KINDS[int(kind[j])]
            yield (i, int(who[j]), END - YEARS * (total - i) / total, k, f"{k}-{i}",
                   AGENTS[int(agent[j])], f"{k} {i}", "{}")


TABLES: list[tuple[str, tuple[str, ...], Callable[[int], Iterator[tuple[Any, ...]]], int]] = [
    ("customers", CUSTOMER_COLUMNS, customers, 1),
    ("customer_numbers", NUMBER_COLUMNS, numbers, NUMBERS_EACH),
    ("crm_timeline", TIMELINE_COLUMNS, lines, LINES_EACH),
]


def indexes() -> list[sa.Index]:
    """The three tables' indexes (the models'): dropped for the load, made after."""
    return sorted([*CustomerRow.__table__.indexes, *CustomerNumberRow.__table__.indexes,
                   *TimelineRow.__table__.indexes], key=lambda i: str(i.name))


def naive_copies(conn: sa.Connection, postgres: bool) -> None:
    """``customers_flat`` (numbers joined in one text column) and ``crm_timeline_flat``
    (the timeline, no index): the shape a CRM without this design would have."""
    joined = "string_agg(n.number, ',')" if postgres else "group_concat(n.number, ',')"
    conn.exec_driver_sql(
        f"CREATE TABLE customers_flat AS SELECT c.id, c.name, c.company, {joined} AS numbers "
        "FROM customers c JOIN customer_numbers n ON n.customer_id = c.id GROUP BY c.id, "
        "c.name, c.company")
    conn.exec_driver_sql("CREATE TABLE crm_timeline_flat AS SELECT * FROM crm_timeline")


def fill_sqlite(store: Store, n: int) -> None:
    with store.db.engine.begin() as conn:
        for index in indexes():
            index.drop(conn)
        cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        for table, columns, make, each in TABLES:
            insert = (f"INSERT INTO {table} ({', '.join(columns)}) "
                      f"VALUES ({', '.join('?' * len(columns))})")
            batch: list[tuple[Any, ...]] = []
            for row in tqdm(make(n), total=n * each, desc=f"sqlite {table}", mininterval=2):
                batch.append(row)
                if len(batch) == CHUNK:
                    cur.executemany(insert, batch)
                    batch = []
            cur.executemany(insert, batch)
        for index in tqdm(indexes(), desc="sqlite indexes"):
            index.create(conn)
        naive_copies(conn, postgres=False)
        conn.exec_driver_sql("ANALYZE")


def fill_postgres(store: Store, n: int) -> None:
    with store.db.engine.begin() as conn:
        for index in indexes():
            index.drop(conn)
    raw = store.db.engine.raw_connection()
    try:
        cur = raw.cursor()
        for table, columns, make, each in TABLES:
            with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in tqdm(make(n), total=n * each, desc=f"pg {table}", mininterval=2):
                    copy.write_row(row)
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))")
        raw.commit()
    finally:
        raw.close()
    with store.db.engine.begin() as conn:
        for index in tqdm(indexes(), desc="pg indexes"):
            index.create(conn)
        naive_copies(conn, postgres=True)
    raw = store.db.engine.raw_connection()
    try:
        raw.driver_connection.autocommit = True    # VACUUM runs outside a transaction
        raw.driver_connection.execute("VACUUM ANALYZE")
    finally:
        raw.close()


def timed(runs: int, ask: Callable[[], int]) -> tuple[float, float, float]:
    """(p50 ms, p95 ms, mean rows) of ``runs`` calls of ``ask`` (which returns its rows)."""
    ask()                                              # warm: plans, caches
    times, found = [], []
    for _ in range(runs):
        t = time.perf_counter()
        found.append(ask())
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))], statistics.mean(found)


def measure(store: Store, n: int, runs: int, naive_runs: int) -> dict[str, tuple]:
    crm = Crm(store.db, Users(store.db), CrmSettings())
    rng = random.Random(7)
    region = crm.settings.region
    engine = store.db.engine

    def spelt() -> tuple[str, str]:
        """A random existing number in a random spelling, and its E.164 form."""
        k = rng.randrange(n * NUMBERS_EACH)
        return rng.choice(spellings(k)), e164(k)

    def pop() -> int:
        raw, want = spelt()
        found = crm.find_customers(raw)
        assert any(want in c.numbers for c in found), (raw, want, found)
        return len(found)

    def pop_flat() -> int:
        raw, _ = spelt()
        key = lookup_key(raw, region)
        with engine.connect() as conn:
            return len(conn.execute(sa.text("SELECT id, name, company, numbers FROM "
                                            "customers_flat WHERE numbers LIKE :k"),
                                    {"k": f"%{key}%"}).all())

    def page(busy: bool) -> Callable[[], int]:
        return lambda: len(crm.timeline(rng.randint(1, min(BUSY, n)) if busy
                                        else rng.randint(1, n), limit=50))

    def page_flat(busy: bool) -> Callable[[], int]:
        def ask() -> int:
            cid = rng.randint(1, min(BUSY, n)) if busy else rng.randint(1, n)
            with engine.connect() as conn:
                return len(conn.execute(sa.text(
                    "SELECT * FROM crm_timeline_flat WHERE customer_id = :c "
                    "ORDER BY at DESC, id DESC LIMIT 50"), {"c": cid}).all())
        return ask

    return {
        "screen pop": (timed(runs, pop), timed(naive_runs, pop_flat)),
        "timeline page": (timed(runs, page(False)), timed(naive_runs, page_flat(False))),
        "timeline busy": (timed(runs, page(True)), timed(naive_runs, page_flat(True))),
    }


def run(backend: str, n: int, runs: int, naive_runs: int, pg_url: str) -> dict[str, tuple]:
    fill = fill_sqlite if backend == "sqlite" else fill_postgres
    with filled_store(backend, pg_url, lambda store: fill(store, n)) as store:
        return measure(store, n, runs, naive_runs)


TARGETS = {"screen pop": 5.0, "timeline page": 20.0, "timeline busy": 20.0}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--customers", type=int, default=1_000_000)
    p.add_argument("--runs", type=int, default=200, help="indexed queries of each kind")
    p.add_argument("--naive-runs", type=int, default=10,
                   help="queries of each kind on the unindexed copies (full scans)")
    p.add_argument("--pg", metavar="URL", help="also on this PostgreSQL database "
                   "(e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test); a schema "
                   "is made in it and dropped after")
    p.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    args = p.parse_args()
    n = args.customers
    print(f"scale: {n:,} customers, {n * NUMBERS_EACH:,} numbers, "
          f"{n * LINES_EACH:,} timeline lines ({min(BUSY, n)} busy customers with "
          f"{BUSY_SHARE:.0%} of them)")
    print(f"load average at start: {os.getloadavg()}")
    backends = ([] if args.no_sqlite else ["sqlite"]) + (["postgresql"] if args.pg else [])
    results = {b: run(b, n, args.runs, args.naive_runs, args.pg or "") for b in backends}
    print(f"\n{n:,} customers; {args.runs} indexed / {args.naive_runs} naive queries each;"
          f" load average {os.getloadavg()[0]:.2f}")
    head = (f"{'query':<15}{'backend':<12}{'p50':>10}{'p95':>10}{'rows':>7}"
            f"{'naive p50':>12}{'naive p95':>12}{'target p95':>12}")
    print(head)
    print("-" * len(head))
    met = True
    for name, target in TARGETS.items():
        for backend, got in results.items():
            (p50, p95, rows), (n50, n95, _) = got[name]
            met &= p95 < target
            print(f"{name:<15}{backend:<12}{p50:>7.2f} ms{p95:>7.2f} ms{rows:>7.1f}"
                  f"{n50:>9.1f} ms{n95:>9.1f} ms{'< ' + str(target) + ' ms':>12}")
    print(f"\ntargets (pop p95 < 5 ms, timeline page p95 < 20 ms): {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
