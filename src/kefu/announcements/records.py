"""What the announcements slice hands out: a frozen dataclass and the rules' limits."""

from __future__ import annotations

from dataclasses import dataclass

MAX_TITLE = 200
MAX_BODY = 20_000
MAX_AUDIENCE = 1000
MAX_GROUPS = 100             # queue names (技能组) one announcement may name
MAX_GROUP_NAME = 64
MAX_RECIPIENTS = 10_000      # usernames an announcement reaches, groups resolved


@dataclass(frozen=True)
class Announcement:
    """A notice (公告) from staff to agents, as seen by one reader.

    ``acked`` is whether that reader acknowledged it; ``acks`` how many users did, given
    to staff only (None for agents, who need not know who else has read it).
    """

    id: int
    title: str
    body: str
    author: str
    audience: tuple[str, ...]     # usernames named when posting
    created_at: float
    acked: bool = False
    acks: int | None = None
    groups: tuple[str, ...] = ()  # queue names (技能组) named when posting
    # who it reaches: the audience plus the groups' members when posted; empty = every agent
    recipients: tuple[str, ...] = ()
