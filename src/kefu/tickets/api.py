"""Tickets (工单) over HTTP: ticket types with their workflows (admins write, every staff
role reads), tickets, their transitions, comments, attachments and statistics.

Agents, supervisors and admins work tickets; each sees only what
``Tickets``' visibility rule lets them (a 403 with the reason otherwise).  A refused
transition is a 403 (role), 409 (not from this state) or 422 (a required field blank).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, HTTPException, Path, Query, UploadFile, status
from fastapi.responses import FileResponse

from kefu.users.service import User
from kefu.web.deps import MAX_INT, UPLOADED_FILE, TicketsDep, require_roles

from .records import Denied
from .schemas import (MAX_TIME, AttachmentOut, Priority, CommentIn, CommentOut, StatsOut, TicketDetailOut,
                      TicketIn, TicketOut, TicketPage, TicketPatch, TransitionIn, TypeIn,
                      TypeOut, TypeUpdate)

router = APIRouter(tags=["tickets"])

Reader = Annotated[User, Depends(require_roles("admin", "supervisor", "agent", "qa"))]
Worker = Annotated[User, Depends(require_roles("admin", "supervisor", "agent"))]
Lead = Annotated[User, Depends(require_roles("admin", "supervisor"))]
Admin = Annotated[User, Depends(require_roles("admin"))]
Id = Annotated[int, Path(ge=1, le=MAX_INT)]


@contextmanager
def _refusals() -> Iterator[None]:
    """The service's refusals as HTTP answers with their reasons."""
    try:
        yield
    except Denied as e:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(e)) from None


# --- types ----------------------------------------------------------------------------------
@router.get("/ticket-types", response_model=list[TypeOut])
def ticket_types(tickets: TicketsDep, _user: Reader) -> list[TypeOut]:
    return [TypeOut.of(t) for t in tickets.types()]


@router.post("/ticket-types", response_model=TypeOut, status_code=status.HTTP_201_CREATED)
def create_type(body: TypeIn, tickets: TicketsDep, _user: Admin) -> TypeOut:
    return TypeOut.of(tickets.create_type(body))


@router.put("/ticket-types/{type_id}", response_model=TypeOut,
            summary="Replace a type; state_map moves tickets out of states it drops")
def update_type(type_id: Id, body: TypeUpdate, tickets: TicketsDep, user: Admin) -> TypeOut:
    spec = TypeIn(**body.model_dump(exclude={"state_map"}))
    return TypeOut.of(tickets.update_type(type_id, spec, by=user.username,
                                          state_map=body.state_map))


# --- tickets --------------------------------------------------------------------------------
@router.get("/tickets", response_model=TicketPage,
            summary="The tickets the caller may see, filtered and sorted")
def list_tickets(
        tickets: TicketsDep, user: Worker,
        type: Annotated[str | None, Query(max_length=64)] = None,
        state: Annotated[str | None, Query(max_length=64)] = None,
        state_kind: Literal["open", "waiting", "closed"] | None = None,
        open: bool | None = None,
        assignee: Annotated[str | None, Query(max_length=64)] = None,
        group: Annotated[str | None, Query(max_length=64)] = None,
        customer_id: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None,
        breached: bool | None = None,
        priority: Priority | None = None,
        q: Annotated[str | None, Query(max_length=200)] = None,
        sort: Literal["created_at", "-created_at", "due", "-priority"] = "-created_at",
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0, le=MAX_INT)] = 0) -> TicketPage:
    with _refusals():
        items, total = tickets.list(user, type=type, state=state, state_kind=state_kind,
                                    open=open, assignee=assignee, group=group,
                                    customer_id=customer_id, breached=breached, q=q,
                                    sort=sort, limit=limit, offset=offset,
                                    priority=priority)
    return TicketPage(items=[TicketOut.of(t) for t in items], total=total)


@router.post("/tickets", response_model=TicketOut, status_code=status.HTTP_201_CREATED)
def create_ticket(body: TicketIn, tickets: TicketsDep, user: Worker) -> TicketOut:
    with _refusals():
        return TicketOut.of(tickets.create(user, **body.model_dump()))


@router.get("/tickets/stats", response_model=StatsOut,
            summary="Counts by type, state, group, agent; complaints by category and day")
def ticket_stats(tickets: TicketsDep, user: Lead,
                 since: Annotated[float | None, Query(ge=0, le=MAX_TIME)] = None,
                 until: Annotated[float | None, Query(ge=0, le=MAX_TIME)] = None,
                 type: Annotated[str | None, Query(max_length=64)] = None) -> StatsOut:
    with _refusals():
        s = tickets.stats(user, since=since, until=until, type=type)
    return StatsOut(**vars(s))


@router.get("/tickets/{ticket_id}", response_model=TicketDetailOut)
def get_ticket(ticket_id: Id, tickets: TicketsDep, user: Worker) -> TicketDetailOut:
    with _refusals():
        return TicketDetailOut.of_detail(tickets.get(user, ticket_id))


@router.patch("/tickets/{ticket_id}", response_model=TicketOut)
def update_ticket(ticket_id: Id, body: TicketPatch, tickets: TicketsDep,
                  user: Worker) -> TicketOut:
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items()
               if v is not None or k == "due_at"}
    with _refusals():
        return TicketOut.of(tickets.update(user, ticket_id, **changes))


@router.post("/tickets/{ticket_id}/transitions", response_model=TicketOut,
             summary="Take a transition (403 role, 409 state, 422 required fields)")
def take_transition(ticket_id: Id, body: TransitionIn, tickets: TicketsDep,
                    user: Worker) -> TicketOut:
    with _refusals():
        return TicketOut.of(tickets.transition(
            user, ticket_id, body.transition, fields=body.fields, assignee=body.assignee,
            group=body.group, comment=body.comment))


@router.post("/tickets/{ticket_id}/comments", response_model=CommentOut,
             status_code=status.HTTP_201_CREATED)
def add_comment(ticket_id: Id, body: CommentIn, tickets: TicketsDep,
                user: Worker) -> CommentOut:
    with _refusals():
        return CommentOut.of(tickets.comment(user, ticket_id, body.body,
                                             internal=body.internal))


@router.post("/tickets/{ticket_id}/attachments", response_model=AttachmentOut,
             status_code=status.HTTP_201_CREATED,
             summary="Attach a file (413 too large, 415 a type not allowed, by its content)")
def add_attachment(ticket_id: Id, tickets: TicketsDep, user: Worker,
                   file: Annotated[UploadFile, File()]) -> AttachmentOut:
    data = file.file.read(tickets.settings.attachments_max_bytes + 1)
    with _refusals():
        return AttachmentOut.of(tickets.attach(user, ticket_id, file.filename or "", data))


@router.get("/tickets/{ticket_id}/attachments/{attachment_id}", response_class=FileResponse,
            responses=UPLOADED_FILE,
            summary="An attachment's file")
def get_attachment(ticket_id: Id, attachment_id: Id, tickets: TicketsDep,
                   user: Worker) -> FileResponse:
    with _refusals():
        a, path = tickets.attachment(user, ticket_id, attachment_id)
    if not path.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"attachment {attachment_id}'s file is missing")
    return FileResponse(path, media_type=a.mime, filename=a.name,
                        headers={"X-Content-Type-Options": "nosniff"})
