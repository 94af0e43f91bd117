"""The database handle every store user shares: one engine, its sessions, the migrations.

:class:`Store` (extensions, the call event log, CDRs) and each business slice's service
(``kefu.users``, ``kefu.crm``, ``kefu.announcements``) run their transactions through one
:class:`Database`, so they share the engine, the connection pool and the one Alembic
history without knowing each other's tables.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from .engine import WRITE_OPTION, make_engine
from .errors import Conflict

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_MIGRATE_LOCK = 0x6B656675  # "kefu": pg advisory lock key serialising migrations

R = TypeVar("R")


class Database:
    """An engine with read and write sessions, over SQLite or PostgreSQL."""

    def __init__(self, url: str) -> None:
        self.engine: Engine = make_engine(url)
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(self.engine.execution_options(**{WRITE_OPTION: True}),
                                   expire_on_commit=False)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    def migrate(self, revision: str = "head", *, down: bool = False) -> None:
        """Bring the schema to ``revision`` (idempotent); ``down``: take it down to it.

        On SQLite the migrations run with foreign keys off (SQLite alters a table by
        building a copy, dropping the old one and renaming the copy: with rows pointing at
        the table, the drop would break their foreign keys), and ``foreign_key_check``
        then checks every row, so a migration cannot leave a broken reference behind.
        """
        cfg = AlembicConfig()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        sqlite_ = self.dialect == "sqlite"
        with self.engine.execution_options(**{WRITE_OPTION: True}).connect() as conn:
            raw = conn.connection.dbapi_connection
            if sqlite_ and raw is not None:    # outside a transaction, or it is ignored
                raw.execute("PRAGMA foreign_keys=OFF")
            try:
                with conn.begin():
                    if self.dialect == "postgresql":  # two nodes starting at once take turns
                        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                     {"key": _MIGRATE_LOCK})
                    cfg.attributes["connection"] = conn
                    (command.downgrade if down else command.upgrade)(cfg, revision)
                    if sqlite_:
                        broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                        if broken:
                            raise RuntimeError(f"the migration to {revision} left rows "
                                               f"with broken foreign keys: {broken[:5]}")
            finally:
                if sqlite_ and raw is not None:
                    raw.execute("PRAGMA foreign_keys=ON")

    def close(self) -> None:
        self.engine.dispose()

    def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception as exc:  # any driver error means "not reachable"
            log.warning("database ping failed: %s", exc)
            return False

    @contextmanager
    def tx(self, write: bool = True) -> Iterator[Session]:
        """One transaction, committed at the end of the block (rolled back on an error).

        Never nest two: an in-memory SQLite database has a single connection.
        """
        maker = self._write if write else self._read
        with maker.begin() as session:
            yield session

    def insert(self, table: Any) -> Any:
        """The dialect's INSERT, which has ``on_conflict_do_*`` on both backends."""
        return (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(table)

    def add(self, row: Any, record: Callable[[Any], R], conflict: str) -> R:
        """Insert ``row`` and return ``record(row)``; a unique-key clash is a Conflict."""
        try:
            with self.tx() as s:
                s.add(row)
                s.flush()
                return record(row)
        except IntegrityError:
            raise Conflict(conflict) from None
