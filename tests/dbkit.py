"""Database fixtures for the store and slice tests: a migrated Store per test, on SQLite
(temp file) and on PostgreSQL (a database of its own), and the slices' services over its
database.  Each test package's conftest imports the fixtures it uses.

The migrations run once per test run, not once per test: each test's SQLite file is a copy
of one migrated file, each PostgreSQL database a ``CREATE DATABASE … TEMPLATE`` of one
migrated database (measured: migrating took 0.45 s on SQLite and 1.5 s on PostgreSQL per
test, ~770 tests; a copy 0.01 s, a database from the template 0.1 s).  ``pg_schema_url``
still gives an empty schema, for what must start from nothing.

PostgreSQL comes from ``KEFU_TEST_POSTGRES_URL``.  It is skipped only when the server is
unreachable outside CI; with ``CI`` set an unreachable server fails the run.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
import sqlalchemy as sa

from kefu.announcements.service import Announcements
from kefu.qa.service import Qa
from kefu.recordings.service import Recordings
from kefu.crm.service import Crm
from kefu.store import Store
from kefu.store.engine import normalise_url
from kefu.users.service import Users

PG_URL = os.environ.get("KEFU_TEST_POSTGRES_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@cache
def _pg_problem() -> str | None:
    engine = sa.create_engine(normalise_url(PG_URL), connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        return None
    except Exception as exc:
        return f"PostgreSQL at {PG_URL} unreachable: {exc}"
    finally:
        engine.dispose()


def require_postgres() -> None:
    problem = _pg_problem()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(problem + " (CI is set: PostgreSQL tests must run)")
        pytest.skip(problem)


@pytest.fixture
def pg_schema_url() -> Iterator[str]:
    """A URL whose search_path is a new, empty schema, dropped afterwards."""
    require_postgres()
    schema = f"kefu_t_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(normalise_url(PG_URL))
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    base = normalise_url(PG_URL)
    yield base.update_query_dict({"options": f"-csearch_path={schema}"}) \
              .render_as_string(hide_password=False)
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _migrate(url: str) -> None:
    s = Store(url)
    s.migrate()
    s.close()


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file at the newest revision, to copy (:func:`sqlite_copy`)."""
    path = tmp_path_factory.mktemp("migrated") / "kefu.db"
    _migrate(f"sqlite:///{path}")
    return path


def sqlite_copy(migrated: Path, directory: Path) -> str:
    """The URL of a fresh copy of the migrated SQLite file in ``directory``."""
    shutil.copyfile(migrated, directory / "kefu.db")
    return f"sqlite:///{directory / 'kefu.db'}"


def _pg_admin() -> sa.Engine:
    return sa.create_engine(normalise_url(PG_URL), isolation_level="AUTOCOMMIT")


def _pg_database_url(name: str) -> str:
    return normalise_url(PG_URL).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """The name of a PostgreSQL database at the newest revision, this run's own (another
    run beside it has its own), dropped at the end."""
    require_postgres()
    name = f"kefu_tmpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        _migrate(_pg_database_url(name))
        yield name
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def pg_migrated_url(pg_template: str) -> Iterator[str]:
    """The URL of a new database made from the migrated template, dropped afterwards."""
    name = f"kefu_t_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"'))
    yield _pg_database_url(name)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:  # type: ignore[no-untyped-def]
    """A database at the newest revision, on each backend."""
    if request.param == "sqlite":
        return sqlite_copy(request.getfixturevalue("migrated_sqlite"), tmp_path)
    return request.getfixturevalue("pg_migrated_url")


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store(db_url)
    s.migrate()            # at the newest revision already: a check, as kefu does at start
    yield s
    s.close()


@pytest.fixture
def users(store: Store, fast_hasher) -> Users:  # type: ignore[no-untyped-def]
    return Users(store.db, hasher=fast_hasher)


@pytest.fixture
def crm(store: Store, users: Users) -> Crm:
    return Crm(store.db, users)


@pytest.fixture
def announcements(store: Store, users: Users) -> Announcements:
    return Announcements(store.db, users)


@pytest.fixture
def recordings(store: Store) -> Recordings:
    return Recordings(store.db)


@pytest.fixture
def qa(store: Store, recordings: Recordings) -> Qa:
    return Qa(store.db, recordings)


@pytest.fixture
def people(users: Users) -> Users:
    """Agents ann, bob and cat and supervisor sue (announcements' audiences)."""
    for name, role in (("ann", "agent"), ("bob", "agent"), ("cat", "agent"),
                       ("sue", "supervisor")):
        users.create_user(name, "password1", role)
    return users


@pytest.fixture
def downgrade(store: Store):  # type: ignore[no-untyped-def]
    """``downgrade("0002")``: take the store's database down to that revision
    (``store.migrate()`` brings it back up)."""
    return lambda revision: store.db.migrate(revision, down=True)
