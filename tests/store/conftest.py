"""The store's tests run on both backends (fixtures in :mod:`dbkit`)."""

from dbkit import db_url, downgrade, pg_schema_url, store  # noqa: F401
