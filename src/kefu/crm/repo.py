"""The CRM slice's queries: each takes the caller's session, so the service decides what
one transaction holds."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kefu.store.models import CallRow

from .models import ContactNoteRow, CustomerRow
from .records import ContactNote, Customer


def to_customer(row: CustomerRow) -> Customer:
    return Customer(**{name: getattr(row, name) for name in Customer.__dataclass_fields__})


def to_note(row: ContactNoteRow, survey_score: int | None = None) -> ContactNote:
    return ContactNote(**{name: getattr(row, name) for name in ContactNote.__dataclass_fields__
                          if name != "survey_score"}, survey_score=survey_score)


def customer_numbered(s: Session, number: str) -> CustomerRow | None:
    return s.scalar(select(CustomerRow).where(CustomerRow.number == number))


def insert_customer_if_new(s: Session, insert: Any, number: str, name: str,
                           now: float) -> bool:
    """Insert a bare customer unless one has ``number`` (two agents at once end up on
    one); True when inserted.  ``insert`` is the dialect's INSERT (``Database.insert``)."""
    inserted = s.execute(
        insert(CustomerRow.__table__).values(
            number=number, name=name, company="", tier="", owner="", notes="",
            created_at=now, updated_at=now,
        ).on_conflict_do_nothing(index_elements=["number"])
        .returning(CustomerRow.__table__.c.id)).first()
    return inserted is not None


def append_note(s: Session, customer_id: int, agent: str, type: str, result: str,
                notes: str, call_id: str | None) -> ContactNote:
    row = ContactNoteRow(customer_id=customer_id, call_id=call_id, agent=agent, type=type,
                         result=result, notes=notes, created_at=time.time())
    s.add(row)
    s.flush()
    return to_note(row)


def history(s: Session, customer_id: int, limit: int) -> list[ContactNote]:
    """Newest first, each note with its call's survey score (the CDR's, when there is one)."""
    rows = s.execute(select(ContactNoteRow, CallRow.survey_score)
                     .outerjoin(CallRow, CallRow.call_id == ContactNoteRow.call_id)
                     .where(ContactNoteRow.customer_id == customer_id)
                     .order_by(ContactNoteRow.created_at.desc(), ContactNoteRow.id.desc())
                     .limit(limit))
    return [to_note(row, score) for row, score in rows]
