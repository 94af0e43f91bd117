"""Migrations apply on both backends, are idempotent, reversible, and match the models."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from kefu.store import Store
from kefu.store.models import all_tables

TABLES = {"extensions", "users", "api_tokens", "call_events", "calls", "customers",
          "contact_notes", "announcements", "announcement_acks", "user_extensions",
          "ivr_flows", "ivr_flow_versions", "ivr_records", "ivr_mailboxes", "ivr_messages",
          "ivr_prompts", "recording_scopes", "qa_scorecards", "qa_evaluations", "qa_comments", "qa_steps",
          "qa_examples", "ticket_types", "tickets", "ticket_comments", "ticket_attachments",
          "ticket_activity", "followups", "report_schedules", "report_deliveries", "kb_trees", "kb_walks",
          "alembic_version"}


def test_migrate_creates_tables_and_is_idempotent(store: Store) -> None:
    store.migrate()  # second run is a no-op
    with store._engine.connect() as conn:
        assert TABLES <= set(sa.inspect(conn).get_table_names())
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "0028"


def test_models_match_migrations(store: Store) -> None:
    with store._engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(ctx, all_tables()) == []


def test_downgrade_then_upgrade(store: Store, downgrade) -> None:
    downgrade("base")
    with store._engine.connect() as conn:
        assert not ({"extensions", "calls"} & set(sa.inspect(conn).get_table_names()))
    store.migrate()
    assert store.list_extensions() == []


def test_ping(store: Store) -> None:
    assert store.ping() is True


def test_ping_false_when_unreachable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    s = Store("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    assert s.ping() is False
    s.close()


def test_sqlite_is_wal_with_foreign_keys(tmp_path) -> None:  # type: ignore[no-untyped-def]
    s = Store(f"sqlite:///{tmp_path / 'sub' / 'dir' / 'k.db'}")  # parent dirs are created
    s.migrate()
    with s._engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    s.close()


def test_in_memory_sqlite_works() -> None:
    s = Store("sqlite://")
    s.migrate()
    s.create_extension("1001", "secret1", "", "kefu")
    assert s.get_extension("1001") is not None
    s.close()


def test_postgres_url_aliases() -> None:
    from kefu.store.engine import normalise_url

    assert normalise_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("sqlite:///x.db").drivername == "sqlite"
