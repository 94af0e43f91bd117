"""What the knowledge base hands out: frozen dataclasses, the fixed choices, limits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from kefu.store.errors import StoreError

VISIBILITIES = ("internal", "public")
# A version's life: draft → pending → published | rejected; an approval with a later
# publish_at is "scheduled" until then; a version replaced (a newer edit, a newer live
# version, an unpublish) is "superseded".
STATES = ("draft", "pending", "scheduled", "published", "rejected", "superseded")
OPEN = ("draft", "pending", "scheduled")          # at most one per article
FILE_KINDS = ("image", "attachment")
ACTIONS = ("created", "edited", "submitted", "approved", "scheduled", "published", "rejected",
           "unpublished", "moved", "file_added", "category_created", "category_renamed",
           "category_moved", "category_deleted")
DIFF_MODES = ("unified", "side")

MAX_TITLE = 200
MAX_BODY = 200_000            # Markdown characters of one version
MAX_KEYWORDS = 30
MAX_KEYWORD = 64
MAX_CATEGORY = 64
MAX_COMMENT = 2_000
MAX_DEPTH = 8                 # category levels


class Denied(StoreError):
    """The caller may not do this (a 403 with the reason)."""


@dataclass(frozen=True)
class Category:
    id: int
    name: str
    parent_id: int | None
    position: int
    articles: int                          # published ones directly in it
    children: tuple[Category, ...] = ()


@dataclass(frozen=True)
class Version:
    id: int
    article_id: int
    number: int
    title: str
    body: str
    keywords: tuple[str, ...]
    visibility: str
    review_date: dt.date | None
    state: str
    author: str
    created_at: float
    submitted_at: float | None
    decided_by: str
    decided_at: float | None
    comment: str
    publish_at: float | None
    published_at: float | None


@dataclass(frozen=True)
class File:
    id: int
    article_id: int
    kind: str
    name: str
    mime: str
    size: int
    by: str
    at: float
    path: str = field(default="", repr=False)    # the stored file's name under files_dir


@dataclass(frozen=True)
class Article:
    """An article as one caller sees it: ``live`` is what readers read (None: not
    published); ``working`` the newest version after it that is a draft, pending, scheduled
    or rejected (only for writers and approvers)."""

    id: int
    category_id: int
    created_by: str
    created_at: float
    live: Version | None
    working: Version | None
    stale: bool                            # the live version's review date has passed
    files: tuple[File, ...] = ()


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: float
    actor: str
    action: str
    article_id: int | None
    version: int | None
    category_id: int | None
    comment: str


@dataclass(frozen=True)
class Diff:
    article_id: int
    a: int
    b: int
    mode: str
    unified: str                           # mode "unified": difflib's text
    rows: tuple[tuple[str, str, str], ...] = ()   # mode "side": (op, left, right) per line


@dataclass(frozen=True)
class KbDocument:
    """What the search index is fed on publish: the live version of one article."""

    id: int
    title: str
    body: str
    keywords: tuple[str, ...]
    category: int
    updated_at: float
    visibility: str
    views: int = 0
