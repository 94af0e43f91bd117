"""Engines for the two supported backends.

SQLite runs in WAL mode (readers never block the writer) with foreign keys on.  pysqlite's
own transaction handling starts a transaction only at the first write, so a read-then-write
is not atomic; we switch it off and emit ``BEGIN`` ourselves, ``BEGIN IMMEDIATE`` for
sessions that will write, so two writers queue on the busy timeout instead of failing with
"database is locked" halfway through.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import StaticPool

WRITE_OPTION = "kefu_write"
BUSY_TIMEOUT_MS = 30_000


def normalise_url(url: str) -> URL:
    """``postgres://`` and ``postgresql://`` mean psycopg 3 (psycopg2 is not a dependency)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix):]
    return make_url(url)


def make_engine(url: str) -> Engine:
    u = normalise_url(url)
    if u.get_backend_name() != "sqlite":
        return create_engine(u, pool_pre_ping=True)

    memory = u.database in (None, "", ":memory:")
    if not memory:
        Path(u.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        u,
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
        poolclass=StaticPool if memory else None,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None          # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        if not memory:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")   # durable enough in WAL mode
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine
