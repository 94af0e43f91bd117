"""The web tests' app (fixtures in :mod:`webkit`)."""

from webkit import Api, api  # noqa: F401
