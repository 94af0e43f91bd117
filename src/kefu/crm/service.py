"""The CRM slice's public face: customers, their call notes and their timeline.

Every method is one transaction (all or nothing) and returns plain dataclasses; methods
are synchronous and thread-safe, asyncio callers run them in a worker thread.  A
customer's owner must be a user: asked of the users slice's service.

Other slices write their lines of a customer's history with :meth:`Crm.record` (inside
their own transaction when they pass their session), and follow a merge of two
customers through :attr:`Crm.on_merge`.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session

from kefu.config import CrmSettings
from kefu.store.checks import MAX_DISPLAY_NAME, MAX_USERNAME, check_choice, check_text
from kefu.store.db import Database
from kefu.store.errors import Conflict, Invalid, NotFound
from kefu.store.periods import day_date
from kefu.users.service import Users

from . import duplicates, history_repo, imports, repo, transfer
from .data import CustomerData, check_customer, numbers_of
from .fields import check_definition
from .history_repo import NoteStat
from .merge import absorb, snapshot
from .models import CustomerRow, FieldRow, ImportRow
from .phones import NotANumber, Phone, lookup_key, normalise
from .records import (AUDIT_ACTIONS, CONTACT_RESULTS, MAX_CALL_ID, MAX_NOTES, MAX_SUMMARY,
                      TIMELINE_KINDS, AuditEntry, ContactNote, Customer, Duplicate, FieldDef,
                      ImportJob, RowError, TimelineEntry)

log = logging.getLogger(__name__)

__all__ = ["CONTACT_RESULTS", "AuditEntry", "ContactNote", "Crm", "Customer", "Deleted",
           "Duplicate", "FieldDef", "MAX_NOTES", "Merged", "TIMELINE_KINDS", "TimelineEntry"]

Merged = Callable[[Session, Sequence[int], int], None]
"""Told inside the merge's transaction: ``(session, merged ids, surviving id)``; a slice
that keeps customer ids (tickets, follow-ups, recordings) moves its rows."""

Deleted = Callable[[Session, int], None]
"""Told inside a forced delete's transaction: ``(session, customer id)``; a slice whose
rows point at the customer drops or detaches them."""

def _thread(run: Callable[[], None]) -> None:
    threading.Thread(target=run, name="crm-import", daemon=True).start()


class Crm:
    """Customers, call notes and timelines over the shared :class:`Database`."""

    def __init__(self, db: Database, users: Users, settings: CrmSettings | None = None, *,
                 spawn: Callable[[Callable[[], None]], None] = _thread) -> None:
        self._db = db
        self._spawn = spawn         # runs an import (tests: at once, in the caller)
        self._users = users
        self.settings = settings or CrmSettings()
        self.on_merge: list[Merged] = []
        self.on_delete: list[Deleted] = []
        # told a call's id after a note on it is saved: the history writes the lines the
        # call could not give a customer who did not exist yet (a new caller's first call)
        self.on_call_note: list[Callable[[str], None]] = []

    # --- numbers ---------------------------------------------------------------------------
    def phone(self, raw: object) -> Phone:
        """``raw`` in the CRM's one spelling; :class:`Invalid` when it is no number."""
        if not isinstance(raw, str) or len(raw) > 64:
            raise Invalid("number must be a string of at most 64 characters")
        try:
            return normalise(raw, self.settings.region)
        except NotANumber as e:
            raise Invalid(str(e)) from None

    def _unknown_owner(self, owner: str | None) -> Invalid | None:
        """The error for an owner who is no user (raised by the caller at its turn)."""
        if owner and self._users.missing_users([owner]):
            return Invalid(f"owner {owner} is not a user")
        return None

    # --- customers -------------------------------------------------------------------------
    def _check(self, raw: Mapping[str, object], *, creating: bool) -> CustomerData:
        """The one check of a customer's writable data (create, update, import); the
        owner must be a user."""
        with self._db.tx(write=False) as s:
            defs = repo.field_defs(s)
        data = check_customer(raw, self.phone, defs, creating=creating)
        if error := self._unknown_owner(data.columns.get("owner")):
            raise error
        return data

    @staticmethod
    def _write(s: Session, row: CustomerRow, data: CustomerData, now: float) -> None:
        """Apply checked ``data`` to ``row`` (lists replace; custom values merge, None
        clears one)."""
        for key, value in data.columns.items():
            setattr(row, key, value)
        kept = [(Phone(p.number, p.extension), p.label)
                for p in repo.to_customer(s, row).phones]
        if (phones := numbers_of(data, kept)) is not None:
            repo.set_numbers(s, row.id, phones)
        if data.emails is not None:
            repo.set_emails(s, row.id, data.emails)
        if data.tags is not None:
            repo.set_tags(s, row.id, data.tags)
        if data.fields is not None:
            merged = {**(row.fields or {}), **data.fields}
            row.fields = {k: v for k, v in merged.items() if v is not None}
        row.updated_at = now

    def create_customer(self, number: str | None = None, **given: object) -> Customer:
        """Add a customer: ``number`` the main one, ``numbers`` ([str] or [{number,
        label}]) the rest; the other keywords as :func:`check_customer` takes them."""
        raw = dict(given, number=number) if number is not None else dict(given)
        data = self._check(raw, creating=True)
        with self._db.tx() as s:
            now = time.time()
            row = repo.insert_customer(s, str(data.columns.get("name", "")), now)
            self._write(s, row, data, now)
            s.flush()
            return repo.to_customer(s, row)

    def get_customer(self, customer_id: int) -> Customer | None:
        with self._db.tx(write=False) as s:
            row = s.get(CustomerRow, customer_id)
            return repo.to_customer(s, row) if row else None

    def find_customers(self, number: str) -> list[Customer]:
        """The customers with this number in any spelling (the screen pop); anything that
        is not a number matches nobody, since caller IDs can be "anonymous"."""
        key = lookup_key(number, self.settings.region) if isinstance(number, str) else None
        if key is None:
            return []
        with self._db.tx(write=False) as s:
            return repo.to_customers(s, repo.customers_numbered(s, key))

    def find_customer_by_number(self, number: str) -> Customer | None:
        """The first customer with this number (the IVR's and the recordings' look-up)."""
        found = self.find_customers(number)
        return found[0] if found else None

    def update_customer(self, customer_id: int, **changes: object) -> Customer:
        """Change the given parts (None leaves one as it is); ``number`` replaces the
        main number, ``numbers``, ``emails`` and ``tags`` replace their lists."""
        raw = {k: v for k, v in changes.items() if v is not None}
        with self._db.tx(write=False) as s:
            if s.get(CustomerRow, customer_id) is None:
                raise NotFound(f"customer {customer_id} does not exist")
        data = self._check(raw, creating=False)
        with self._db.tx() as s:
            row = s.get(CustomerRow, customer_id)
            if row is None:
                raise NotFound(f"customer {customer_id} does not exist")
            self._write(s, row, data, time.time())
            s.flush()
            return repo.to_customer(s, row)

    def search_customers(self, q: str = "", *, tag: str | None = None,
                         tier: str | None = None, owner: str | None = None,
                         company: str | None = None, offset: int = 0,
                         limit: int = 50) -> tuple[list[Customer], int]:
        """A page of the customers matching (see :func:`repo.search_query`) and their
        total, oldest first."""
        if not 1 <= limit <= 1000 or offset < 0:
            raise Invalid("limit must be 1-1000 and offset >= 0")
        check_text("q", q, 128)
        with self._db.tx(write=False) as s:
            return repo.search(s, self._search_query(q, tag, tier, owner, company),
                               offset, limit)

    def _search_query(self, q: str, tag: str | None, tier: str | None, owner: str | None,
                      company: str | None) -> Select:
        number = lookup_key(q, self.settings.region) if q.strip() else None
        return repo.search_query(q.strip(), number, tag=tag, tier=tier, owner=owner,
                                 company=company)

    def all_customers(self, q: str = "", *, tag: str | None = None, tier: str | None = None,
                      owner: str | None = None, company: str | None = None,
                      page: int = 500) -> Iterator[Customer]:
        """Every customer matching, a page (one short transaction) at a time: the export."""
        query = self._search_query(q, tag, tier, owner, company)
        after = 0
        while True:
            with self._db.tx(write=False) as s:
                rows = list(s.scalars(query.where(CustomerRow.id > after)
                                      .order_by(CustomerRow.id).limit(page)))
                found = repo.to_customers(s, rows)
            yield from found
            if len(found) < page:
                return
            after = found[-1].id

    def delete_customer(self, customer_id: int, username: str, *,
                        force: bool = False) -> None:
        """Delete the customer; refused (Conflict) while it has notes or timeline lines,
        unless ``force`` (then they go too).  Audited with a snapshot."""
        with self._db.tx() as s:
            row = s.get(CustomerRow, customer_id)
            if row is None:
                raise NotFound(f"customer {customer_id} does not exist")
            if not force and repo.has_history(s, customer_id):
                raise Conflict(f"customer {customer_id} has history: merge it, or force")
            gone = repo.to_customer(s, row)
            for hook in self.on_delete:
                hook(s, customer_id)
            repo.delete_customers(s, [customer_id])
            repo.add_audit(s, username, "delete", customer_id,
                           {"force": force, "customer": snapshot(gone)})

    # --- custom fields -----------------------------------------------------------------------
    def field_defs(self) -> list[FieldDef]:
        """The custom fields, in their order."""
        with self._db.tx(write=False) as s:
            return repo.field_defs(s)

    def create_field(self, name: str, label: str, kind: str, *, choices: Sequence[str] = (),
                     required: bool = False, position: int = 0) -> FieldDef:
        choices = check_definition(name, label, kind, choices, required, position)
        return self._db.add(FieldRow(name=name, label=label, kind=kind, choices=choices,
                                     required=required, position=position,
                                     created_at=time.time()),
                            repo.to_field, f"field {name} exists")

    def update_field(self, field_id: int, name: str, label: str, kind: str, *,
                     choices: Sequence[str] = (), required: bool = False,
                     position: int = 0) -> FieldDef:
        """Replace a definition; its name (the values' key) cannot change.  Values
        written before stay as they are; each is checked again when next written."""
        choices = check_definition(name, label, kind, choices, required, position)
        with self._db.tx() as s:
            row = s.get(FieldRow, field_id)
            if row is None:
                raise NotFound(f"field {field_id} does not exist")
            if row.name != name:
                raise Invalid("a field's name cannot change (its values are kept by it)")
            row.label, row.kind, row.choices = label, kind, choices
            row.required, row.position = required, position
            s.flush()
            return repo.to_field(row)

    def delete_field(self, field_id: int) -> None:
        """Remove a definition; a customer's value under it is dropped at its next write."""
        with self._db.tx() as s:
            row = s.get(FieldRow, field_id)
            if row is None:
                raise NotFound(f"field {field_id} does not exist")
            s.delete(row)

    # --- duplicates and merge ----------------------------------------------------------------
    def duplicates_of(self, customer_id: int) -> list[Duplicate]:
        with self._db.tx(write=False) as s:
            row = s.get(CustomerRow, customer_id)
            if row is None:
                raise NotFound(f"customer {customer_id} does not exist")
            return duplicates.candidates(s, row, self.settings.duplicate_name_ratio)

    def duplicate_groups(self, limit: int = 50) -> list[tuple[list[Customer], tuple[str, ...]]]:
        if not 1 <= limit <= 1000:
            raise Invalid("limit must be 1-1000")
        with self._db.tx(write=False) as s:
            return duplicates.groups(s, self.settings.duplicate_name_ratio, limit)

    def merge_customers(self, into: int, merge: Sequence[int], username: str) -> Customer:
        """Merge ``merge`` into ``into`` in one transaction: numbers, e-mails, tags, the
        empty fields, the history; every :attr:`on_merge` hook moves its slice's rows;
        the merged customers are deleted; audited with a snapshot of each."""
        ids = list(dict.fromkeys(merge))
        if not ids or into in ids or len(ids) > 100:
            raise Invalid("merge 1-100 customers other than the one merged into")
        with self._db.tx() as s:
            survivor = s.get(CustomerRow, into)
            rows = [s.get(CustomerRow, cid) for cid in ids]
            if survivor is None or None in rows:
                missing = [cid for cid, r in zip([into, *ids], [survivor, *rows]) if r is None]
                raise NotFound(f"customer {missing[0]} does not exist")
            gone = absorb(s, survivor, rows)       # type: ignore[arg-type]
            for hook in self.on_merge:
                hook(s, ids, into)
            repo.delete_customers(s, ids)
            survivor.updated_at = time.time()
            repo.add_audit(s, username, "merge", into,
                           {"merged": ids, "customers": [snapshot(c) for c in gone]})
            s.flush()
            return repo.to_customer(s, survivor)

    # --- import and export -------------------------------------------------------------------
    def start_import(self, username: str, filename: str, data: bytes) -> int:
        """Read the file (Invalid when it cannot be: too big, not CSV/xlsx, no name or
        phone column), record the job and start it on a worker (:mod:`.imports`); returns
        the job's id.  Audited (``import``)."""
        if len(data) > self.settings.import_max_bytes:
            raise Invalid(f"the file is larger than {self.settings.import_max_bytes} bytes")
        table = transfer.read_table(filename, data)
        if not table:
            raise Invalid("the file is empty")
        defs = self.field_defs()
        cols, unknown = transfer.columns(table[0], defs)
        rows = [(line, r) for line, r in enumerate(table[1:], start=2)
                if any(cell.strip() for cell in r)]
        ignored = [RowError(1, h, "unknown column, ignored") for h in unknown]
        with self._db.tx() as s:
            job_id = imports.new_job(s, username, filename, len(rows), ignored)
            repo.add_audit(s, username, "import", None,
                           {"job": job_id, "filename": filename, "rows": len(rows)})
        known: dict[str, bool] = {}

        def is_user(name: str) -> bool:
            if name not in known:
                known[name] = not self._users.missing_users([name])
            return known[name]

        self._spawn(imports.Run(self._db, job_id, cols, rows, phone=self.phone, defs=defs,
                                is_user=is_user, write=self._write,
                                batch=self.settings.import_batch))
        return job_id

    def import_job(self, job_id: int) -> ImportJob:
        with self._db.tx(write=False) as s:
            row = s.get(ImportRow, job_id)
            if row is None:
                raise NotFound(f"import {job_id} does not exist")
            return imports.to_job(row)

    def fail_stale_imports(self) -> int:
        """At start: the imports a stop cut off are failed (how far they got is kept)."""
        with self._db.tx() as s:
            return imports.fail_running(s)

    def export(self, username: str, fmt: str, q: str = "", *, tag: str | None = None,
               tier: str | None = None, owner: str | None = None,
               company: str | None = None) -> tuple[bytes, int]:
        """The matching customers as a CSV or .xlsx file and their count; audited."""
        check_choice("format", fmt, ("csv", "xlsx"))
        defs = self.field_defs()
        filters = {"tag": tag, "tier": tier, "owner": owner, "company": company}
        rows = (transfer.export_row(c, defs) for c in self.all_customers(
            q, tag=tag, tier=tier, owner=owner, company=company))
        write = transfer.to_csv if fmt == "csv" else transfer.to_xlsx
        data, count = write(transfer.export_header(defs), rows)
        self.audit(username, "export", None,
                   {"format": fmt, "q": q, **{k: v for k, v in filters.items() if v},
                    "count": count})
        return data, count

    # --- audit -------------------------------------------------------------------------------
    def audit(self, username: str, action: str, customer_id: int | None, detail: dict) -> None:
        check_choice("action", action, AUDIT_ACTIONS)
        with self._db.tx() as s:
            repo.add_audit(s, username, action, customer_id, detail)

    def audit_log(self, action: str | None = None, since: float | None = None,
                  until: float | None = None, offset: int = 0,
                  limit: int = 100) -> list[AuditEntry]:
        """Newest first."""
        if action is not None:
            check_choice("action", action, AUDIT_ACTIONS)
        with self._db.tx(write=False) as s:
            return repo.audit_log(s, action, since, until, offset, limit)

    # --- call notes ------------------------------------------------------------------------
    def _check_note(self, agent: str, type: str, result: str, notes: str,
                    call_id: str | None, handling: str = "") -> None:
        check_text("agent", agent, MAX_USERNAME, required=True)
        types = {t.name: t for t in self.settings.note_types}
        check_choice("type", type, tuple(types))
        given = {"handling": handling, "result": result, "notes": notes.strip()}
        if missing := [f for f in types[type].required if not given[f]]:
            raise Invalid(f"a {type} note needs {', '.join(missing)}")
        check_choice("result", result, CONTACT_RESULTS)
        check_text("notes", notes, MAX_NOTES)
        if handling:
            check_choice("handling", handling, tuple(self.settings.handlings))
        if call_id is not None:
            check_text("call_id", call_id, MAX_CALL_ID, required=True)

    def add_contact_note(self, customer_id: int, *, agent: str, type: str, result: str,
                         notes: str = "", call_id: str | None = None,
                         handling: str = "", queue: str = "") -> ContactNote:
        """Append a note to the customer's history; NotFound for an unknown customer."""
        self._check_note(agent, type, result, notes, call_id, handling)
        with self._db.tx() as s:
            if s.get(CustomerRow, customer_id) is None:
                raise NotFound(f"customer {customer_id} does not exist")
            note = repo.append_note(s, customer_id, agent, type, result, notes, call_id,
                                    handling, queue)
            self.record(_note_entry(note), s)
            return note

    def add_call_note(self, call_id: str, number: str, *, agent: str, type: str,
                      result: str, notes: str = "", name: str = "", handling: str = "",
                      queue: str = "") -> tuple[ContactNote, Customer, bool]:
        """The wrap-up form in one transaction: the customer with ``number`` (created with
        ``name`` when unknown) gets a note on the call.  Returns the note, the customer and
        whether the customer was created.  All or nothing: an invalid note leaves no new
        customer behind."""
        phone = self.phone(number)
        check_text("name", name, MAX_DISPLAY_NAME)
        self._check_note(agent, type, result, notes, call_id, handling)
        with self._db.tx() as s:
            rows = repo.customers_numbered(s, phone.number)
            created = not rows
            row = rows[0] if rows else repo.insert_customer(s, name, time.time())
            if created:
                repo.set_numbers(s, row.id, [(phone, "")])
            note = repo.append_note(s, row.id, agent, type, result, notes, call_id,
                                    handling, queue)
            self.record(_note_entry(note), s)
            done = note, repo.to_customer(s, row), created
        for hook in self.on_call_note:      # the call's own lines, now it has a customer
            try:
                hook(call_id)
            except Exception:
                log.exception("call %s: a hook after its note failed", call_id)
        return done

    def contact_history(self, customer_id: int, limit: int = 50) -> list[ContactNote]:
        """The customer's notes, newest first; NotFound for an unknown customer (an empty
        list would not tell "no history" from "wrong id")."""
        if limit < 1:
            raise Invalid("limit must be >= 1")
        with self._db.tx(write=False) as s:
            if s.get(CustomerRow, customer_id) is None:
                raise NotFound(f"customer {customer_id} does not exist")
            return repo.history(s, customer_id, limit)

    # --- timeline --------------------------------------------------------------------------
    def record(self, entry: TimelineEntry, s: Session | None = None) -> TimelineEntry:
        """Add a line to a customer's timeline; inside the caller's transaction when it
        passes its session ``s`` (the line then stands or falls with the caller's change)."""
        check_choice("kind", entry.kind, TIMELINE_KINDS)
        check_text("summary", entry.summary, MAX_SUMMARY)
        check_text("ref", entry.ref, MAX_CALL_ID)
        if s is not None:
            return repo.add_entry(s, entry)
        with self._db.tx() as own:
            if own.get(CustomerRow, entry.customer_id) is None:
                raise NotFound(f"customer {entry.customer_id} does not exist")
            return repo.add_entry(own, entry)

    def timeline(self, customer_id: int, *, kinds: Sequence[str] | None = None,
                 before: tuple[float, int] | None = None,
                 limit: int = 50) -> list[TimelineEntry]:
        """A page of the customer's timeline, newest first (``before``: the (at, id) of
        the previous page's last entry)."""
        if not 1 <= limit <= 500:
            raise Invalid("limit must be 1-500")
        for kind in kinds or ():
            check_choice("kind", kind, TIMELINE_KINDS)
        with self._db.tx(write=False) as s:
            if s.get(CustomerRow, customer_id) is None:
                raise NotFound(f"customer {customer_id} does not exist")
            return repo.timeline(s, customer_id, kinds, before, limit)

    # --- one history and note statistics (kefu.crm.history) -------------------------------
    def record_once(self, number: str, kind: str, ref: str, at: float, *, agent: str = "",
                    summary: str = "", data: Mapping[str, Any] | None = None
                    ) -> list[TimelineEntry]:
        """A ``(kind, ref)`` line on the timeline of every customer with ``number`` (any
        spelling) who has none yet: an event handled twice writes one line.  The lines
        written (none for a number no customer has)."""
        check_choice("kind", kind, TIMELINE_KINDS)
        check_text("ref", ref, MAX_CALL_ID, required=True)
        check_text("summary", summary, MAX_SUMMARY)
        key = lookup_key(number, self.settings.region) if isinstance(number, str) else None
        if key is None:
            return []
        with self._db.tx() as s:
            ids = [r.id for r in repo.customers_numbered(s, key)]
            have = history_repo.customers_with(s, ids, kind, ref)
            return [repo.add_entry(s, TimelineEntry(
                customer_id=cid, at=at, kind=kind, ref=ref, agent=agent[:MAX_USERNAME],
                summary=summary, data=dict(data or {}))) for cid in ids if cid not in have]

    def survey_scores(self, call_ids: Sequence[str]) -> dict[str, int]:
        """The calls' survey scores (their CDRs'), for their timeline lines."""
        with self._db.tx(write=False) as s:
            return history_repo.survey_scores(s, list(call_ids))

    def newest_entry_at(self, kind: str) -> float | None:
        """When the newest line of ``kind`` happened (the history's catch-up at start)."""
        with self._db.tx(write=False) as s:
            return history_repo.newest_at(s, kind)

    def note_results(self, since: float, until: float) -> list[tuple[str, str, str, int]]:
        """``(queue, type, result, count)`` of the call notes written in ``[since, until)``:
        the reports' first-contact resolution and complaint figures."""
        if until < since:
            raise Invalid("until is before since")
        with self._db.tx(write=False) as s:
            return history_repo.note_results(s, since, until)

    def note_stats(self, by: str, since: float | None = None, until: float | None = None,
                   utc_offset: float | None = None) -> list[NoteStat]:
        """How many call notes of each type, per ``by`` (type, agent, queue, or the local
        day, week (from Monday) or month: keys ``2026-12-03``, ``2026-11-30``,
        ``2026-12``), counted in SQL; periods oldest first, the rest by total."""
        check_choice("by", by, history_repo.STATS_BY)
        if since is not None and until is not None and until < since:
            raise Invalid("until is before since")
        offset = time.localtime(since).tm_gmtoff if utc_offset is None else utc_offset
        with self._db.tx(write=False) as s:
            counts = history_repo.note_counts(s, since, until, by, offset)
        stats: dict[str, NoteStat] = {}
        for key, type_, n in counts:
            name = _period(int(key), by) if by in ("day", "week", "month") else str(key)
            row = stats.setdefault(name, NoteStat(name))
            row.total += n
            row.types[type_] = row.types.get(type_, 0) + n
        if by in ("day", "week", "month"):
            return [stats[k] for k in sorted(stats)]
        return sorted(stats.values(), key=lambda r: (-r.total, r.key))


def _period(day: int, by: str) -> str:
    """A local day number's day, week (its Monday) or month."""
    date = day_date(day)
    if by == "week":
        date -= dt.timedelta(days=date.weekday())
    return date.strftime("%Y-%m") if by == "month" else date.isoformat()


def _note_entry(note: ContactNote) -> TimelineEntry:
    return TimelineEntry(customer_id=note.customer_id, at=note.created_at, kind="note",
                         ref=str(note.id), agent=note.agent,
                         summary=note.notes[:MAX_SUMMARY],
                         data={"type": note.type, "result": note.result,
                               "handling": note.handling, "call_id": note.call_id})
