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
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from kefu.config import CrmSettings
from kefu.store.checks import MAX_DISPLAY_NAME, MAX_USERNAME, check_choice, check_text
from kefu.store.db import Database
from kefu.store.errors import Invalid, NotFound
from kefu.users.service import Users

from . import history_repo, repo
from .history_repo import NoteStat
from .models import CustomerRow
from .phones import NotANumber, Phone, lookup_key, normalise
from .records import (CONTACT_RESULTS, MAX_CALL_ID, MAX_NOTES, MAX_SUMMARY, TIMELINE_KINDS,
                      ContactNote, Customer, TimelineEntry)

__all__ = ["CONTACT_RESULTS", "ContactNote", "Crm", "Customer", "MAX_NOTES", "Merged",
           "TIMELINE_KINDS", "TimelineEntry"]

Merged = Callable[[Session, Sequence[int], int], None]
"""Told inside the merge's transaction: ``(session, merged ids, surviving id)``; a slice
that keeps customer ids (tickets, follow-ups, recordings) moves its rows."""

_CUSTOMER_TEXT = {"name": MAX_DISPLAY_NAME, "company": MAX_DISPLAY_NAME, "tier": 32,
                  "owner": MAX_USERNAME, "notes": MAX_NOTES}


def _check_customer_fields(fields: Mapping[str, object]) -> None:
    """A customer's given free-text fields."""
    for field, value in fields.items():
        check_text(field, value, _CUSTOMER_TEXT[field])
    tier = fields.get("tier")
    if isinstance(tier, str) and tier.strip() != tier:
        raise Invalid("tier must not have outer spaces")


class Crm:
    """Customers, call notes and timelines over the shared :class:`Database`."""

    def __init__(self, db: Database, users: Users, settings: CrmSettings | None = None) -> None:
        self._db = db
        self._users = users
        self.settings = settings or CrmSettings()
        self.on_merge: list[Merged] = []

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
    def create_customer(self, number: str | None = None, *, numbers: Sequence[str] = (),
                        name: str = "", company: str = "", tier: str = "", owner: str = "",
                        notes: str = "") -> Customer:
        """Add a customer with ``number`` and ``numbers`` (main first)."""
        phones = [self.phone(n) for n in ([number] if number else []) + list(numbers)]
        _check_customer_fields({"name": name, "company": company, "tier": tier,
                                "owner": owner, "notes": notes})
        if error := self._unknown_owner(owner):
            raise error
        with self._db.tx() as s:
            row = repo.insert_customer(s, name, time.time(), company=company, tier=tier,
                                       owner=owner, notes=notes)
            repo.set_numbers(s, row.id, [(p, "") for p in phones])
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

    def update_customer(self, customer_id: int, *, number: str | None = None,
                        name: str | None = None, company: str | None = None,
                        tier: str | None = None, owner: str | None = None,
                        notes: str | None = None) -> Customer:
        """Change the given fields (None leaves one as it is); ``number`` replaces the
        main number."""
        fields = {k: v for k, v in (("name", name), ("company", company), ("tier", tier),
                                    ("owner", owner), ("notes", notes)) if v is not None}
        _check_customer_fields(fields)
        phone = self.phone(number) if number is not None else None
        bad_owner = self._unknown_owner(owner)
        with self._db.tx() as s:
            row = s.get(CustomerRow, customer_id)
            if row is None:
                raise NotFound(f"customer {customer_id} does not exist")
            if bad_owner:           # after NotFound: an unknown customer is a 404
                raise bad_owner
            for key, value in fields.items():
                setattr(row, key, value)
            if phone is not None:
                rest = [n for n in repo.to_customer(s, row).numbers[1:] if n != phone.number]
                repo.set_numbers(s, row.id, [(phone, "")] + [(Phone(n), "") for n in rest])
            row.updated_at = time.time()
            s.flush()
            return repo.to_customer(s, row)

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
        _check_customer_fields({"name": name})
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
            return note, repo.to_customer(s, row), created

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
    date = dt.date(1970, 1, 1) + dt.timedelta(days=day)
    if by == "week":
        date -= dt.timedelta(days=date.weekday())
    return date.strftime("%Y-%m") if by == "month" else date.isoformat()


def _note_entry(note: ContactNote) -> TimelineEntry:
    return TimelineEntry(customer_id=note.customer_id, at=note.created_at, kind="note",
                         ref=str(note.id), agent=note.agent,
                         summary=note.notes[:MAX_SUMMARY],
                         data={"type": note.type, "result": note.result,
                               "handling": note.handling, "call_id": note.call_id})
