"""Fixtures shared across test packages (keep this file small)."""

from __future__ import annotations

from typing import Iterator

import pytest
from argon2 import PasswordHasher

from kefu import bus
from kefu.events import EventMismatch, check

# the migrated databases are made once per run (dbkit): registered here, so one each
from dbkit import migrated_sqlite, pg_migrated_url, pg_template  # noqa: F401


@pytest.fixture
def fast_hasher() -> PasswordHasher:
    """argon2 with minimal cost: production parameters would make tests slow."""
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(autouse=True)
def checked_events(request: pytest.FixtureRequest) -> Iterator[list[str]]:
    """Every event published on a bus in a test must be declared in :mod:`kefu.events` and
    match its payload: the suite proves the registry complete.  Mismatches are collected
    (a publisher may run where exceptions are swallowed) and fail the test at its end."""
    mismatches: list[str] = []
    if request.node.get_closest_marker("unchecked_events"):
        yield mismatches
        return

    def record(event: bus.Event) -> None:
        try:
            check(event)
        except EventMismatch as exc:
            mismatches.append(str(exc))
            raise

    previous = bus.set_check(record)
    try:
        yield mismatches
    finally:
        bus.set_check(previous)
    assert not mismatches, "events that do not match kefu.events:\n" + "\n".join(mismatches)

