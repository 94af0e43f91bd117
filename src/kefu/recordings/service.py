"""The recordings slice's public face: recordings' metadata saved, found, scored and
tagged, and the audit trail of who heard what.

Every method is one transaction and returns plain dataclasses; methods are synchronous and
thread-safe, asyncio callers run them in a worker thread.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from argon2 import PasswordHasher
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from kefu.config import RecordingsSettings
from kefu.store.checks import check_names, check_text
from kefu.store.db import Database
from kefu.store.export import safe_cell
from kefu.store.errors import Invalid, NotFound
from kefu.users.service import Users

from . import access, repo
from .access import Denied, Tickets
from .inspectors import Inspector, Inspectors
from .models import RecordingAuditRow, RecordingRow, RecordingScopeRow, RecordingTagRow
from .peaks import PeakCache
from .records import (AUDIT_ACTIONS, MAX_TAG, MAX_TAGS, SORTS, AuditEntry, Page, Recording,
                      Search)

COUNT_CAP = 1_000        # a search counts its matches up to here ("1,000 or more")
MAX_SCOPE = 200          # queues in one user's group
MAX_EXPORT = 100_000     # audit entries in one CSV export
AUDIT_COLUMNS = ("id", "time", "username", "action", "recording_id", "address", "detail")


def _no_members(_queues: Iterable[str]) -> Iterable[str]:
    return ()

__all__ = ["AuditEntry", "Denied", "Inspector", "Inspectors", "Page", "Recording", "Recordings",
           "Search"]


class Recordings:
    """Recordings' metadata over the shared :class:`Database`.

    ``settings``: the ``[recordings]`` section; ``members(queues)``: the agents of those
    queues (the ACD's, wired by app.py), for the groups of :mod:`.access`.  ``tickets``
    sign the audio URLs of this process; ``peaks`` caches waveforms; ``inspectors``: phone
    access, for ``users`` (who may be an inspector; ``hasher`` exists for tests: cheap
    argon2 for PINs)."""

    def __init__(self, db: Database, settings: RecordingsSettings = RecordingsSettings(),
                 members: Callable[[Iterable[str]], Iterable[str]] = _no_members, *,
                 users: Users | None = None, hasher: PasswordHasher | None = None) -> None:
        self._db = db
        self.settings = settings
        self.members = members
        self.tickets = Tickets()
        self.peaks = PeakCache()
        self.inspectors = Inspectors(db, users, hasher=hasher)

    # --- saving -----------------------------------------------------------------------
    @staticmethod
    def move_customer(s: Session, merged: Sequence[int], into: int) -> None:
        """The CRM merged customers ``merged`` into ``into`` (its ``on_merge`` hook,
        inside the merge's transaction ``s``): their recordings become ``into``'s."""
        repo.move_customer(s, merged, into)

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

    def update_audited(self, recording_id: int, username: str, action: str, address: str,
                       detail: str = "", **changes: object) -> Recording:
        """:meth:`update` and :meth:`audit` in one transaction: a file moved or deleted is
        never without its audit entry, nor audited twice when the job is run again."""
        if action not in AUDIT_ACTIONS:
            raise Invalid(f"action must be one of {', '.join(AUDIT_ACTIONS)}")
        current = self.get(recording_id)
        updated = replace(current, **changes)  # type: ignore[arg-type]
        with self._db.tx() as s:
            row = s.get(RecordingRow, recording_id)
            if row is None:
                raise NotFound(f"no recording {recording_id}")
            for key, value in repo.columns_of(updated).items():
                if key in changes:
                    setattr(row, key, value)
            s.add(RecordingAuditRow(at=time.time(), username=username, action=action,
                                    recording_id=recording_id, address=address[:64],
                                    detail=detail))
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
        """One page of the recordings ``search`` matches, and how many match in all, up to
        :data:`COUNT_CAP` (``Page.capped``: that many or more; counting a million rows
        would cost more than the page, bench/recordings_search.py)."""
        if sort not in SORTS:
            raise Invalid(f"sort must be one of {', '.join(SORTS)}")
        column = getattr(RecordingRow, sort)
        order = [column.desc() if descending else column.asc(),
                 RecordingRow.id.desc() if descending else RecordingRow.id.asc()]
        dialect = self._db.engine.dialect.name
        q = repo.filtered(search, dialect)
        with self._db.tx(write=False) as s:
            total = repo.count(s, q, COUNT_CAP)
            if total > COUNT_CAP and sort == "started_at":   # many: walk the time index
                q = repo.filtered(search, dialect, walk_time=True)
            rows = list(s.scalars(q.order_by(*order).offset(offset).limit(limit)))
            tags = repo.tags_of(s, [r.id for r in rows])
            return Page([repo.to_recording(r, tags.get(r.id, ())) for r in rows],
                        min(total, COUNT_CAP), capped=total > COUNT_CAP)

    def unfinished_calls(self) -> list[str]:
        """The calls with a segment still being recorded (or so the rows say)."""
        with self._db.tx(write=False) as s:
            return list(s.scalars(select(RecordingRow.call_id).distinct()
                                  .where(RecordingRow.state == "recording")))

    def newest_start(self) -> float | None:
        """When the newest recording started (None: no recording yet)."""
        with self._db.tx(write=False) as s:
            return s.scalar(select(func.max(RecordingRow.started_at)))

    def scan(self, tier: str | None = None, before: float | None = None,
             unhashed: bool = False, batch: int = 500) -> Iterator[Recording]:
        """Every recording not deleted (on ``tier``, started before ``before``, without a
        hash yet), in id order, a page per short transaction: the file jobs (verify,
        archive, retain) walk the whole table without holding it."""
        R = RecordingRow
        q = select(R).where(R.state != "deleted")
        if tier is not None:
            q = q.where(R.tier == tier)
        if before is not None:
            q = q.where(R.started_at < before)
        if unhashed:
            q = q.where(R.sha256.is_(None), R.state.in_(("done", "interrupted")))
        last = 0
        while True:
            with self._db.tx(write=False) as s:
                rows = list(s.scalars(q.where(R.id > last).order_by(R.id).limit(batch)))
                tags = repo.tags_of(s, [r.id for r in rows])
                page = [repo.to_recording(r, tags.get(r.id, ())) for r in rows]
            yield from page
            if len(page) < batch:
                return
            last = page[-1].id

    def at_path(self, path: str) -> Recording | None:
        """The recording whose file is ``path`` (deleted ones too), if any."""
        with self._db.tx(write=False) as s:
            row = s.scalar(select(RecordingRow).where(RecordingRow.path == path).limit(1))
            return None if row is None else repo.to_recording(row)

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

    # --- access ----------------------------------------------------------------------------
    def scope(self, username: str) -> tuple[str, ...]:
        """The queues whose agents' recordings ``username`` (a supervisor or an inspector)
        may hear; empty: every queue."""
        with self._db.tx(write=False) as s:
            return tuple(s.scalars(select(RecordingScopeRow.queue)
                                   .where(RecordingScopeRow.username == username)
                                   .order_by(RecordingScopeRow.queue)))

    def set_scope(self, username: str, queues: Iterable[str]) -> tuple[str, ...]:
        """Replace ``username``'s group (an empty list: every queue)."""
        check_text("username", username, 64, required=True)
        wanted = check_names("queues", list(queues), MAX_SCOPE, 64)
        with self._db.tx() as s:
            s.execute(delete(RecordingScopeRow).where(RecordingScopeRow.username == username))
            s.add_all(RecordingScopeRow(username=username, queue=q) for q in wanted)
        return self.scope(username)

    def visible_agents(self, username: str, role: str) -> tuple[str, ...] | None:
        """The agents whose recordings this user may see (None: all); raises
        :class:`access.Denied` when none."""
        scope = self.scope(username) if role in ("supervisor", "qa") else ()
        return access.visible_agents(username, role, scope, self.members,
                                     self.settings.agents_hear_own)

    def visible(self, username: str, role: str, recording_id: int) -> Recording:
        """The recording if this user may see it: :class:`access.Denied` with the reason if
        not, NotFound if there is none.  The one check the API, the QA slice and the phone
        share."""
        agents = self.visible_agents(username, role)
        rec = self.get(recording_id)
        access.check(username, rec, agents)
        return rec

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

    def audit_csv(self, since: float | None = None, until: float | None = None,
                  username: str | None = None, recording_id: int | None = None) -> str:
        """The matching audit entries, oldest first, as CSV (times in UTC ISO 8601, cells a
        spreadsheet would run as formulas neutralised); Invalid when more than
        :data:`MAX_EXPORT` match (narrow the time range)."""
        found = self.audit_log(since, until, username, recording_id, 0, MAX_EXPORT + 1)
        if len(found) > MAX_EXPORT:
            raise Invalid(f"more than {MAX_EXPORT} entries match; narrow the time range")
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(AUDIT_COLUMNS)
        for e in reversed(found):
            when = dt.datetime.fromtimestamp(e.at, dt.timezone.utc).isoformat()
            writer.writerow([safe_cell(str(v)) for v in (
                e.id, when, e.username, e.action,
                "" if e.recording_id is None else e.recording_id, e.address, e.detail)])
        return out.getvalue()
