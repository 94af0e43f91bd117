"""A fresh kefu database for a benchmark: a migrated :class:`Store` on a temporary SQLite
file, or in a new PostgreSQL schema dropped afterwards (the data benches share it)."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from kefu.store import Store  # noqa: E402
from kefu.store.engine import normalise_url  # noqa: E402


@contextmanager
def filled_store(backend: str, pg_url: str, fill: Callable[[Store], None]) -> Iterator[Store]:
    """A store made by the real migrations, ``fill``-ed (the time it took printed), closed
    and thrown away at the end."""
    with _fresh(backend, pg_url) as store:
        t = time.perf_counter()
        fill(store)
        print(f"{backend}: loaded in {time.perf_counter() - t:.1f} s")
        try:
            yield store
        finally:
            store.close()


@contextmanager
def _fresh(backend: str, pg_url: str) -> Iterator[Store]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            store = Store(f"sqlite:///{Path(tmp) / 'bench.db'}")
            store.migrate()
            yield store
        return
    schema = f"kefu_bench_{os.getpid()}"
    admin = sa.create_engine(normalise_url(pg_url))
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = normalise_url(pg_url).update_query_dict({"options": f"-csearch_path={schema}"})
        store = Store(url.render_as_string(hide_password=False))
        store.migrate()
        yield store
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
