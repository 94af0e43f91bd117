"""The IVR slice's public face: flows and their versions (more parts join as they are
built).  Other code uses this module only; each part is one service class over the
shared :class:`Database`, every method one transaction returning plain dataclasses.
"""

from __future__ import annotations

from kefu.store.db import Database

from .collected import Collected
from .flowstore import FlowRefused, Flows
from .records import (DRAFT, PUBLISHED, RETIRED, VERSION_STATUSES, CollectedRecord, FlowInfo,
                      FlowVersion, Page, PublishedFlow)

__all__ = ["Collected", "CollectedRecord", "DRAFT", "FlowInfo", "FlowRefused", "FlowVersion", "Flows", "Ivr", "PUBLISHED",
           "Page", "PublishedFlow", "RETIRED", "VERSION_STATUSES"]


class Ivr:
    """The slice's services: ``flows``, ``collected``."""

    def __init__(self, db: Database) -> None:
        self.flows = Flows(db)
        self.collected = Collected(db)
