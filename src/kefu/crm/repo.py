"""The CRM slice's queries: each takes the caller's session, so the service decides what
one transaction holds."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import Select, delete, exists, func, or_, select, tuple_, update
from sqlalchemy.orm import Session

from kefu.store.models import CallRow

from .models import (ContactNoteRow, CrmAuditRow, CustomerEmailRow, CustomerNumberRow,
                     CustomerRow, CustomerTagRow, FieldRow, TimelineRow)
from .phones import Phone
from .records import AuditEntry, ContactNote, Customer, CustomerPhone, FieldDef, TimelineEntry

_ROW_FIELDS = ("id", "name", "company", "tier", "owner", "notes", "created_at", "updated_at",
               "birthday", "address")


def to_customers(s: Session, rows: Sequence[CustomerRow]) -> list[Customer]:
    """The records of ``rows``, with their numbers, e-mails and tags (three queries for
    the lot, whatever their count)."""
    ids = [r.id for r in rows]
    numbers: dict[int, list[CustomerPhone]] = defaultdict(list)
    emails: dict[int, list[str]] = defaultdict(list)
    tags: dict[int, list[str]] = defaultdict(list)
    if ids:
        for cid, number, extension, label in s.execute(
                select(CustomerNumberRow.customer_id, CustomerNumberRow.number,
                       CustomerNumberRow.extension, CustomerNumberRow.label)
                .where(CustomerNumberRow.customer_id.in_(ids))
                .order_by(CustomerNumberRow.position, CustomerNumberRow.id)):
            numbers[cid].append(CustomerPhone(number, extension, label))
        for cid, email in s.execute(
                select(CustomerEmailRow.customer_id, CustomerEmailRow.email)
                .where(CustomerEmailRow.customer_id.in_(ids))
                .order_by(CustomerEmailRow.position, CustomerEmailRow.id)):
            emails[cid].append(email)
        for cid, tag in s.execute(
                select(CustomerTagRow.customer_id, CustomerTagRow.tag)
                .where(CustomerTagRow.customer_id.in_(ids)).order_by(CustomerTagRow.tag)):
            tags[cid].append(tag)
    return [Customer(**{name: getattr(r, name) for name in _ROW_FIELDS},
                     fields=dict(r.fields or {}), numbers=tuple(p.number for p in numbers[r.id]),
                     phones=tuple(numbers[r.id]), emails=tuple(emails[r.id]), tags=tuple(tags[r.id])) for r in rows]


def to_customer(s: Session, row: CustomerRow) -> Customer:
    return to_customers(s, [row])[0]


def to_note(row: ContactNoteRow, survey_score: int | None = None) -> ContactNote:
    return ContactNote(**{name: getattr(row, name) for name in ContactNote.__dataclass_fields__
                          if name != "survey_score"}, survey_score=survey_score)


def customers_numbered(s: Session, number: str) -> list[CustomerRow]:
    """The customers with ``number`` (already in the one spelling), oldest first."""
    return list(s.scalars(select(CustomerRow)
                          .join(CustomerNumberRow, CustomerNumberRow.customer_id == CustomerRow.id)
                          .where(CustomerNumberRow.number == number)
                          .order_by(CustomerRow.id)))


def set_numbers(s: Session, customer_id: int, phones: Iterable[tuple[Phone, str]]) -> None:
    """Replace the customer's numbers by ``phones`` ((number, label) pairs, main first)."""
    s.execute(delete(CustomerNumberRow).where(CustomerNumberRow.customer_id == customer_id))
    seen: set[str] = set()
    for position, (phone, label) in enumerate(phones):
        if phone.number not in seen:
            seen.add(phone.number)
            s.add(CustomerNumberRow(customer_id=customer_id, number=phone.number,
                                    extension=phone.extension, label=label,
                                    position=position))


def set_emails(s: Session, customer_id: int, emails: Iterable[str]) -> None:
    s.execute(delete(CustomerEmailRow).where(CustomerEmailRow.customer_id == customer_id))
    for position, email in enumerate(dict.fromkeys(emails)):
        s.add(CustomerEmailRow(customer_id=customer_id, email=email, position=position))


def set_tags(s: Session, customer_id: int, tags: Iterable[str]) -> None:
    s.execute(delete(CustomerTagRow).where(CustomerTagRow.customer_id == customer_id))
    for tag in dict.fromkeys(tags):
        s.add(CustomerTagRow(customer_id=customer_id, tag=tag))


def insert_customer(s: Session, name: str, now: float, **fields: object) -> CustomerRow:
    values: dict[str, object] = {"company": "", "tier": "", "owner": "", "notes": "",
                                 "address": "", "birthday": None, "fields": {}}
    values.update(fields)
    row = CustomerRow(name=name, created_at=now, updated_at=now, **values)
    s.add(row)
    s.flush()
    return row


def append_note(s: Session, customer_id: int, agent: str, type: str, result: str,
                notes: str, call_id: str | None, handling: str = "",
                queue: str = "") -> ContactNote:
    row = ContactNoteRow(customer_id=customer_id, call_id=call_id, agent=agent, type=type,
                         result=result, notes=notes, handling=handling, queue=queue,
                         created_at=time.time())
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


def to_entry(row: TimelineRow) -> TimelineEntry:
    return TimelineEntry(id=row.id, customer_id=row.customer_id, at=row.at, kind=row.kind,
                         ref=row.ref, agent=row.agent, summary=row.summary,
                         data=dict(row.data or {}))


def add_entry(s: Session, entry: TimelineEntry) -> TimelineEntry:
    row = TimelineRow(customer_id=entry.customer_id, at=entry.at, kind=entry.kind,
                      ref=entry.ref, agent=entry.agent, summary=entry.summary,
                      data=dict(entry.data))
    s.add(row)
    s.flush()
    return to_entry(row)


def timeline(s: Session, customer_id: int, kinds: Sequence[str] | None,
             before: tuple[float, int] | None, limit: int) -> list[TimelineEntry]:
    """A page of the customer's timeline, newest first; ``before`` is the (at, id) of the
    last entry of the page before (keyset paging: every page costs the same)."""
    q = select(TimelineRow).where(TimelineRow.customer_id == customer_id)
    if kinds:
        q = q.where(TimelineRow.kind.in_(kinds))
    if before is not None:
        q = q.where(tuple_(TimelineRow.at, TimelineRow.id) < tuple_(*before))
    q = q.order_by(TimelineRow.at.desc(), TimelineRow.id.desc()).limit(limit)
    return [to_entry(r) for r in s.scalars(q)]


# --- custom fields ----------------------------------------------------------------------

def to_field(row: FieldRow) -> FieldDef:
    return FieldDef(id=row.id, name=row.name, label=row.label, kind=row.kind,
                    choices=tuple(row.choices or ()), required=row.required,
                    position=row.position, created_at=row.created_at)


def field_defs(s: Session) -> list[FieldDef]:
    return [to_field(r) for r in s.scalars(select(FieldRow).order_by(FieldRow.position,
                                                                      FieldRow.id))]


# --- search -----------------------------------------------------------------------------

def _like(text: str) -> str:
    """``text`` inside a LIKE pattern, its wildcards taken literally (escape ``\\``)."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search_query(q: str, number: str | None, *, tag: str | None = None,
                 tier: str | None = None, owner: str | None = None,
                 company: str | None = None) -> Select:
    """The customers matching the search: ``q`` in the name or company, a number
    (``number``: q in the one spelling, when it reads as one; else q's digits inside a
    number) or an e-mail; the filters exact."""
    query = select(CustomerRow)
    if q:
        pattern = _like(q.lower())
        digits = "".join(ch for ch in q if ch.isdigit())
        matches = [func.lower(CustomerRow.name).like(pattern, escape="\\"),
                   func.lower(CustomerRow.company).like(pattern, escape="\\"),
                   exists().where(CustomerEmailRow.customer_id == CustomerRow.id,
                                  CustomerEmailRow.email.like(pattern, escape="\\"))]
        if number is not None:
            matches.append(exists().where(CustomerNumberRow.customer_id == CustomerRow.id,
                                          CustomerNumberRow.number == number))
        if len(digits) >= 4 and digits == q.strip().lstrip("+"):
            matches.append(exists().where(CustomerNumberRow.customer_id == CustomerRow.id,
                                          CustomerNumberRow.number.like(_like(digits),
                                                                        escape="\\")))
        query = query.where(or_(*matches))
    if tag:
        query = query.where(exists().where(CustomerTagRow.customer_id == CustomerRow.id,
                                           CustomerTagRow.tag == tag))
    for column, value in ((CustomerRow.tier, tier), (CustomerRow.owner, owner),
                          (CustomerRow.company, company)):
        if value is not None:
            query = query.where(column == value)
    return query


def search(s: Session, query: Select, offset: int, limit: int) -> tuple[list[Customer], int]:
    total = s.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(s.scalars(query.order_by(CustomerRow.id).offset(offset).limit(limit)))
    return to_customers(s, rows), total


# --- history, delete, merge -------------------------------------------------------------

def has_history(s: Session, customer_id: int) -> bool:
    return bool(s.scalar(select(exists().where(ContactNoteRow.customer_id == customer_id)))
                or s.scalar(select(exists().where(TimelineRow.customer_id == customer_id))))


def delete_customers(s: Session, ids: Sequence[int]) -> None:
    """The customers and everything of theirs this slice keeps."""
    for table in (ContactNoteRow, TimelineRow, CustomerNumberRow, CustomerEmailRow,
                  CustomerTagRow):
        s.execute(delete(table).where(table.customer_id.in_(ids)))
    s.execute(delete(CustomerRow).where(CustomerRow.id.in_(ids)))


def move_history(s: Session, ids: Sequence[int], into: int) -> None:
    """The notes and timeline lines of ``ids`` become ``into``'s."""
    for table in (ContactNoteRow, TimelineRow):
        s.execute(update(table).where(table.customer_id.in_(ids)).values(customer_id=into))


# --- audit ------------------------------------------------------------------------------

def add_audit(s: Session, username: str, action: str, customer_id: int | None,
              detail: dict) -> None:
    s.add(CrmAuditRow(at=time.time(), username=username, action=action,
                      customer_id=customer_id, detail=detail))


def audit_log(s: Session, action: str | None, since: float | None, until: float | None,
              offset: int, limit: int) -> list[AuditEntry]:
    q = select(CrmAuditRow)
    if action is not None:
        q = q.where(CrmAuditRow.action == action)
    if since is not None:
        q = q.where(CrmAuditRow.at >= since)
    if until is not None:
        q = q.where(CrmAuditRow.at < until)
    q = q.order_by(CrmAuditRow.at.desc(), CrmAuditRow.id.desc()).offset(offset).limit(limit)
    return [AuditEntry(id=r.id, at=r.at, username=r.username, action=r.action,
                       customer_id=r.customer_id, detail=dict(r.detail or {}))
            for r in s.scalars(q)]
