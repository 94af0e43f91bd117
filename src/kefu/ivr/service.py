"""The IVR slice's public face.  Other code uses this module only; each part is one
service class over the shared :class:`Database`, every method one transaction returning
plain dataclasses (synchronous and thread-safe: asyncio callers use a worker thread).
"""

from __future__ import annotations

from pathlib import Path

from argon2 import PasswordHasher

from kefu.store.db import Database

from .collected import Collected
from .flowstore import FlowRefused, Flows
from .promptstore import PromptStore
from .reports import Statistics
from .records import (DELETED, DRAFT, LANGUAGES, MAILBOX_KINDS, MESSAGE_STATUSES, NEW,
                      PUBLISHED, RETIRED, SAVED, VERSION_STATUSES, CollectedRecord, FlowInfo,
                      FlowVersion, Mailbox, Message, Page, PublishedFlow, StoredPrompt)
from .voicemail import Mailboxes

__all__ = ["Collected", "CollectedRecord", "DELETED", "DRAFT", "FlowInfo", "FlowRefused",
           "FlowVersion", "Flows", "Ivr", "LANGUAGES", "MAILBOX_KINDS", "MESSAGE_STATUSES",
           "Mailbox", "Mailboxes", "Message", "NEW", "PUBLISHED", "Page", "PromptStore",
           "PublishedFlow", "RETIRED", "SAVED", "Statistics", "StoredPrompt", "VERSION_STATUSES"]


class Ivr:
    """The slice's services: ``flows`` (versions, what calls take), ``collected`` (the
    ``store`` node's records), ``voicemail`` (mailboxes and messages, files under
    ``voicemail_dir``), ``prompts`` (uploads converted into ``prompts_dir``), ``stats``
    (the statistics over the ``ivr.*`` events in ``call_events``).  ``hasher``
    exists for tests (cheap argon2 for PINs)."""

    def __init__(self, db: Database, *, voicemail_dir: Path, prompts_dir: Path,
                 hasher: PasswordHasher | None = None) -> None:
        self.flows = Flows(db)
        self.collected = Collected(db)
        self.voicemail = Mailboxes(db, voicemail_dir, hasher=hasher)
        self.prompts = PromptStore(db, prompts_dir)
        self.stats = Statistics(db)
