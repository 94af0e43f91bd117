"""The follow-ups API's bodies and answers (the contract in docs: FollowUp)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from .records import MAX_NOTE, FollowUp

Time = Annotated[float, Field(gt=0, lt=1e11, allow_inf_nan=False,
                              description="epoch seconds")]
Number = Annotated[str, Field(min_length=1, max_length=64)]
Username = Annotated[str, Field(max_length=64)]
Group = Annotated[str, Field(max_length=64, description="a queue name, or empty")]
Note = Annotated[str, Field(max_length=MAX_NOTE)]
Kind = Literal["callback", "visit"]
Outcome = Literal["reached", "no_answer", "busy", "wrong_number", "refused", "other"]


class FollowUpIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Kind
    number: Number
    due_at: Time
    customer_id: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None
    assignee: Username | None = Field(None, description="default: an agent themselves "
                                                        "unless a group is given")
    group: Group = ""
    note: Note = ""
    ticket_id: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None


class FollowUpPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    due_at: Time | None = None
    assignee: Username | None = None
    group: Group | None = None
    note: Note | None = None
    call_id: Annotated[str, Field(min_length=1, max_length=128)] | None = None


class OutcomeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Outcome
    note: Note = ""
    reschedule_at: Time | None = Field(None, description="when to call again (no answer, "
                                                         "busy, other)")


class FollowUpOut(BaseModel):
    id: int
    kind: str
    customer_id: int | None
    customer_name: str
    number: str
    due_at: float
    assignee: str
    group: str
    state: str
    attempts: int
    max_attempts: int
    outcome: str
    note: str
    ticket_id: int | None
    call_id: str | None
    created_by: str
    created_at: float
    updated_at: float
    overdue: bool

    @classmethod
    def of(cls, f: FollowUp) -> FollowUpOut:
        return cls.model_validate(f, from_attributes=True)


class FollowUpPage(BaseModel):
    items: list[FollowUpOut]
    total: int


class StartOut(BaseModel):
    followup: FollowUpOut
    number: str = Field(description="the number to dial (POST /live-calls)")
