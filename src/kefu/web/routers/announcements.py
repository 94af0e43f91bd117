"""Announcements (公告): staff post, agents read and acknowledge.

Both changes go out on the bus so desktops update at once: ``announcement.posted`` with
``agents`` (the audience, or None for every agent) and ``announcement.acked`` with
``agent`` (whoever acknowledged), the same keys the events WebSocket filters agents by.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from kefu.bus import Event
from kefu.store import Announcement, User
from kefu.store.service import MAX_AUDIENCE, MAX_BODY, MAX_TITLE

from ..deps import BusDep, StoreDep, require_roles

router = APIRouter(prefix="/announcements", tags=["announcements"])

STAFF = ("admin", "supervisor")
Staff = Annotated[User, Depends(require_roles(*STAFF))]
Reader = Annotated[User, Depends(require_roles(*STAFF, "agent"))]
MAX_ID = 2**31 - 1          # INTEGER keys: a larger id would be a database error, not a 404
Username = Annotated[str, Field(min_length=1, max_length=64)]


class AnnouncementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=MAX_TITLE)
    body: str = Field("", max_length=MAX_BODY)
    audience: list[Username] = Field(default_factory=list, max_length=MAX_AUDIENCE,
                                     description="agents' usernames; empty for every agent")


class AnnouncementOut(BaseModel):
    id: int
    title: str
    body: str
    author: str
    audience: list[str]
    created_at: float
    acked: bool = Field(description="whether you acknowledged it")
    acks: int | None = Field(description="how many acknowledged it (staff only)")

    @classmethod
    def of(cls, a: Announcement) -> AnnouncementOut:
        return cls(id=a.id, title=a.title, body=a.body, author=a.author,
                   audience=list(a.audience), created_at=a.created_at, acked=a.acked,
                   acks=a.acks)


@router.post("", response_model=AnnouncementOut, status_code=status.HTTP_201_CREATED)
def post_announcement(body: AnnouncementIn, store: StoreDep, bus: BusDep,
                      user: Staff) -> AnnouncementOut:
    ann = store.post_announcement(body.title, body.body, user.username, body.audience)
    bus.publish(Event("announcement.posted", data={
        "id": ann.id, "title": ann.title, "agents": list(ann.audience) or None}))
    return AnnouncementOut.of(ann)


@router.get("", response_model=list[AnnouncementOut],
            summary="Newest first: an agent's own, or all for staff")
def list_announcements(store: StoreDep, user: Reader,
                       limit: Annotated[int, Query(ge=1, le=200)] = 50
                       ) -> list[AnnouncementOut]:
    return [AnnouncementOut.of(a)
            for a in store.announcements_for(user.username, user.role in STAFF, limit)]


@router.post("/{announcement_id}/ack", status_code=status.HTTP_204_NO_CONTENT,
             summary="Acknowledge (idempotent; the event goes out the first time only)")
def ack_announcement(announcement_id: Annotated[int, Path(ge=1, le=MAX_ID)],
                     store: StoreDep, bus: BusDep, user: Reader) -> Response:
    if store.ack_announcement(announcement_id, user.username, user.role in STAFF):
        bus.publish(Event("announcement.acked",
                          data={"id": announcement_id, "agent": user.username}))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
