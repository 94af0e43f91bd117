"""The knowledge base's tests: its service on both backends (:mod:`dbkit`) with a fake
clock; its API over SQLite (:mod:`kbkit`)."""

from __future__ import annotations

from dbkit import crm, db_url, pg_schema_url, store, users  # noqa: F401
from kbkit import kb_api, kit  # noqa: F401
from webkit import api  # noqa: F401
