"""The follow-ups slice's tests: its service on both backends (:mod:`dbkit`), its API over
SQLite (:mod:`webkit`)."""

from dbkit import crm, db_url, pg_schema_url, store, users  # noqa: F401
from webkit import Api, api  # noqa: F401
