"""Customers and their contact history: the agent desktop's screen pop and wrap-up form.

Agents, supervisors and admins read and write; QA reads.  The minimal CRM: a customer is
found by the exact caller number (no normalisation yet), and the wrap-up note
(``POST /calls/{call_id}/notes``) creates the customer when the number is new, so an agent
never has to fill two forms after a call.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, status

from kefu.users.service import User
from kefu.web.deps import MAX_INT, CrmDep, RecordingsForDep, require_roles

from .schemas import (CallNoteIn, CallNoteOut, CustomerIn, CustomerOut, CustomerPatch, NoteOut,
                      NoteStatOut, TimelineCursor, TimelineItem, TimelinePage)

router = APIRouter(tags=["customers"])

Reader = Annotated[User, Depends(require_roles("admin", "supervisor", "agent", "qa"))]
Writer = Annotated[User, Depends(require_roles("admin", "supervisor", "agent"))]
CustomerId = Annotated[int, Path(ge=1, le=MAX_INT)]

def _not_found(customer_id: int) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"customer {customer_id} does not exist")


@router.get("/customers", response_model=list[CustomerOut],
            summary="Screen pop: the customers with this number in any spelling (empty when unknown)")
def find_customers(crm: CrmDep, _user: Reader,
                   number: Annotated[str, Query(min_length=1, max_length=64)]
                   ) -> list[CustomerOut]:
    return [CustomerOut.of(c) for c in crm.find_customers(number)]


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
