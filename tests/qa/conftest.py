"""The QA slice's tests: its service on both backends (:mod:`dbkit`), its API over SQLite
(:mod:`webkit`)."""

from dbkit import db_url, pg_schema_url, qa, recordings, store  # noqa: F401
from webkit import Api, api  # noqa: F401
