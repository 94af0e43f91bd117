"""An import's run, on a worker thread: the rows go in a batch (one transaction) at a
time, and the job's progress is updated in the batch's own transaction, so what the
progress bar shows is exactly what is in.  A bad row is reported and skipped; a failure
mid-batch (a crash, a lost database) rolls the batch back whole and stops the job.

A row matches the customer who has any of its numbers: that customer is updated (the
row's numbers, e-mails and tags added, its other cells replacing), none is created,
several make the row an error ("ambiguous").
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kefu.store.db import Database
from kefu.store.errors import Invalid

from . import repo
from .data import CustomerData, check_customer, check_identity
from .models import CustomerNumberRow, CustomerRow, ImportRow
from .phones import Phone
from .records import FieldDef, ImportJob, RowError
from .transfer import Column, row_data, which_column

log = logging.getLogger(__name__)

MAX_ERRORS = 1000             # kept per job (the counts go on)
Writer = Callable[[Session, CustomerRow, CustomerData, float], None]


def to_job(row: ImportRow) -> ImportJob:
    return ImportJob(id=row.id, username=row.username, filename=row.filename,
                     state=row.state, total=row.total, done=row.done, created=row.created,
                     updated=row.updated, failed=row.failed,
                     errors=tuple(RowError(**e) for e in row.errors or ()),
                     created_at=row.created_at, finished_at=row.finished_at)


def new_job(s: Session, username: str, filename: str, total: int,
            errors: Sequence[RowError]) -> int:
    row = ImportRow(username=username, filename=filename[:255], state="running",
                    total=total, done=0, created=0, updated=0, failed=0,
                    errors=[e.__dict__ for e in errors], created_at=time.time(),
                    finished_at=None)
    s.add(row)
    s.flush()
    return row.id


class Run:
    """One import's rows ((line in the file, cells)), checked with the CRM's one check and written with its writer."""

    def __init__(self, db: Database, job_id: int, cols: Sequence[Column],
                 rows: Sequence[tuple[int, Sequence[str]]], *, phone: Callable[[object], Phone],
                 defs: Sequence[FieldDef], is_user: Callable[[str], bool],
                 write: Writer, batch: int) -> None:
        self.db, self.job_id, self.cols, self.rows = db, job_id, cols, rows
        self.phone, self.defs, self.is_user, self.write = phone, defs, is_user, write
        self.batch = batch

    def __call__(self) -> None:
        line = 0
        try:
            for at in range(0, len(self.rows), self.batch):
                line = self.rows[at][0]
                self._batch(self.rows[at:at + self.batch])
            self._finish("done")
        except Exception:
            log.exception("customer import %d stopped at row %d", self.job_id, line)
            self._finish("failed", RowError(line, "", "the import stopped here; the rows "
                                            "before it are in, none after"))

    def _check(self, line: int, raw: dict[str, Any]) -> CustomerData:
        """The row's data; Invalid names the column it found wrong."""
        try:
            data = check_customer(raw, self.phone, self.defs, creating=False)
        except Invalid as e:
            column = ""
            for part, value in raw.items():
                try:
                    check_customer({part: value}, self.phone, self.defs, creating=False)
                except Invalid:
                    field = next(iter(value)) if part == "fields" and len(value) == 1 else None
                    column = which_column(self.cols, "field" if part == "fields" else part,
                                          field)
                    break
            raise RowFailed(RowError(line, column, str(e))) from None
        owner = data.columns.get("owner")
        if owner and not self.is_user(owner):
            raise RowFailed(RowError(line, which_column(self.cols, "owner"),
                                     f"owner {owner} is not a user"))
        return data

    def _batch(self, rows: Sequence[tuple[int, Sequence[str]]]) -> None:
        created = updated = 0
        errors: list[RowError] = []
        with self.db.tx() as s:
            for line, cells in rows:
                try:
                    if self._row(s, line, cells):
                        created += 1
                    else:
                        updated += 1
                except RowFailed as e:
                    errors.append(e.error)
            job = s.get(ImportRow, self.job_id)
            assert job is not None
            job.done += len(rows)
            job.created += created
            job.updated += updated
            job.failed += len(errors)
            job.errors = (list(job.errors or []) + [e.__dict__ for e in errors])[:MAX_ERRORS]

    def _row(self, s: Session, line: int, cells: Sequence[str]) -> bool:
        """Write one row; True when it created a customer."""
        raw = row_data(self.cols, cells)
        if not raw:
            raise RowFailed(RowError(line, "", "the row is empty"))
        data = self._check(line, raw)
        numbers = [p.number for p, _ in data.phones or ()]
        ids = list(s.scalars(select(CustomerNumberRow.customer_id).distinct()
                             .where(CustomerNumberRow.number.in_(numbers)))) if numbers else []
        if len(ids) > 1:
            raise RowFailed(RowError(line, which_column(self.cols, "numbers"),
                                     "ambiguous: its numbers belong to customers "
                                     + ", ".join(map(str, sorted(ids)))))
        now = time.time()
        if not ids:
            if missing := [d.name for d in self.defs
                           if d.required and (data.fields or {}).get(d.name) is None]:
                raise RowFailed(RowError(line, "", f"field {', '.join(missing)} is required"))
            try:
                check_identity(data)
            except Invalid as e:
                raise RowFailed(RowError(line, "", str(e))) from None
            row = repo.insert_customer(s, str(data.columns.get("name", "")), now)
            self.write(s, row, data, now)
            s.flush()
            return True
        found = s.get(CustomerRow, ids[0])
        assert found is not None
        have = repo.to_customer(s, found)
        kept = [(Phone(p.number, p.extension), p.label) for p in have.phones]
        data = replace(data,
                       phones=kept + [(p, lb) for p, lb in data.phones or ()
                                      if p.number not in have.numbers],
                       emails=list(have.emails) + [e for e in data.emails or ()
                                                   if e not in have.emails],
                       tags=list(have.tags) + list(data.tags or ()))
        self.write(s, found, data, now)
        s.flush()
        return False

    def _finish(self, state: str, error: RowError | None = None) -> None:
        with self.db.tx() as s:
            job = s.get(ImportRow, self.job_id)
            assert job is not None
            job.state = state
            job.finished_at = time.time()
            if error is not None:
                job.errors = (list(job.errors or []) + [error.__dict__])[:MAX_ERRORS + 1]


class RowFailed(Exception):
    def __init__(self, error: RowError) -> None:
        super().__init__(error.message)
        self.error = error


def fail_running(s: Session) -> int:
    """Jobs a stop of the server cut off (their thread died with it): failed."""
    count = 0
    for job in s.scalars(select(ImportRow).where(ImportRow.state == "running")):
        job.state, job.finished_at = "failed", time.time()
        job.errors = list(job.errors or []) + [
            {"row": job.done + 2, "column": "", "message": "the server stopped during the "
             f"import: {job.done} of {job.total} rows are in, none after"}]
        count += 1
    return count
