"""The reports slice's tests: the fold (pure), the summary tables and the reports on both
backends (:mod:`dbkit`), the API over SQLite (:mod:`webkit`); the outputs: schedules on
both backends and over the API, a local SMTP server (:mod:`schedkit`)."""

from dbkit import crm, db_url, pg_schema_url, store, users  # noqa: F401
from webkit import Api, api  # noqa: F401
from schedkit import smtp  # noqa: F401
