"""Follow-ups (回访, 回电): callbacks and return visits, for agents, supervisors and admins.

What each caller sees is the service's rule (their own and their groups'); one they do not
see is a 404, a change they may not make a 403.  Starting one returns the number the page
dials next through ``POST /live-calls``; it reports the call with ``PATCH {call_id}``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Path, Query, status

from kefu.users.service import User
from kefu.web.deps import MAX_INT, FollowupsDep, require_roles

from .records import Refused
from .schemas import (FollowUpIn, FollowUpOut, FollowUpPage, FollowUpPatch, OutcomeIn,
                      StartOut)
router = APIRouter(prefix="/followups", tags=["followups"])

Staff = Annotated[User, Depends(require_roles("agent", "supervisor", "admin"))]
Id = Annotated[int, Path(ge=1, le=MAX_INT)]
T = TypeVar("T")


Service = FollowupsDep


def _refused(do: Callable[[], T]) -> T:
    """The service's :class:`Refused` as a 403 with its reason."""
    try:
        return do()
    except Refused as e:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(e)) from None


@router.get("", response_model=FollowUpPage,
            summary="Follow-ups the caller sees, soonest due first (mine: assigned to me)")
def list_followups(service: Service, user: Staff,
                   mine: bool = False,
                   state: Literal["pending", "in_progress", "done", "failed",
                                  "cancelled"] | None = None,
                   kind: Literal["callback", "visit"] | None = None,
                   due_before: Annotated[float, Query(gt=0, lt=1e11)] | None = None,
                   group: Annotated[str, Query(max_length=64)] | None = None,
                   customer_id: Annotated[int, Query(ge=1, le=MAX_INT)] | None = None,
                   ticket_id: Annotated[int, Query(ge=1, le=MAX_INT)] | None = None,
                   limit: Annotated[int, Query(ge=1, le=500)] = 50,
                   offset: Annotated[int, Query(ge=0, le=MAX_INT)] = 0) -> FollowUpPage:
    items, total = _refused(lambda: service.find(
        user, mine=mine, state=state, kind=kind, due_before=due_before, group=group,
        customer_id=customer_id, ticket_id=ticket_id, limit=limit, offset=offset))
    return FollowUpPage(items=[FollowUpOut.of(f) for f in items], total=total)


@router.post("", response_model=FollowUpOut, status_code=status.HTTP_201_CREATED)
def create_followup(body: FollowUpIn, service: Service, user: Staff) -> FollowUpOut:
    return FollowUpOut.of(_refused(lambda: service.create(user, **body.model_dump())))


@router.get("/{followup_id}", response_model=FollowUpOut)
def get_followup(followup_id: Id, service: Service, user: Staff) -> FollowUpOut:
    return FollowUpOut.of(_refused(lambda: service.get(user, followup_id)))


@router.patch("/{followup_id}", response_model=FollowUpOut)
def update_followup(followup_id: Id, body: FollowUpPatch, service: Service,
                    user: Staff) -> FollowUpOut:
    fields = body.model_dump(exclude_unset=True, exclude_none=True)
    return FollowUpOut.of(_refused(lambda: service.update(user, followup_id, **fields)))


@router.post("/{followup_id}/start", response_model=StartOut,
             summary="An attempt begins: in progress, attempts + 1; dial `number` next")
def start_followup(followup_id: Id, service: Service, user: Staff) -> StartOut:
    f = _refused(lambda: service.start(user, followup_id))
    return StartOut(followup=FollowUpOut.of(f), number=f.number)


@router.post("/{followup_id}/outcome", response_model=FollowUpOut,
             summary="How the attempt ended: done, failed after the last one, or pending "
                     "again at reschedule_at")
def followup_outcome(followup_id: Id, body: OutcomeIn, service: Service,
                     user: Staff) -> FollowUpOut:
    return FollowUpOut.of(_refused(lambda: service.outcome(user, followup_id,
                                                           **body.model_dump())))


@router.post("/{followup_id}/cancel", response_model=FollowUpOut)
def cancel_followup(followup_id: Id, service: Service, user: Staff) -> FollowUpOut:
    return FollowUpOut.of(_refused(lambda: service.cancel(user, followup_id)))
