"""Storage: one :class:`Store` service over SQLite or PostgreSQL, with shipped migrations."""

from .cdr import cdr_from_events
from .credentials import ha1
from .errors import Conflict, Invalid, NotFound, StoreError
from .records import (CONTACT_RESULTS, CONTACT_TYPES, DISPOSITIONS, HANGUP_BY, ROLES,
                      Announcement, Cdr, ContactNote, Customer, Extension, User)
from .service import Store

__all__ = [
    "Announcement", "CONTACT_RESULTS", "CONTACT_TYPES", "Cdr", "Conflict", "ContactNote",
    "Customer", "DISPOSITIONS", "Extension", "HANGUP_BY", "Invalid", "NotFound", "ROLES",
    "Store", "StoreError", "User", "cdr_from_events", "ha1",
]
