"""Storage: the shared :class:`Database` (engine, sessions, the one Alembic history) and the
:class:`Store` service for extensions, the call event log and CDRs.

The business domains keep their tables in their slices (``kefu.users``, ``kefu.crm``,
``kefu.announcements``) on this package's declarative base.
"""

from .cdr import cdr_from_events
from .credentials import ha1
from .db import Database
from .errors import Conflict, Invalid, NotFound, StoreError
from .records import DISPOSITIONS, HANGUP_BY, Cdr, Extension
from .service import Store

__all__ = [
    "Cdr", "Conflict", "DISPOSITIONS", "Database", "Extension", "HANGUP_BY", "Invalid",
    "NotFound", "Store", "StoreError", "cdr_from_events", "ha1",
]
