"""Announcements (公告): staff post to every agent, chosen agents or chosen groups; agents
read and acknowledge.

A group is a queue (技能组).  Its members are read from the running ACD's queues (else the
config's) when the announcement is posted and stored as its recipients: membership is
fixed at post time, like a mail to a list.

Both changes go out on the bus so desktops update at once: ``announcement.posted`` with
``agents`` (the recipients, or None for every agent) and ``groups``, and
``announcement.acked`` with ``agent`` (whoever acknowledged), the same keys the events
WebSocket filters agents by.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from kefu.bus import Event
from kefu.store import Announcement, User
from kefu.store.service import MAX_AUDIENCE, MAX_BODY, MAX_GROUP_NAME, MAX_GROUPS, MAX_TITLE

from ..deps import MAX_INT, BusDep, CtxDep, StoreDep, require_roles

router = APIRouter(prefix="/announcements", tags=["announcements"])

STAFF = ("admin", "supervisor")
Staff = Annotated[User, Depends(require_roles(*STAFF))]
Reader = Annotated[User, Depends(require_roles(*STAFF, "agent"))]
Username = Annotated[str, Field(min_length=1, max_length=64)]
GroupName = Annotated[str, Field(min_length=1, max_length=MAX_GROUP_NAME)]


class AnnouncementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=MAX_TITLE)
    body: str = Field("", max_length=MAX_BODY)
    audience: list[Username] = Field(default_factory=list, max_length=MAX_AUDIENCE,
                                     description="agents' usernames")
    groups: list[GroupName] = Field(
        default_factory=list, max_length=MAX_GROUPS,
        description="queue names (技能组): their members when posted; audience and groups "
                    "both empty: every agent")


class AnnouncementOut(BaseModel):
    id: int
    title: str
    body: str
    author: str
    audience: list[str] = Field(description="the agents named when posting")
    groups: list[str] = Field(description="the queues (技能组) named when posting")
    recipients: list[str] | None = Field(
        description="who it reaches (the agents plus the groups' members when posted; "
                    "empty: every agent); staff only")
    created_at: float
    acked: bool = Field(description="whether you acknowledged it")
    acks: int | None = Field(description="how many acknowledged it (staff only)")

    @classmethod
    def of(cls, a: Announcement, staff: bool) -> AnnouncementOut:
        return cls(id=a.id, title=a.title, body=a.body, author=a.author,
                   audience=list(a.audience), groups=list(a.groups),
                   recipients=list(a.recipients) if staff else None,
                   created_at=a.created_at, acked=a.acked, acks=a.acks)


def group_members(ctx: CtxDep) -> dict[str, list[str]]:
    """Every queue's members by queue name: the running ACD's queues, else the config's,
    so an app without an ACD still knows (and checks) the groups.  Queues are fixed at
    start, so reading them off the event loop's thread is safe."""
    queues = ctx.acd.queues.values() if ctx.acd is not None else ctx.settings.queues
    return {q.name: list(q.members) for q in queues}


GroupsDep = Annotated[dict[str, list[str]], Depends(group_members)]


@router.post("", response_model=AnnouncementOut, status_code=status.HTTP_201_CREATED,
             summary="Post to every agent, or to chosen agents and groups (queues)")
def post_announcement(body: AnnouncementIn, store: StoreDep, bus: BusDep, user: Staff,
                      queues: GroupsDep) -> AnnouncementOut:
    ann = store.post_announcement(body.title, body.body, user.username, body.audience,
                                  body.groups, queues)
    # agents=None only for "every agent": the WebSocket shows an event without agents to all
    bus.publish(Event("announcement.posted", data={
        "id": ann.id, "title": ann.title, "agents": list(ann.recipients) or None,
        "groups": list(ann.groups)}))
    return AnnouncementOut.of(ann, staff=True)


@router.get("", response_model=list[AnnouncementOut],
            summary="Newest first: an agent's own, or all for staff")
def list_announcements(store: StoreDep, user: Reader,
                       limit: Annotated[int, Query(ge=1, le=200)] = 50
                       ) -> list[AnnouncementOut]:
    staff = user.role in STAFF
    return [AnnouncementOut.of(a, staff)
            for a in store.announcements_for(user.username, staff, limit)]


@router.post("/{announcement_id}/ack", status_code=status.HTTP_204_NO_CONTENT,
             summary="Acknowledge (idempotent; the event goes out the first time only)")
def ack_announcement(announcement_id: Annotated[int, Path(ge=1, le=MAX_INT)],
                     store: StoreDep, bus: BusDep, user: Reader) -> Response:
    if store.ack_announcement(announcement_id, user.username, user.role in STAFF):
        bus.publish(Event("announcement.acked",
                          data={"id": announcement_id, "agent": user.username}))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
