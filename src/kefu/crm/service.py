"""The CRM slice's public face: customers and their contact history.

Every method is one transaction (all or nothing) and returns plain dataclasses; methods
are synchronous and thread-safe, asyncio callers run them in a worker thread.  A
customer's owner must be a user: asked of the users slice's service.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from sqlalchemy.exc import IntegrityError

from kefu.store.checks import MAX_DISPLAY_NAME, MAX_USERNAME, check_choice, check_text
from kefu.store.db import Database
from kefu.store.errors import Conflict, Invalid, NotFound
from kefu.users.service import Users
from kefu.values import PHONE

from . import repo
from .models import CustomerRow
from .records import (CONTACT_RESULTS, CONTACT_TYPES, MAX_CALL_ID, MAX_NOTES, ContactNote,
                      Customer)

__all__ = ["CONTACT_RESULTS", "CONTACT_TYPES", "ContactNote", "Crm", "Customer", "MAX_NOTES"]


def _check_phone(number: object) -> None:
    """Customer numbers are stored exactly as the caller ID arrives (no normalisation yet):
    E.164 with or without "+", national numbers, extensions."""
    if not PHONE.is_valid(number):
        raise Invalid(f"{PHONE.name} {PHONE.problem(number)}")


_CUSTOMER_TEXT = {"name": MAX_DISPLAY_NAME, "company": MAX_DISPLAY_NAME, "tier": 32,
                  "owner": MAX_USERNAME, "notes": MAX_NOTES}


def _check_customer_fields(fields: Mapping[str, object]) -> None:
    """A customer's given fields: ``number`` and the free-text ones."""
    for field, value in fields.items():
        if field == "number":
            _check_phone(value)
        else:
            check_text(field, value, _CUSTOMER_TEXT[field])
    tier = fields.get("tier")
    if isinstance(tier, str) and tier.strip() != tier:
        raise Invalid("tier must not have outer spaces")


def _check_note_fields(agent: str, type: str, result: str, notes: str,
                       call_id: str | None) -> None:
    check_text("agent", agent, MAX_USERNAME, required=True)
    check_choice("type", type, CONTACT_TYPES)
    check_choice("result", result, CONTACT_RESULTS)
    check_text("notes", notes, MAX_NOTES)
    if call_id is not None:
        check_text("call_id", call_id, MAX_CALL_ID, required=True)


class Crm:
    """Customers and contact notes over the shared :class:`Database`."""

    def __init__(self, db: Database, users: Users) -> None:
        self._db = db
        self._users = users

    def _unknown_owner(self, owner: str | None) -> Invalid | None:
        """The error for an owner who is no user (raised by the caller at its turn)."""
        if owner and self._users.missing_users([owner]):
            return Invalid(f"owner {owner} is not a user")
        return None

    def create_customer(self, number: str, *, name: str = "", company: str = "",
                        tier: str = "", owner: str = "", notes: str = "") -> Customer:
        """Add a customer; raises :class:`Conflict` when the number is already someone's."""
        _check_customer_fields({"number": number, "name": name, "company": company,
                                "tier": tier, "owner": owner, "notes": notes})
        if error := self._unknown_owner(owner):
            raise error
        now = time.time()
        row = CustomerRow(number=number, name=name, company=company, tier=tier,
                          owner=owner, notes=notes, created_at=now, updated_at=now)
        return self._db.add(row, repo.to_customer,
                            f"customer with number {number} already exists")

    def get_customer(self, customer_id: int) -> Customer | None:
        with self._db.tx(write=False) as s:
            row = s.get(CustomerRow, customer_id)
            return repo.to_customer(row) if row else None

    def find_customer_by_number(self, number: str) -> Customer | None:
        """The customer with exactly this number (the screen pop); anything that is not a
        valid number simply matches nobody, since caller IDs can be "anonymous"."""
        with self._db.tx(write=False) as s:
            row = repo.customer_numbered(s, number)
            return repo.to_customer(row) if row else None

    def update_customer(self, customer_id: int, *, number: str | None = None,
                        name: str | None = None, company: str | None = None,
                        tier: str | None = None, owner: str | None = None,
                        notes: str | None = None) -> Customer:
        """Change the given fields (None leaves one as it is)."""
        fields = {k: v for k, v in (("number", number), ("name", name), ("company", company),
                                    ("tier", tier), ("owner", owner), ("notes", notes))
                  if v is not None}
        _check_customer_fields(fields)
        bad_owner = self._unknown_owner(owner)
        try:
            with self._db.tx() as s:
                row = s.get(CustomerRow, customer_id)
                if row is None:
                    raise NotFound(f"customer {customer_id} does not exist")
                if bad_owner:           # after NotFound: an unknown customer is a 404
                    raise bad_owner
                for key, value in fields.items():
                    setattr(row, key, value)
                row.updated_at = time.time()
                s.flush()
                return repo.to_customer(row)
        except IntegrityError:
            raise Conflict(f"customer with number {number} already exists") from None

    def add_contact_note(self, customer_id: int, *, agent: str, type: str, result: str,
                         notes: str = "", call_id: str | None = None) -> ContactNote:
        """Append a note to the customer's history; NotFound for an unknown customer."""
        _check_note_fields(agent, type, result, notes, call_id)
        with self._db.tx() as s:
            if s.get(CustomerRow, customer_id) is None:
                raise NotFound(f"customer {customer_id} does not exist")
            return repo.append_note(s, customer_id, agent, type, result, notes, call_id)

    def add_call_note(self, call_id: str, number: str, *, agent: str, type: str,
                      result: str, notes: str = "",
                      name: str = "") -> tuple[ContactNote, Customer, bool]:
        """The wrap-up form in one transaction: the customer with ``number`` (created with
        ``name`` when unknown) gets a note on the call.  Returns the note, the customer and
        whether the customer was created.

        All or nothing: an invalid note leaves no new customer behind, and two agents
        noting the same new number at once both end up on one customer.
        """
        _check_customer_fields({"number": number, "name": name})
        _check_note_fields(agent, type, result, notes, call_id)
        now = time.time()
        with self._db.tx() as s:
            created = repo.insert_customer_if_new(s, self._db.insert, number, name, now)
            row = repo.customer_numbered(s, number)
            assert row is not None  # inserted now or already there
            note = repo.append_note(s, row.id, agent, type, result, notes, call_id)
            return note, repo.to_customer(row), created

    def contact_history(self, customer_id: int, limit: int = 50) -> list[ContactNote]:
        """The customer's notes, newest first; NotFound for an unknown customer (an empty
        list would not tell "no history" from "wrong id")."""
        if limit < 1:
            raise Invalid("limit must be >= 1")
        with self._db.tx(write=False) as s:
            if s.get(CustomerRow, customer_id) is None:
                raise NotFound(f"customer {customer_id} does not exist")
            return repo.history(s, customer_id, limit)
