"""Customers and their contact history: the agent desktop's screen pop and wrap-up form.

Agents, supervisors and admins read and write; QA reads.  The minimal CRM: a customer is
found by the exact caller number (no normalisation yet), and the wrap-up note
(``POST /calls/{call_id}/notes``) creates the customer when the number is new, so an agent
never has to fill two forms after a call.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, status
from pydantic import BaseModel, ConfigDict, Field

from kefu.store import ContactNote, Customer, User
from kefu.store.service import MAX_NOTES

from ..deps import MAX_INT, StoreDep, require_roles

router = APIRouter(tags=["customers"])

Reader = Annotated[User, Depends(require_roles("admin", "supervisor", "agent", "qa"))]
Writer = Annotated[User, Depends(require_roles("admin", "supervisor", "agent"))]

Number = Annotated[str, Field(pattern=r"^\+?[0-9]{2,31}$",
                              description="phone number as the caller ID shows it: 2-31 "
                                          "digits, optional leading +")]
Name = Annotated[str, Field(max_length=128)]
Tier = Annotated[str, Field(max_length=32, description='"" or a queue tier, e.g. "gold"')]
Owner = Annotated[str, Field(max_length=64, description='owning agent\'s username, or ""')]
Notes = Annotated[str, Field(max_length=MAX_NOTES)]
# The same choices as kefu.store.CONTACT_TYPES / CONTACT_RESULTS (a test keeps them equal);
# spelt out so OpenAPI shows them as an enum.
NoteType = Literal["inquiry", "complaint", "suggestion", "other"]
NoteResult = Literal["resolved", "follow_up", "escalated", "other"]
CustomerId = Annotated[int, Path(ge=1, le=MAX_INT)]


class CustomerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: Number
    name: Name = ""
    company: Name = ""
    tier: Tier = ""
    owner: Owner = ""
    notes: Notes = ""


class CustomerPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: Number | None = None
    name: Name | None = None
    company: Name | None = None
    tier: Tier | None = None
    owner: Owner | None = None
    notes: Notes | None = None


class CustomerOut(BaseModel):
    id: int
    number: str
    name: str
    company: str
    tier: str
    owner: str
    notes: str
    created_at: float
    updated_at: float

    @classmethod
    def of(cls, c: Customer) -> CustomerOut:
        return cls(id=c.id, number=c.number, name=c.name, company=c.company, tier=c.tier,
                   owner=c.owner, notes=c.notes, created_at=c.created_at,
                   updated_at=c.updated_at)


class NoteOut(BaseModel):
    id: int
    customer_id: int
    call_id: str | None
    agent: str
    type: str
    result: str
    notes: str
    created_at: float

    @classmethod
    def of(cls, n: ContactNote) -> NoteOut:
        return cls(id=n.id, customer_id=n.customer_id, call_id=n.call_id, agent=n.agent,
                   type=n.type, result=n.result, notes=n.notes, created_at=n.created_at)


class CallNoteIn(BaseModel):
    """The wrap-up form: who called, what it was about, how it ended."""

    model_config = ConfigDict(extra="forbid")
    number: Number
    type: NoteType
    result: NoteResult
    notes: Notes = ""
    name: Name | None = Field(None, description="the customer's name, used only when the "
                                                "number is new")


class CallNoteOut(BaseModel):
    note: NoteOut
    customer: CustomerOut
    customer_created: bool


def _not_found(customer_id: int) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"customer {customer_id} does not exist")


@router.get("/customers", response_model=list[CustomerOut],
            summary="Screen pop: the customer with this number (empty list when unknown)")
def find_customers(store: StoreDep, _user: Reader,
                   number: Annotated[str, Query(min_length=1, max_length=64)]
                   ) -> list[CustomerOut]:
    customer = store.find_customer_by_number(number)
    return [CustomerOut.of(customer)] if customer else []


@router.post("/customers", response_model=CustomerOut, status_code=status.HTTP_201_CREATED)
def create_customer(body: CustomerIn, store: StoreDep, _user: Writer) -> CustomerOut:
    return CustomerOut.of(store.create_customer(**body.model_dump()))


@router.get("/customers/{customer_id}", response_model=CustomerOut)
def get_customer(customer_id: CustomerId, store: StoreDep, _user: Reader) -> CustomerOut:
    customer = store.get_customer(customer_id)
    if customer is None:
        raise _not_found(customer_id)
    return CustomerOut.of(customer)


@router.patch("/customers/{customer_id}", response_model=CustomerOut)
def update_customer(customer_id: CustomerId, body: CustomerPatch, store: StoreDep,
                    _user: Writer) -> CustomerOut:
    fields = body.model_dump(exclude_unset=True, exclude_none=True)
    if not fields:
        customer = store.get_customer(customer_id)
        if customer is None:
            raise _not_found(customer_id)
        return CustomerOut.of(customer)
    return CustomerOut.of(store.update_customer(customer_id, **fields))


@router.get("/customers/{customer_id}/history", response_model=list[NoteOut],
            summary="Contact history, newest first")
def customer_history(customer_id: CustomerId, store: StoreDep, _user: Reader,
                     limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[NoteOut]:
    return [NoteOut.of(n) for n in store.contact_history(customer_id, limit)]


@router.post("/calls/{call_id}/notes", response_model=CallNoteOut,
             status_code=status.HTTP_201_CREATED,
             summary="Wrap-up note on a call; creates the customer when the number is new")
def add_call_note(call_id: Annotated[str, Path(min_length=1, max_length=128)],
                  body: CallNoteIn, store: StoreDep, user: Writer) -> CallNoteOut:
    note, customer, created = store.add_call_note(
        call_id, body.number, agent=user.username, type=body.type, result=body.result,
        notes=body.notes, name=body.name or "")
    return CallNoteOut(note=NoteOut.of(note), customer=CustomerOut.of(customer),
                       customer_created=created)
