"""Storage: one :class:`Store` service over SQLite or PostgreSQL, with shipped migrations."""

from .cdr import cdr_from_events
from .credentials import ha1
from .errors import Conflict, Invalid, NotFound, StoreError
from .records import DISPOSITIONS, HANGUP_BY, ROLES, Cdr, Extension, User
from .service import Store

__all__ = [
    "Cdr", "Conflict", "DISPOSITIONS", "Extension", "HANGUP_BY", "Invalid", "NotFound",
    "ROLES", "Store", "StoreError", "User", "cdr_from_events", "ha1",
]
