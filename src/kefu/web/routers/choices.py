"""``GET /choices``: every choice list a screen offers, read from where each is defined.

The desk and wallboard fill their pickers from here instead of copying the lists, so a
pause reason added to ``acd.pause_reasons`` reaches every agent's desk on the next load.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from kefu.crm.service import CONTACT_RESULTS
from kefu.acd.agents import AgentState
from kefu.calls.call import Disposition
from kefu.users.service import ROLES, User

from ..deps import CtxDep, current_user

router = APIRouter(tags=["choices"])


class NoteType(BaseModel):
    name: str
    label_zh: str
    label_en: str
    required: list[str] = Field(description="note fields an agent must fill for this type")


class Choices(BaseModel):
    pause_reasons: list[str] = Field(description="not-ready reasons agents pick "
                                                 "(config acd.pause_reasons)")
    contact_types: list[str] = Field(description="a contact note's type (wrap-up form; "
                                                 "config crm.note_types)")
    note_types: list[NoteType] = Field(description="the note types with their labels and "
                                                   "required fields (config crm.note_types)")
    note_handlings: list[str] = Field(description="how a contact was handled (处理方式; "
                                                  "config crm.handlings)")
    contact_results: list[str] = Field(description="a contact note's result (wrap-up form)")
    roles: list[str] = Field(description="a user's role")
    agent_states: list[str] = Field(description="an agent's state")
    dispositions: list[str] = Field(description="how a call ended (call records)")


@router.get("/choices", response_model=Choices, summary="Choice lists for the screens")
def choices(ctx: CtxDep, _: Annotated[User, Depends(current_user)]) -> Choices:
    """Any logged-in user; the values are the API's, labels are the screen's business."""
    return Choices(pause_reasons=list(ctx.settings.acd.pause_reasons),
                   contact_types=[t.name for t in ctx.settings.crm.note_types],
                   note_types=[NoteType(**t.model_dump()) for t in ctx.settings.crm.note_types],
                   note_handlings=list(ctx.settings.crm.handlings),
                   contact_results=list(CONTACT_RESULTS),
                   roles=list(ROLES), agent_states=[s.value for s in AgentState],
                   dispositions=[d.value for d in Disposition])
