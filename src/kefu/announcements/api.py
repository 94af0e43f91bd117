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

from kefu.users.service import User
from kefu.web.deps import MAX_INT, AnnouncementsDep, BusDep, CtxDep, require_roles

from . import events
from .schemas import AnnouncementIn, AnnouncementOut

router = APIRouter(prefix="/announcements", tags=["announcements"])

STAFF = ("admin", "supervisor")
Staff = Annotated[User, Depends(require_roles(*STAFF))]
Reader = Annotated[User, Depends(require_roles(*STAFF, "agent"))]


def group_members(ctx: CtxDep) -> dict[str, list[str]]:
    """Every queue's members by queue name: the running ACD's queues, else the config's,
    so an app without an ACD still knows (and checks) the groups.  Queues are fixed at
    start, so reading them off the event loop's thread is safe."""
    queues = ctx.acd.queues.values() if ctx.acd is not None else ctx.settings.queues
    return {q.name: list(q.members) for q in queues}


GroupsDep = Annotated[dict[str, list[str]], Depends(group_members)]


@router.post("", response_model=AnnouncementOut, status_code=status.HTTP_201_CREATED,
             summary="Post to every agent, or to chosen agents and groups (queues)")
def post_announcement(body: AnnouncementIn, announcements: AnnouncementsDep, bus: BusDep,
                      user: Staff, queues: GroupsDep) -> AnnouncementOut:
    ann = announcements.post_announcement(body.title, body.body, user.username,
                                          body.audience, body.groups, queues)
    bus.publish(events.posted(ann))
    return AnnouncementOut.of(ann, staff=True)


@router.get("", response_model=list[AnnouncementOut],
            summary="Newest first: an agent's own, or all for staff")
def list_announcements(announcements: AnnouncementsDep, user: Reader,
                       limit: Annotated[int, Query(ge=1, le=200)] = 50
                       ) -> list[AnnouncementOut]:
    staff = user.role in STAFF
    return [AnnouncementOut.of(a, staff)
            for a in announcements.announcements_for(user.username, staff, limit)]


@router.post("/{announcement_id}/ack", status_code=status.HTTP_204_NO_CONTENT,
             summary="Acknowledge (idempotent; the event goes out the first time only)")
def ack_announcement(announcement_id: Annotated[int, Path(ge=1, le=MAX_INT)],
                     announcements: AnnouncementsDep, bus: BusDep, user: Reader) -> Response:
    if announcements.ack_announcement(announcement_id, user.username, user.role in STAFF):
        bus.publish(events.acked(announcement_id, user.username))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
