"""Customers and their contact history: the agent desktop's screen pop and wrap-up form.

Agents, supervisors and admins read and write; QA reads.  The minimal CRM: a customer is
found by the exact caller number (no normalisation yet), and the wrap-up note
(``POST /calls/{call_id}/notes``) creates the customer when the number is new, so an agent
never has to fill two forms after a call.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, status

from kefu.users.service import User
from kefu.web.deps import MAX_INT, CrmDep, require_roles

from .schemas import CallNoteIn, CallNoteOut, CustomerIn, CustomerOut, CustomerPatch, NoteOut

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
        notes=body.notes, name=body.name or "", handling=body.handling)
    return CallNoteOut(note=NoteOut.of(note), customer=CustomerOut.of(customer),
                       customer_created=created)
