"""Database fixtures for the store and slice tests: a migrated Store per test, on SQLite
(temp file) and on PostgreSQL (fresh schema), and the slices' services over its database.
Each test package's conftest imports the fixtures it uses.

PostgreSQL comes from ``KEFU_TEST_POSTGRES_URL``.  It is skipped only when the server is
unreachable outside CI; with ``CI`` set an unreachable server fails the run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from functools import cache

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


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'kefu.db'}"
    return request.getfixturevalue("pg_schema_url")


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store(db_url)
    s.migrate()
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
