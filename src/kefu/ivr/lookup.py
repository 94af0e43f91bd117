"""Running a flow's ``lookup`` node (信息检索): SQL through SQLAlchemy, or HTTP with JSON.

The interpreter (:mod:`kefu.ivr.engine`) emits a :class:`~kefu.ivr.steps.DoLookup` and waits
for a :class:`~kefu.ivr.steps.LookupResult` or :class:`~kefu.ivr.steps.LookupFailed`;
:meth:`Lookups.run` turns the one into the other and never raises, so a caller never hears
silence: every failure is one of :class:`Failure`'s kinds, which the engine's error branch
takes (the reason lands in ``${error}``: ``timeout``, ``refused: …``, ``bad answer: …``,
``not found``).

SQL: the node names a source (``kefu``, kefu's own database, or a name the site configured
with its URL; a site installs the driver its URL names) or, as the flow format allows, a
URL itself. Parameters are bound from variables, never formatted into the SQL. The first
row's columns are the result. The statement runs on a worker thread in a transaction that
is rolled back (a look-up reads; ``store`` writes), with a server-side statement timeout
where the dialect has one, and the whole look-up is bounded by the node's timeout here too.
One engine per URL, kept for the process.

HTTP: GET with the parameters as the query string, POST with them as a JSON body; the
answer must be 2xx JSON. Headers (an API key) come from the site's configuration by URL
prefix, so secrets stay out of flows.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from enum import StrEnum
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from kefu.store.engine import normalise_url

from .steps import DoLookup, LookupFailed, LookupResult

OWN = "kefu"
"""The source name of kefu's own database."""

CONNECT_TIMEOUT = 5
"""Seconds a driver may take to connect (whole seconds: libpq's unit); the node's own
timeout cuts the wait shorter."""


class Failure(StrEnum):
    """Why a look-up gave no result: what ``${error}`` starts with in the error branch."""

    TIMEOUT = "timeout"
    REFUSED = "refused"  # the database or server could not be reached
    BAD_ANSWER = "bad answer"  # an SQL error, a non-2xx status, not JSON
    NOT_FOUND = "not found"  # the query found no row


class Failed(Exception):
    """A look-up that gave no result, of one :class:`Failure` kind."""

    def __init__(self, kind: Failure, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else str(kind))
        self.kind, self.detail = kind, detail


def _plain(value: Any) -> Any:
    """A column value as JSON would carry it (decimals, dates → their text)."""
    return value if value is None or isinstance(value, bool | int | float | str) else str(value)


def _statement_timeout(conn: sa.Connection, seconds: float) -> None:
    """Ask the server to give up on the statement itself after ``seconds``."""
    ms = max(1, int(seconds * 1000))
    dialect = conn.dialect.name
    if dialect == "postgresql":
        conn.exec_driver_sql(f"SET LOCAL statement_timeout = {ms}")
    elif dialect == "mysql":
        conn.exec_driver_sql(f"SET SESSION max_execution_time = {ms}")
    elif dialect == "sqlite":
        deadline = time.monotonic() + seconds
        raw = conn.connection.driver_connection
        assert isinstance(raw, sqlite3.Connection)
        raw.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)


def _cancelled(e: sa_exc.DBAPIError) -> bool:
    """The statement timeout fired (PostgreSQL 57014, MySQL 3024, SQLite's interrupt)."""
    orig = e.orig
    return (getattr(orig, "sqlstate", None) == "57014"
            or (getattr(orig, "args", None) or [None])[0] == 3024
            or "interrupted" in str(orig))


class Lookups:
    """Runs look-ups for every call. ``sources``: name → SQLAlchemy URL (``kefu`` → kefu's
    own database; the caller builds this from the site's settings). ``http_headers``: URL
    prefix → headers sent to URLs starting with it."""

    def __init__(self, sources: Mapping[str, str], *,
                 http_headers: Mapping[str, Mapping[str, str]] | None = None,
                 workers: int = 8, client: httpx.AsyncClient | None = None) -> None:
        self.sources = dict(sources)
        self.http_headers = dict(http_headers or {})
        self._engines: dict[str, sa.Engine] = {}
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ivr-lookup")
        self._client = client or httpx.AsyncClient(follow_redirects=False)

    async def run(self, action: DoLookup) -> LookupResult | LookupFailed:
        """The engine's answer to ``action``; never raises (but cancellation)."""
        try:
            if action.kind == "sql":
                values = await self._bounded(self._sql(action), action.timeout)
            elif action.kind == "http":
                values = await self._bounded(self._http(action), action.timeout)
            else:
                raise Failed(Failure.BAD_ANSWER, f"unknown look-up kind {action.kind!r}")
        except Failed as e:
            return LookupFailed(str(e))
        return LookupResult(values)

    async def close(self) -> None:
        await self._client.aclose()
        self._pool.shutdown(wait=False, cancel_futures=True)
        for engine in self._engines.values():
            engine.dispose()
        self._engines.clear()

    @staticmethod
    async def _bounded(work: Any, seconds: float) -> dict[str, Any]:
        try:
            return await asyncio.wait_for(work, seconds)  # type: ignore[no-any-return]
        except TimeoutError:
            raise Failed(Failure.TIMEOUT) from None

    # ---- SQL --------------------------------------------------------------------

    def url_of(self, source: str) -> str:
        """The URL a node's ``url`` names: a configured source, else the URL itself."""
        if source in self.sources:
            return self.sources[source]
        if "://" in source or source.startswith("sqlite:"):
            return source
        raise Failed(Failure.BAD_ANSWER,
                          f"no database source {source!r} (have {', '.join(sorted(self.sources))})")

    def _engine(self, url: str) -> sa.Engine:
        engine = self._engines.get(url)
        if engine is None:
            u = normalise_url(url)
            args: dict[str, Any] = {}
            if u.get_backend_name() in ("postgresql", "mysql"):
                args["connect_timeout"] = CONNECT_TIMEOUT
            elif u.get_backend_name() == "sqlite":
                args["check_same_thread"] = False
            engine = self._engines[url] = sa.create_engine(u, connect_args=args, pool_pre_ping=True)
        return engine

    async def _sql(self, action: DoLookup) -> dict[str, Any]:
        engine = self._engine(self.url_of(action.target))
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._query, engine, action)

    @staticmethod
    def _query(engine: sa.Engine, action: DoLookup) -> dict[str, Any]:
        try:
            conn = engine.connect()
        except sa_exc.SQLAlchemyError as e:
            raise Failed(Failure.REFUSED, _first_line(e)) from None
        try:
            with conn.begin() as tx:
                _statement_timeout(conn, action.timeout)
                row = conn.execute(sa.text(action.query or ""), dict(action.params)).first()
                tx.rollback()
        except sa_exc.DBAPIError as e:
            if _cancelled(e):
                raise Failed(Failure.TIMEOUT, "the statement timeout fired") from None
            raise Failed(Failure.BAD_ANSWER, _first_line(e)) from None
        except sa_exc.SQLAlchemyError as e:  # a parameter the query names is missing …
            raise Failed(Failure.BAD_ANSWER, _first_line(e)) from None
        finally:
            conn.close()
        if row is None:
            raise Failed(Failure.NOT_FOUND)
        return {k: _plain(v) for k, v in row._mapping.items()}

    # ---- HTTP -------------------------------------------------------------------

    def _headers(self, url: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for prefix in sorted(self.http_headers, key=len):  # the longest prefix wins
            if url.startswith(prefix):
                out.update(self.http_headers[prefix])
        return out

    async def _http(self, action: DoLookup) -> dict[str, Any]:
        method = action.method or "GET"
        kw: dict[str, Any] = ({"params": dict(action.params)} if method == "GET"
                              else {"json": dict(action.params)})
        try:
            r = await self._client.request(method, action.target, headers=self._headers(action.target),
                                           timeout=action.timeout, **kw)
        except httpx.TimeoutException:
            raise Failed(Failure.TIMEOUT) from None
        except (httpx.ConnectError, httpx.UnsupportedProtocol, httpx.InvalidURL) as e:
            raise Failed(Failure.REFUSED, str(e) or type(e).__name__) from None
        except httpx.HTTPError as e:
            raise Failed(Failure.BAD_ANSWER, str(e) or type(e).__name__) from None
        if not r.is_success:
            raise Failed(Failure.BAD_ANSWER, f"HTTP {r.status_code}")
        try:
            body = r.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise Failed(Failure.BAD_ANSWER, "the answer is not JSON") from None
        if isinstance(body, list):  # "0.name" reaches into a top-level array
            return {str(i): v for i, v in enumerate(body)}
        if not isinstance(body, dict):
            return {"value": body}
        return body


def _first_line(e: BaseException) -> str:
    """A driver's message without SQLAlchemy's background link and the SQL echoed."""
    orig = getattr(e, "orig", None) or e
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0][:200]
