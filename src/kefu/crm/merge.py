"""Merging customers into one: the survivor takes the others' numbers, e-mails and tags,
and the fields it has empty; the others' history moves to it.  Runs inside the caller's
transaction (the service adds the other slices' hooks, the deletion and the audit)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict

from sqlalchemy.orm import Session

from . import repo
from .models import CustomerRow
from .phones import Phone
from .records import Customer

_FILLED = ("name", "company", "tier", "owner", "notes", "birthday", "address")


def snapshot(c: Customer) -> dict:
    """What the audit keeps of a customer who goes away (JSON)."""
    data = asdict(c)
    data.pop("phones")
    return {**data, "phones": [asdict(p) for p in c.phones]}


def absorb(s: Session, into: CustomerRow, merged: Sequence[CustomerRow]) -> list[Customer]:
    """Give ``into`` what ``merged`` have; returns the merged customers as they were."""
    survivor = repo.to_customer(s, into)
    gone = repo.to_customers(s, list(merged))
    phones = [(Phone(p.number, p.extension), p.label)
              for c in (survivor, *gone) for p in c.phones]
    repo.set_numbers(s, into.id, phones)
    repo.set_emails(s, into.id, [e for c in (survivor, *gone) for e in c.emails])
    repo.set_tags(s, into.id, [t for c in (survivor, *gone) for t in c.tags])
    for c in gone:
        for column in _FILLED:
            if not getattr(into, column) and getattr(c, column):
                setattr(into, column, getattr(c, column))
    fields = dict(into.fields or {})
    for c in gone:
        for name, value in c.fields.items():
            if fields.get(name) in (None, "") and value not in (None, ""):
                fields[name] = value
    into.fields = fields
    repo.move_history(s, [c.id for c in gone], into.id)
    return gone
