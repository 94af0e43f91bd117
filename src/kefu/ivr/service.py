"""The IVR slice's public face: flows and their versions (more parts join as they are
built).  Other code uses this module only; each part is one service class over the
shared :class:`Database`, every method one transaction returning plain dataclasses.
"""

from __future__ import annotations

from kefu.store.db import Database

from .flowstore import FlowRefused, Flows
from .records import (DRAFT, PUBLISHED, RETIRED, VERSION_STATUSES, FlowInfo, FlowVersion,
                      PublishedFlow)

__all__ = ["DRAFT", "FlowInfo", "FlowRefused", "FlowVersion", "Flows", "Ivr", "PUBLISHED",
           "PublishedFlow", "RETIRED", "VERSION_STATUSES"]


class Ivr:
    """The slice's services: ``flows``."""

    def __init__(self, db: Database) -> None:
        self.flows = Flows(db)
