"""The reports' output tests: schedules on both backends (:mod:`dbkit`) and over the API
(:mod:`webkit`), a local SMTP server (:mod:`schedkit`)."""

from dbkit import db_url, pg_schema_url, store  # noqa: F401
from webkit import Api, api  # noqa: F401
from schedkit import smtp  # noqa: F401
