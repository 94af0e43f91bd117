"""Flows in the database, versioned: the admin's draft, its check, publish, rollback, and
the published versions new calls take.

Every method is one transaction and returns plain dataclasses.  A call keeps the
:class:`PublishedFlow` (flow and version number) it started with; publishing changes only
what the next call gets.  A rollback publishes a *copy* of the earlier text under a new
number (``based_on`` names the original), so the history only grows and "version n" always
means one text.  A draft in progress is left alone by a rollback.
"""

from __future__ import annotations

import re
import time
from functools import lru_cache

from sqlalchemy.orm import Session

from kefu.store.checks import check_text
from kefu.store.db import Database
from kefu.store.errors import Conflict, Invalid, NotFound

from . import flowcheck, repo
from .flow import NAME, Flow
from .models import FlowRow, FlowVersionRow
from .records import (DRAFT, MAX_AUTHOR, MAX_DESCRIPTION, MAX_SOURCE, PUBLISHED, RETIRED,
                      VERSION_MOVES, FlowInfo, FlowVersion, PublishedFlow)


class FlowRefused(Invalid):
    """A flow text that does not pass the check; ``problems`` lists each, naming its node."""

    def __init__(self, name: str, problems: list[str]) -> None:
        super().__init__(f"flow {name} has {len(problems)} problem(s): " + "; ".join(problems))
        self.problems = problems


def check_name(name: object, what: str = "flow name") -> None:
    """A flow's or a node's name: what the flow format allows."""
    if not isinstance(name, str) or len(name) > 64 or not re.fullmatch(NAME, name):
        raise Invalid(f"{what} must be a letter or _ then letters, digits or _, at most "
                      f"64 characters, got {name!r}")


def _check_source(source: object) -> None:
    check_text("flow text", source, MAX_SOURCE, required=True)


def _move(row: FlowVersionRow, to: str, now: float) -> None:
    """The one place a version's status changes, along :data:`VERSION_MOVES`."""
    if to not in VERSION_MOVES[row.status]:
        raise Conflict(f"version {row.number} is {row.status}; it cannot become {to}")
    row.status = to
    row.updated_at = now
    if to == PUBLISHED:
        row.published_at = now
    elif to == RETIRED:
        row.retired_at = now


def problems(name: str, source: str, published: set[str]) -> list[str]:
    """Everything wrong with ``source`` as the text of flow ``name``; subflow and
    ``flow:`` targets must be among ``published`` (or this flow)."""
    try:
        flow = flowcheck.load(source, flows=published | {name})
    except flowcheck.FlowError as e:
        return e.problems
    if flow.name != name:
        return [f"name: the text is flow `{flow.name}`, but it is saved as `{name}`"]
    return []


@lru_cache(maxsize=128)
def _parsed(source: str) -> Flow:
    """Published texts never change, so each is parsed once however many calls take it."""
    return flowcheck.load(source)


class Flows:
    """Flow versions over the shared :class:`Database`."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # ---- flows

    def create_flow(self, name: str, description: str = "") -> FlowInfo:
        check_name(name)
        check_text("description", description, MAX_DESCRIPTION)
        now = time.time()
        row = FlowRow(name=name, description=description, created_at=now, updated_at=now)
        return self._db.add(row, lambda r: repo.to_flow(r, {}), f"flow {name} already exists")

    def describe(self, name: str, description: str) -> FlowInfo:
        check_text("description", description, MAX_DESCRIPTION)
        with self._db.tx() as s:
            row = self._flow(s, name)
            row.description = description
            row.updated_at = time.time()
            return repo.to_flow(row, repo.standings(s, [row.id]).get(row.id, {}))

    def list_flows(self) -> list[FlowInfo]:
        with self._db.tx(write=False) as s:
            return repo.flows(s)

    def get_flow(self, name: str) -> FlowInfo:
        with self._db.tx(write=False) as s:
            row = self._flow(s, name)
            return repo.to_flow(row, repo.standings(s, [row.id]).get(row.id, {}))

    # ---- versions

    def versions(self, name: str) -> list[FlowVersion]:
        """Every version of the flow, newest number first."""
        with self._db.tx(write=False) as s:
            row = self._flow(s, name)
            return [repo.to_version(v, name) for v in repo.versions(s, row.id)]

    def version(self, name: str, number: int) -> FlowVersion:
        with self._db.tx(write=False) as s:
            return repo.to_version(self._version(s, self._flow(s, name), number), name)

    def save_draft(self, name: str, source: str, author: str) -> FlowVersion:
        """Write the flow's draft (a new version number when it has none; the flow itself
        when it is new).  The text is kept as written, problems and all: it is checked by
        :meth:`validate` and refused only by :meth:`publish`."""
        check_name(name)
        _check_source(source)
        check_text("author", author, MAX_AUTHOR, required=True)
        now = time.time()
        with self._db.tx() as s:
            flow = repo.flow_named(s, name, lock=True)
            if flow is None:
                flow = FlowRow(name=name, description="", created_at=now, updated_at=now)
                s.add(flow)
                s.flush()
            draft = repo.version_in(s, flow.id, status=DRAFT)
            if draft is None:
                draft = FlowVersionRow(flow_id=flow.id, number=repo.next_number(s, flow.id),
                                       status=DRAFT, created_at=now)
                s.add(draft)
            draft.source, draft.author, draft.updated_at = source, author, now
            flow.updated_at = now
            s.flush()
            return repo.to_version(draft, name)

    def validate(self, name: str, source: str | None = None) -> list[str]:
        """The problems of ``source`` (the flow's draft when None) as this flow's text,
        each naming its node; [] when it may be published."""
        if source is not None:
            _check_source(source)
        with self._db.tx(write=False) as s:
            if source is None:
                flow = self._flow(s, name)
                draft = repo.version_in(s, flow.id, status=DRAFT)
                if draft is None:
                    raise NotFound(f"flow {name} has no draft")
                source = draft.source
            names = repo.published_names(s)
        return problems(name, source, names)

    def publish(self, name: str, author: str) -> FlowVersion:
        """The draft becomes the published version and the one before is retired (kept).
        Refused (:class:`FlowRefused`, nothing changed) when the draft has problems."""
        check_text("author", author, MAX_AUTHOR, required=True)
        with self._db.tx() as s:
            flow = self._flow(s, name, lock=True)
            draft = repo.version_in(s, flow.id, status=DRAFT)
            if draft is None:
                raise Conflict(f"flow {name} has no draft to publish")
            self._refuse_problems(name, draft.source, repo.published_names(s))
            draft.author = author
            self._replace_published(s, flow, draft)
            return repo.to_version(draft, name)

    def rollback(self, name: str, number: int, author: str) -> FlowVersion:
        """Publish version ``number``'s text again, as a new version (``based_on`` =
        ``number``); the draft, if any, is left as it is."""
        check_text("author", author, MAX_AUTHOR, required=True)
        now = time.time()
        with self._db.tx() as s:
            flow = self._flow(s, name, lock=True)
            old = self._version(s, flow, number)
            if old.status == DRAFT:
                raise Conflict(f"version {number} of flow {name} is the draft: publish it")
            if old.status == PUBLISHED:
                raise Conflict(f"version {number} of flow {name} is already published")
            self._refuse_problems(name, old.source, repo.published_names(s))
            copy = FlowVersionRow(flow_id=flow.id, number=repo.next_number(s, flow.id),
                                  status=DRAFT, source=old.source, author=author,
                                  based_on=number, created_at=now, updated_at=now)
            s.add(copy)
            s.flush()
            self._replace_published(s, flow, copy)
            return repo.to_version(copy, name)

    # ---- what calls take

    def published(self, name: str) -> PublishedFlow:
        """The published flow ``name`` and its version number, for a new call."""
        with self._db.tx(write=False) as s:
            found = repo.published(s, name)
        if not found:
            raise NotFound(f"flow {name} has no published version")
        (_, number, source), = found
        return PublishedFlow(name, number, _parsed(source))

    def snapshot(self) -> dict[str, PublishedFlow]:
        """Every published flow: what a new call may walk into (subflows, ``flow:``)
        fixed when it starts."""
        with self._db.tx(write=False) as s:
            found = repo.published(s)
        return {n: PublishedFlow(n, number, _parsed(src)) for n, number, src in found}

    # ---- helpers

    @staticmethod
    def _flow(s: Session, name: str, *, lock: bool = False) -> FlowRow:
        row = repo.flow_named(s, name, lock=lock)
        if row is None:
            raise NotFound(f"flow {name} does not exist")
        return row

    @staticmethod
    def _version(s: Session, flow: FlowRow, number: int) -> FlowVersionRow:
        row = repo.version_in(s, flow.id, number=number)
        if row is None:
            raise NotFound(f"flow {flow.name} has no version {number}")
        return row

    @staticmethod
    def _refuse_problems(name: str, source: str, published: set[str]) -> None:
        found = problems(name, source, published)
        if found:
            raise FlowRefused(name, found)

    @staticmethod
    def _replace_published(s: Session, flow: FlowRow, new: FlowVersionRow) -> None:
        now = time.time()
        current = repo.version_in(s, flow.id, status=PUBLISHED)
        if current is not None:
            _move(current, RETIRED, now)
            s.flush()
        _move(new, PUBLISHED, now)
        flow.updated_at = now
        s.flush()
