"""The recordings slice's public face: recordings' metadata saved, found, scored and
tagged, and the audit trail of who heard what.

Every method is one transaction and returns plain dataclasses; methods are synchronous and
thread-safe, asyncio callers run them in a worker thread.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Iterable

from argon2 import PasswordHasher
from sqlalchemy import delete, select

from kefu.store.db import Database
from kefu.store.errors import Invalid, NotFound
from kefu.users.service import Users

from . import repo
from .inspectors import Inspector, Inspectors
from .models import RecordingAuditRow, RecordingRow, RecordingTagRow
from .records import (AUDIT_ACTIONS, MAX_TAG, MAX_TAGS, SORTS, AuditEntry, Page, Recording,
                      Search)

__all__ = ["AuditEntry", "Inspector", "Inspectors", "Page", "Recording", "Recordings",
           "Search"]


class Recordings:
    """Recordings' metadata over the shared :class:`Database`."""

    def __init__(self, db: Database, users: Users | None = None, *,
                 hasher: PasswordHasher | None = None) -> None:
        """``users``: who may be an inspector (:attr:`inspectors`, phone access);
        ``hasher`` exists for tests (cheap argon2 for PINs)."""
        self._db = db
        self.inspectors = Inspectors(db, users, hasher=hasher)

    # --- saving -----------------------------------------------------------------------
    def save(self, rec: Recording) -> Recording:
        """Insert the segment ``(call_id, segment)`` or replace what is known of it (its
        score and tags stay); the saved recording."""
        with self._db.tx() as s:
            row = s.scalar(select(RecordingRow).where(RecordingRow.call_id == rec.call_id,
                                                      RecordingRow.segment == rec.segment))
            values = repo.columns_of(rec)
            if row is None:
                row = RecordingRow(**values)
                s.add(row)
            else:
                values.pop("qa_score")
                for key, value in values.items():
                    setattr(row, key, value)
            s.flush()
            return repo.to_recording(row, repo.tags_of(s, [row.id]).get(row.id, ()))

    def update(self, recording_id: int, **changes: object) -> Recording:
        """Change some columns of one recording (a file compressed, moved, deleted)."""
        current = self.get(recording_id)
        updated = replace(current, **changes)  # type: ignore[arg-type]
        with self._db.tx() as s:
            row = s.get(RecordingRow, recording_id)
            if row is None:
                raise NotFound(f"no recording {recording_id}")
            for key, value in repo.columns_of(updated).items():
                if key in changes or key == "paused" and "paused" in changes:
                    setattr(row, key, value)
            s.flush()
            return repo.to_recording(row, current.tags)

    # --- reading ----------------------------------------------------------------------
    def get(self, recording_id: int) -> Recording:
        with self._db.tx(write=False) as s:
            row = s.get(RecordingRow, recording_id)
            if row is None:
                raise NotFound(f"no recording {recording_id}")
            return repo.to_recording(row, repo.tags_of(s, [row.id]).get(row.id, ()))

    def for_call(self, call_id: str) -> list[Recording]:
        """A call's segments, and those of the calls linked to it (the customer's journey),
        in the order they were recorded."""
        with self._db.tx(write=False) as s:
            journey = s.scalar(select(RecordingRow.journey)
                               .where(RecordingRow.call_id == call_id).limit(1))
            rows = list(s.scalars(select(RecordingRow)
                                  .where(RecordingRow.journey == (journey or call_id))
                                  .order_by(RecordingRow.started_at, RecordingRow.segment)))
            tags = repo.tags_of(s, [r.id for r in rows])
            return [repo.to_recording(r, tags.get(r.id, ())) for r in rows]

    def search(self, search: Search, offset: int = 0, limit: int = 50,
               sort: str = "started_at", descending: bool = True) -> Page:
        """One page of the recordings ``search`` matches, and how many match in all."""
        if sort not in SORTS:
            raise Invalid(f"sort must be one of {', '.join(SORTS)}")
        column = getattr(RecordingRow, sort)
        order = [column.desc() if descending else column.asc(),
                 RecordingRow.id.desc() if descending else RecordingRow.id.asc()]
        q = repo.filtered(search)
        with self._db.tx(write=False) as s:
            total = repo.count(s, q)
            rows = list(s.scalars(q.order_by(*order).offset(offset).limit(limit)))
            tags = repo.tags_of(s, [r.id for r in rows])
            return Page([repo.to_recording(r, tags.get(r.id, ())) for r in rows], total)

    @staticmethod
    def file(rec: Recording) -> Path:
        """Where the recording's audio is now (whichever tier it is on)."""
        return Path(rec.path)

    # --- scores and tags -----------------------------------------------------------------
    def set_score(self, recording_id: int, score: float | None) -> Recording:
        """The recording's quality score (the QA slice's latest), searched by."""
        return self.update(recording_id, qa_score=score)

    def set_tags(self, recording_id: int, tags: Iterable[str]) -> Recording:
        wanted = tuple(dict.fromkeys(t.strip() for t in tags if t.strip()))
        if len(wanted) > MAX_TAGS or any(len(t) > MAX_TAG for t in wanted):
            raise Invalid(f"at most {MAX_TAGS} tags of at most {MAX_TAG} characters")
        with self._db.tx() as s:
            if s.get(RecordingRow, recording_id) is None:
                raise NotFound(f"no recording {recording_id}")
            s.execute(delete(RecordingTagRow).where(RecordingTagRow.recording_id == recording_id))
            s.add_all(RecordingTagRow(recording_id=recording_id, tag=t) for t in wanted)
        return self.get(recording_id)

    # --- audit -----------------------------------------------------------------------------
    def audit(self, username: str, action: str, recording_id: int | None, address: str,
              detail: str = "") -> AuditEntry:
        """Write down that ``username`` did ``action`` (play, download...) from ``address``."""
        if action not in AUDIT_ACTIONS:
            raise Invalid(f"action must be one of {', '.join(AUDIT_ACTIONS)}")
        with self._db.tx() as s:
            row = RecordingAuditRow(at=time.time(), username=username, action=action,
                                    recording_id=recording_id, address=address[:64],
                                    detail=detail)
            s.add(row)
            s.flush()
            return repo.to_audit(row)

    def audit_log(self, since: float | None = None, until: float | None = None,
                  username: str | None = None, recording_id: int | None = None,
                  offset: int = 0, limit: int = 100) -> list[AuditEntry]:
        A = RecordingAuditRow
        q = select(A).order_by(A.at.desc(), A.id.desc())
        if since is not None:
            q = q.where(A.at >= since)
        if until is not None:
            q = q.where(A.at <= until)
        if username is not None:
            q = q.where(A.username == username)
        if recording_id is not None:
            q = q.where(A.recording_id == recording_id)
        with self._db.tx(write=False) as s:
            return [repo.to_audit(r) for r in s.scalars(q.offset(offset).limit(limit))]
