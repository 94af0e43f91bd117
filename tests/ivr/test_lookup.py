"""Look-ups run for real: SQL against PostgreSQL (and SQLite as kefu's own database), HTTP
against a loopback stub; a database that is down, a slow server and a slow statement fail
within the node's timeout with the kind the error branch reads; a flow walks through a
real look-up into its variables."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import AsyncIterator, Iterator

import pytest
import sqlalchemy as sa

from kefu.ivr import steps as s
from kefu.ivr.engine import Session
from kefu.ivr.flowcheck import FlowError, load
from kefu.ivr.lookup import Lookups
from kefu.store.engine import normalise_url
from stubs import closed_port, http_stub, reply, slow


def sql(target: str, query: str, timeout: float = 3.0, **params: str) -> s.DoLookup:
    return s.DoLookup("n", "sql", target, query, None, params, timeout)


def http(url: str, method: str = "GET", timeout: float = 3.0, **params: str) -> s.DoLookup:
    return s.DoLookup("n", "http", url, None, method, params, timeout)


@pytest.fixture
def crm_url(pg_schema_url: str) -> Iterator[str]:
    """An external PostgreSQL database with the site's accounts table."""
    engine = sa.create_engine(normalise_url(pg_schema_url))
    with engine.begin() as c:
        c.execute(sa.text("CREATE TABLE accounts (acct text PRIMARY KEY, name text, "
                          "balance numeric(12,2), due date)"))
        c.execute(sa.text("INSERT INTO accounts VALUES ('1001', '张三', 12.30, '2024-10-08'), "
                          "('1002', 'Bob''; DROP TABLE accounts; --', 0, NULL)"))
    engine.dispose()
    yield pg_schema_url


@pytest.fixture
async def lookups(tmp_path, crm_url: str) -> AsyncIterator[Lookups]:  # type: ignore[no-untyped-def]
    own = f"sqlite:///{tmp_path / 'kefu.db'}"
    engine = sa.create_engine(own)
    with engine.begin() as c:
        c.execute(sa.text("CREATE TABLE customers (phone text, tier text)"))
        c.execute(sa.text("INSERT INTO customers VALUES ('13800138000', 'vip2')"))
    engine.dispose()
    lk = Lookups({"kefu": own, "crm": crm_url},
                 http_headers={"http://127.0.0.1": {"X-Api-Key": "k1"}})
    yield lk
    await lk.close()


async def test_sql_first_row_into_values_with_bound_parameters(lookups: Lookups) -> None:
    got = await lookups.run(sql("crm", "SELECT name, balance, due FROM accounts WHERE acct = :acct",
                                acct="1001"))
    assert got == s.LookupResult({"name": "张三", "balance": "12.30", "due": "2024-10-08"})
    # a value that would break formatted SQL is only ever a bound parameter
    quoted = await lookups.run(sql("crm", "SELECT acct FROM accounts WHERE name = :n",
                                   n="Bob'; DROP TABLE accounts; --"))
    assert quoted == s.LookupResult({"acct": "1002"})
    assert await lookups.run(sql("crm", "SELECT count(*) AS n FROM accounts")) == s.LookupResult({"n": 2})


async def test_sql_on_kefus_own_database(lookups: Lookups) -> None:
    got = await lookups.run(sql("kefu", "SELECT tier FROM customers WHERE phone = :p", p="13800138000"))
    assert got == s.LookupResult({"tier": "vip2"})


async def test_sql_failures_are_typed(lookups: Lookups) -> None:
    none = await lookups.run(sql("crm", "SELECT name FROM accounts WHERE acct = :a", a="9"))
    assert none == s.LookupFailed("not found")
    bad = await lookups.run(sql("crm", "SELECT nope FROM accounts"))
    assert isinstance(bad, s.LookupFailed) and bad.reason.startswith("bad answer: ")
    assert "nope" in bad.reason
    missing = await lookups.run(sql("crm", "SELECT name FROM accounts WHERE acct = :a"))
    assert isinstance(missing, s.LookupFailed) and missing.reason.startswith("bad answer")
    unknown = await lookups.run(sql("erp", "SELECT 1"))
    assert isinstance(unknown, s.LookupFailed) and "no database source 'erp'" in unknown.reason


async def test_a_lookup_only_reads(lookups: Lookups, crm_url: str) -> None:
    await lookups.run(sql("crm", "UPDATE accounts SET name = 'x' RETURNING acct"))
    engine = sa.create_engine(normalise_url(crm_url))
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT name FROM accounts WHERE acct = '1001'")).scalar() == "张三"
    engine.dispose()


async def test_database_down_fails_within_the_timeout(lookups: Lookups) -> None:
    down = f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/nothing"
    t0 = time.monotonic()
    got = await lookups.run(sql(down, "SELECT 1", timeout=2.0))
    assert time.monotonic() - t0 < 2.5
    assert isinstance(got, s.LookupFailed) and got.reason.startswith("refused: "), got


async def test_slow_statement_is_cut_by_the_timeout(lookups: Lookups) -> None:
    t0 = time.monotonic()
    got = await lookups.run(sql("crm", "SELECT pg_sleep(5) AS x", timeout=0.5))
    took = time.monotonic() - t0
    assert got.reason.startswith("timeout") and took < 1.5, (got, took)  # type: ignore[union-attr]
    # the server cancelled it: the pooled connection is usable at once
    assert await lookups.run(sql("crm", "SELECT 1 AS one")) == s.LookupResult({"one": 1})


async def test_http_get_and_post_json(lookups: Lookups) -> None:
    routes = {"/balance": lambda r: reply({"card": r["query"].get("card"), "balance": "8.50",
                                           "owner": {"name": "李四"}, "key": r["headers"].get("X-Api-Key")}),
              "/orders": lambda r: reply([{"id": r["json"]["order"], "status": "shipped"}]),
              "/scalar": lambda r: reply(42)}
    with http_stub(routes) as stub:
        got = await lookups.run(http(f"{stub.url}/balance", card="4539"))
        assert got == s.LookupResult({"card": "4539", "balance": "8.50",
                                      "owner": {"name": "李四"}, "key": "k1"})
        posted = await lookups.run(http(f"{stub.url}/orders", "POST", order="123456"))
        assert posted == s.LookupResult({"0": {"id": "123456", "status": "shipped"}})
        assert stub.requests[-1]["method"] == "POST" and stub.requests[-1]["json"] == {"order": "123456"}
        assert await lookups.run(http(f"{stub.url}/scalar")) == s.LookupResult({"value": 42})


async def test_http_failures_are_typed(lookups: Lookups) -> None:
    routes = {"/boom": lambda r: reply({"e": 1}, 500),
              "/text": lambda r: (200, b"<html>hi</html>"),
              "/slow": slow(2.0, reply({"late": True}))}
    with http_stub(routes) as stub:
        assert await lookups.run(http(f"{stub.url}/boom")) == s.LookupFailed("bad answer: HTTP 500")
        assert await lookups.run(http(f"{stub.url}/missing")) == s.LookupFailed("bad answer: HTTP 404")
        assert await lookups.run(http(f"{stub.url}/text")) == s.LookupFailed("bad answer: the answer is not JSON")
        t0 = time.monotonic()
        assert await lookups.run(http(f"{stub.url}/slow", timeout=0.5)) == s.LookupFailed("timeout")
        assert time.monotonic() - t0 < 1.5
    refused = await lookups.run(http(f"http://127.0.0.1:{closed_port()}/x"))
    assert isinstance(refused, s.LookupFailed) and refused.reason.startswith("refused")


FLOW = """\
name: balance
start: find
nodes:
  find:
    type: lookup
    sql: {url: crm, query: "SELECT name, balance FROM accounts WHERE acct = :acct", params: {acct: "${caller}"}}
    timeout: 2
    into: {who: name, money: balance}
    next: tell
    error: sorry
  tell: {type: say, kind: money, value: "${money}", before: "${who}", next: bye}
  sorry: {type: play, prompt: 查询失败, next: bye}
  bye: {type: hangup}
"""


async def _walk(lookups: Lookups, caller: str) -> Session:
    session = Session({"balance": load(FLOW)}, "balance", lambda: dt.datetime(2024, 10, 8),
                      variables={"caller": caller})
    actions = session.start()
    act = next(a for a in actions if isinstance(a, s.DoLookup))
    session.handle(await lookups.run(act))
    return session


async def test_a_flow_walks_through_a_real_lookup(lookups: Lookups) -> None:
    found = await _walk(lookups, "1001")
    assert found.variables["who"] == "张三" and found.variables["money"] == "12.30"
    missing = await _walk(lookups, "7777")
    assert missing.variables["error"] == "not found" and missing.node == "find"


async def test_sqlite_statement_timeout(tmp_path) -> None:  # type: ignore[no-untyped-def]
    lk = Lookups({"kefu": f"sqlite:///{tmp_path / 'own.db'}"})
    spin = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
            "SELECT count(*) AS n FROM c")
    t0 = time.monotonic()
    got = await lk.run(sql("kefu", spin, timeout=0.3))
    assert got == s.LookupFailed("timeout: the statement timeout fired") or got == s.LookupFailed("timeout")
    assert time.monotonic() - t0 < 1.0
    assert await lk.run(sql("kefu", "SELECT 2 AS two")) == s.LookupResult({"two": 2})
    await lk.close()


def test_a_flow_whose_query_binds_a_missing_parameter_is_refused() -> None:
    bad = FLOW.replace('params: {acct: "${caller}"}', "params: {}")
    with pytest.raises(FlowError) as e:
        load(bad)
    assert e.value.problems == ["node `find`: sql: the query binds :acct, which params does not give"]
    cast = FLOW.replace("WHERE acct = :acct", "WHERE acct = CAST(:acct AS text) AND 1 = '1'::int")
    assert load(cast).nodes["find"].sql.params == {"acct": "${caller}"}  # type: ignore[union-attr]
