"""The tickets slice's tests: its service on both backends (:mod:`dbkit`) with a fake
clock, time zone, bus and follow-ups; its API over SQLite (:mod:`webkit`)."""

from __future__ import annotations

from dbkit import crm, db_url, pg_schema_url, store, users  # noqa: F401
from webkit import Api, api  # noqa: F401
from ticketkit import kit  # noqa: F401
