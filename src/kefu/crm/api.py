"""Customers: the screen pop, search, create and change, custom fields, duplicates and
merge, delete, import and export, the CRM audit; the wrap-up form's call notes.

Readers: admins, supervisors, agents, QA; writers: admins, supervisors, agents.  Bulk
and destructive work (merge, delete, import, export) is for admins and supervisors;
forcing a delete, the custom field definitions and the audit are for admins.  The static
routes (``/customers/search`` …) come before ``/customers/{customer_id}``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response, UploadFile, status
from pydantic import BaseModel

from kefu.users.service import User
from kefu.web.deps import MAX_INT, CrmDep, RecordingsForDep, require_roles

from .schemas import (AuditOut, CallNoteIn, CallNoteOut, CustomerIn, CustomerOut,
                      CustomerPage, CustomerPatch, DuplicateGroupOut, DuplicateOut, FieldIn,
                      FieldOut, ImportOut, ImportStarted, MergeIn, NoteOut, NoteStatOut,
                      TimelineCursor, TimelineItem, TimelinePage)
from .transfer import errors_csv

router = APIRouter(tags=["customers"])

Reader = Annotated[User, Depends(require_roles("admin", "supervisor", "agent", "qa"))]
Writer = Annotated[User, Depends(require_roles("admin", "supervisor", "agent"))]
Manager = Annotated[User, Depends(require_roles("admin", "supervisor"))]
Admin = Annotated[User, Depends(require_roles("admin"))]
CustomerId = Annotated[int, Path(ge=1, le=MAX_INT)]
FieldId = Annotated[int, Path(ge=1, le=MAX_INT)]
JobId = Annotated[int, Path(ge=1, le=MAX_INT)]

def _not_found(customer_id: int) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"customer {customer_id} does not exist")


@router.get("/customers", response_model=list[CustomerOut],
            summary="Screen pop: the customers with this number in any spelling (empty when unknown)")
def find_customers(crm: CrmDep, _user: Reader,
                   number: Annotated[str, Query(min_length=1, max_length=64)]
                   ) -> list[CustomerOut]:
    return [CustomerOut.of(c) for c in crm.find_customers(number)]


class Filters(BaseModel):
    """The search's filters (q: a name or company, prefix or inside; a number in any
    spelling; an e-mail)."""

    q: str = ""
    tag: str | None = None
    tier: str | None = None
    owner: str | None = None
    company: str | None = None


def _filters(q: Annotated[str, Query(max_length=128)] = "",
             tag: Annotated[str | None, Query(max_length=64)] = None,
             tier: Annotated[str | None, Query(max_length=32)] = None,
             owner: Annotated[str | None, Query(max_length=64)] = None,
             company: Annotated[str | None, Query(max_length=128)] = None) -> Filters:
    return Filters(q=q, tag=tag, tier=tier, owner=owner, company=company)


SearchFilters = Annotated[Filters, Depends(_filters)]


@router.get("/customers/search", response_model=CustomerPage,
            summary="Find customers by name, company, number or e-mail, and filters")
def search_customers(crm: CrmDep, _user: Reader, filters: SearchFilters,
                     limit: Annotated[int, Query(ge=1, le=1000)] = 50,
                     offset: Annotated[int, Query(ge=0, le=MAX_INT)] = 0) -> CustomerPage:
    items, total = crm.search_customers(**filters.model_dump(), offset=offset, limit=limit)
    return CustomerPage(items=[CustomerOut.of(c) for c in items], total=total)


@router.get("/customers/duplicates", response_model=list[DuplicateGroupOut],
            summary="Groups of customers who may be one (shared number or e-mail, a similar "
                    "name in one company)")
def duplicate_groups(crm: CrmDep, _user: Reader,
                     limit: Annotated[int, Query(ge=1, le=1000)] = 50
                     ) -> list[DuplicateGroupOut]:
    return [DuplicateGroupOut(customers=[CustomerOut.of(c) for c in group],
                              reasons=list(reasons))  # type: ignore[arg-type]
            for group, reasons in crm.duplicate_groups(limit)]


@router.post("/customers/merge", response_model=CustomerOut,
             summary="Merge customers into one (numbers, e-mails, tags, history, linked "
                     "records); the merged ones are deleted")
def merge_customers(body: MergeIn, crm: CrmDep, user: Manager) -> CustomerOut:
    return CustomerOut.of(crm.merge_customers(body.into, body.merge, user.username))


_FILE_TYPES = {"csv": "text/csv; charset=utf-8",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@router.get("/customers/export", response_class=Response,
            summary="The matching customers as CSV or .xlsx (audited)",
            responses={200: {"content": {t: {} for t in _FILE_TYPES.values()}}})
def export_customers(crm: CrmDep, user: Manager, filters: SearchFilters,
                     format: Literal["csv", "xlsx"] = "csv") -> Response:
    data, _count = crm.export(user.username, format, **filters.model_dump())
    day = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d")
    return Response(data, media_type=_FILE_TYPES[format], headers={
        "Content-Disposition": f'attachment; filename="customers-{day}.{format}"'})


@router.post("/customers/import", response_model=ImportStarted,
             status_code=status.HTTP_202_ACCEPTED,
             summary="Import customers from a CSV (UTF-8) or .xlsx file; runs in the "
                     "background (GET /customers/import/{job})")
def import_customers(file: UploadFile, crm: CrmDep, user: Manager) -> ImportStarted:
    limit = crm.settings.import_max_bytes
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE,
                            f"the file is larger than {limit} bytes")
    return ImportStarted(job_id=crm.start_import(user.username, file.filename or "", data))


@router.get("/customers/import/{job_id}", response_model=ImportOut,
            summary="An import's progress and its rows' errors")
def import_job(job_id: JobId, crm: CrmDep, _user: Manager) -> ImportOut:
    return ImportOut.of(crm.import_job(job_id))


@router.get("/customers/import/{job_id}/errors.csv", response_class=Response,
            summary="An import's rows' errors as CSV",
            responses={200: {"content": {"text/csv": {}}}})
def import_errors(job_id: JobId, crm: CrmDep, _user: Manager) -> Response:
    job = crm.import_job(job_id)
    data = errors_csv((e.row, e.column, e.message) for e in job.errors)
    return Response(data, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="import-{job_id}-errors.csv"'})


@router.post("/customers", response_model=CustomerOut, status_code=status.HTTP_201_CREATED)
def create_customer(body: CustomerIn, crm: CrmDep, _user: Writer) -> CustomerOut:
    return CustomerOut.of(crm.create_customer(**body.model_dump()))


@router.get("/customers/{customer_id}", response_model=CustomerOut)
def get_customer(customer_id: CustomerId, crm: CrmDep, _user: Reader) -> CustomerOut:
    customer = crm.get_customer(customer_id)
    if customer is None:
        raise _not_found(customer_id)
    return CustomerOut.of(customer)


@router.patch("/customers/{customer_id}", response_model=CustomerOut)
def update_customer(customer_id: CustomerId, body: CustomerPatch, crm: CrmDep,
                    _user: Writer) -> CustomerOut:
    fields = body.model_dump(exclude_unset=True, exclude_none=True)
    if not fields:
        customer = crm.get_customer(customer_id)
        if customer is None:
            raise _not_found(customer_id)
        return CustomerOut.of(customer)
    return CustomerOut.of(crm.update_customer(customer_id, **fields))


@router.delete("/customers/{customer_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Delete a customer; refused (409) while it has history unless "
                       "force=true (admins)")
def delete_customer(customer_id: CustomerId, crm: CrmDep, user: Manager,
                    force: bool = False) -> Response:
    if force and user.role != "admin":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only an admin may force a delete")
    crm.delete_customer(customer_id, user.username, force=force)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/customers/{customer_id}/duplicates", response_model=list[DuplicateOut],
            summary="The customers who may be this one, and why")
def customer_duplicates(customer_id: CustomerId, crm: CrmDep,
                        _user: Reader) -> list[DuplicateOut]:
    return [DuplicateOut(customer=CustomerOut.of(d.customer),
                         reasons=list(d.reasons))  # type: ignore[arg-type]
            for d in crm.duplicates_of(customer_id)]


# --- custom fields (admins write, everyone reads) and the audit (admins) ------------------

@router.get("/crm/fields", response_model=list[FieldOut], summary="The custom fields")
def list_fields(crm: CrmDep, _user: Reader) -> list[FieldOut]:
    return [FieldOut.of(d) for d in crm.field_defs()]


@router.post("/crm/fields", response_model=FieldOut, status_code=status.HTTP_201_CREATED)
def create_field(body: FieldIn, crm: CrmDep, _user: Admin) -> FieldOut:
    return FieldOut.of(crm.create_field(**body.model_dump()))


@router.put("/crm/fields/{field_id}", response_model=FieldOut,
            summary="Replace a custom field's definition (its name cannot change)")
def update_field(field_id: FieldId, body: FieldIn, crm: CrmDep, _user: Admin) -> FieldOut:
    return FieldOut.of(crm.update_field(field_id, **body.model_dump()))


@router.delete("/crm/fields/{field_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_field(field_id: FieldId, crm: CrmDep, _user: Admin) -> Response:
    crm.delete_field(field_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/crm/audit", response_model=list[AuditOut],
            summary="Who exported, imported, merged or deleted customers (newest first)")
def audit(crm: CrmDep, _user: Admin,
          action: Literal["export", "import", "merge", "delete"] | None = None,
          since: Annotated[float | None, Query(ge=0)] = None,
          until: Annotated[float | None, Query(ge=0)] = None,
          offset: Annotated[int, Query(ge=0, le=MAX_INT)] = 0,
          limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[AuditOut]:
    return [AuditOut.of(e) for e in crm.audit_log(action, since, until, offset, limit)]


@router.get("/customers/{customer_id}/history", response_model=list[NoteOut],
            summary="Contact history, newest first")
def customer_history(customer_id: CustomerId, crm: CrmDep, _user: Reader,
                     limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[NoteOut]:
    return [NoteOut.of(n) for n in crm.contact_history(customer_id, limit)]


@router.post("/calls/{call_id}/notes", response_model=CallNoteOut,
             status_code=status.HTTP_201_CREATED,
             summary="Wrap-up note on a call; creates the customer when the number is new")
def add_call_note(call_id: Annotated[str, Path(min_length=1, max_length=128)],
                  body: CallNoteIn, crm: CrmDep, user: Writer) -> CallNoteOut:
    note, customer, created = crm.add_call_note(
        call_id, body.number, agent=user.username, type=body.type, result=body.result,
        notes=body.notes, name=body.name or "", handling=body.handling,
        queue=body.queue)
    return CallNoteOut(note=NoteOut.of(note), customer=CustomerOut.of(customer),
                       customer_created=created)


# --- the one history and note statistics (desk) ---------------------------------------------
Staff = Annotated[User, Depends(require_roles("admin", "supervisor"))]


@router.get("/customers/{customer_id}/timeline", response_model=TimelinePage,
            summary="The customer's one history (calls, notes, tickets, voicemails, surveys, "
                    "follow-ups), newest first, a page at a time")
def customer_timeline(
        customer_id: CustomerId, crm: CrmDep, user: Reader, recordings_for: RecordingsForDep,
        kinds: Annotated[str | None, Query(max_length=200, description="comma-separated: "
                                           "call,note,ticket,…; none: every kind")] = None,
        before_at: Annotated[float | None, Query(ge=0)] = None,
        before_id: Annotated[int | None, Query(ge=0, le=2**63 - 1)] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50) -> TimelinePage:
    if (before_at is None) != (before_id is None):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            "before_at and before_id go together")
    wanted = [k for k in (kinds or "").split(",") if k.strip()] or None
    before = (before_at, before_id) if before_at is not None and before_id is not None else None
    # one more than asked: whether an older page exists, without a count
    entries = crm.timeline(customer_id, kinds=[k.strip() for k in wanted] if wanted else None,
                           before=before, limit=limit + 1)
    page, more = entries[:limit], len(entries) > limit
    calls = sorted({e.ref for e in page if e.kind == "call"})
    playable = recordings_for(calls, user.username, user.role) if calls else {}
    scores = crm.survey_scores(calls) if calls else {}
    last = page[-1] if page else None
    return TimelinePage(
        items=[TimelineItem.of(e, playable.get(e.ref), scores.get(e.ref)) if e.kind == "call"
               else TimelineItem.of(e) for e in page],
        next=TimelineCursor(before_at=last.at, before_id=last.id or 0) if more and last
        else None)


@router.get("/crm/notes/stats", response_model=list[NoteStatOut],
            summary="统计分析: call notes per type, agent, queue, day, week or month")
def note_stats(crm: CrmDep, _user: Staff,
               by: Annotated[Literal["type", "agent", "queue", "day", "week", "month"],
                             Query()] = "type",
               since: Annotated[float | None, Query(ge=0)] = None,
               until: Annotated[float | None, Query(ge=0)] = None) -> list[NoteStatOut]:
    return [NoteStatOut(key=r.key, total=r.total, types=r.types)
            for r in crm.note_stats(by, since, until)]
