"""The announcements API's request and response bodies."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from .records import (MAX_AUDIENCE, MAX_BODY, MAX_GROUP_NAME, MAX_GROUPS, MAX_TITLE,
                      Announcement)

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
