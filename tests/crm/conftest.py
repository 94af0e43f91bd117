"""The crm slice's tests: its service on both backends (:mod:`dbkit`), its API over
SQLite (:mod:`webkit`)."""

from dbkit import (announcements, crm, db_url, downgrade, people, pg_schema_url,  # noqa: F401
                   recordings, store, users)
from webkit import Api, api  # noqa: F401
