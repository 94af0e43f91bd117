"""Alembic environment for kefu.

``Store.migrate()`` passes an open connection in ``config.attributes["connection"]``.
Without one (a developer running ``alembic -c src/kefu/store/alembic.ini ...``) the URL is
``sqlalchemy.url`` from the ini, else the one kefu's own settings point at.
"""

from __future__ import annotations

from alembic import context

from kefu.store.engine import make_engine
from kefu.store.models import all_tables

config = context.config
target_metadata = all_tables()  # every slice's tables: one history for all


def _configure_and_run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite has almost no ALTER
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from kefu.config import load_settings

    return load_settings(None).db_url


def run_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
        return
    engine = make_engine(_url())
    try:
        with engine.connect() as conn:
            _configure_and_run(conn)
            conn.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
