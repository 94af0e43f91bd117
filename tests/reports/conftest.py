"""The reports slice's tests: the fold (pure), the summary tables and the reports on both
backends (:mod:`dbkit`), the API over SQLite (:mod:`webkit`)."""

from dbkit import db_url, pg_schema_url, store  # noqa: F401
from webkit import Api, api  # noqa: F401
