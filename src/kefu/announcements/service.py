"""The announcements slice's public face: post, list, acknowledge.

Every method is one transaction and returns plain dataclasses; methods are synchronous and
thread-safe, asyncio callers run them in a worker thread.  Audience names must be users:
asked of the users slice's service.
"""

from __future__ import annotations

import time
from typing import Iterable, Mapping, Sequence

from kefu.store.checks import MAX_USERNAME, check_names, check_text
from kefu.store.db import Database
from kefu.store.errors import Invalid, NotFound
from kefu.users.service import Users

from . import repo
from .models import AnnouncementRow
from .records import (MAX_AUDIENCE, MAX_BODY, MAX_GROUP_NAME, MAX_GROUPS, MAX_RECIPIENTS,
                      MAX_TITLE, Announcement)

__all__ = ["Announcement", "Announcements", "MAX_AUDIENCE", "MAX_BODY", "MAX_GROUP_NAME",
           "MAX_GROUPS", "MAX_TITLE"]


def _recipients(audience: list[str], groups: list[str],
                group_members: Mapping[str, Iterable[str]]) -> list[str]:
    """The usernames an announcement reaches: the audience, then each group's members.

    Invalid for a group that is no queue, and when groups are named but nobody is left:
    an empty list means every agent, the opposite of what was asked.
    """
    if unknown := [g for g in groups if g not in group_members]:
        raise Invalid(f"groups name unknown queues: {', '.join(unknown)}")
    names = list(dict.fromkeys([*audience, *(m for g in groups for m in group_members[g])]))
    if groups and not names:
        raise Invalid(f"groups {', '.join(groups)} have no members and no agent is named: "
                      "the announcement would reach nobody")
    if len(names) > MAX_RECIPIENTS:
        raise Invalid(f"the announcement would reach {len(names)} users; at most "
                      f"{MAX_RECIPIENTS}")
    return names


class Announcements:
    """Announcements and their acknowledgements over the shared :class:`Database`."""

    def __init__(self, db: Database, users: Users) -> None:
        self._db = db
        self._users = users

    def post_announcement(self, title: str, body: str, author: str,
                          audience: Sequence[str] = (), groups: Sequence[str] = (),
                          group_members: Mapping[str, Iterable[str]] | None = None
                          ) -> Announcement:
        """Publish a notice to ``audience`` (usernames) and ``groups`` (queue names, 技能组);
        both empty: every agent.

        The slice does not know the queues: ``group_members`` maps every queue the caller
        knows to its members, and a group not in it is Invalid.  Groups are resolved to
        their members now, so an agent who joins a queue later does not get older notices.
        Audience names must be users; duplicates are dropped, order is kept.
        """
        check_text("title", title, MAX_TITLE, required=True)
        check_text("body", body, MAX_BODY)
        check_text("author", author, MAX_USERNAME, required=True)
        names = check_names("audience", audience, MAX_AUDIENCE, MAX_USERNAME)
        group_names = check_names("groups", groups, MAX_GROUPS, MAX_GROUP_NAME)
        recipients = _recipients(names, group_names, group_members or {})
        if missing := self._users.missing_users(names):
            raise Invalid(f"audience names unknown users: {', '.join(missing)}")
        row = AnnouncementRow(title=title, body=body, author=author, audience=names,
                              groups=group_names, recipients=recipients,
                              created_at=time.time())
        with self._db.tx() as s:
            s.add(row)
            s.flush()
            return repo.to_announcement(row, acks=0)

    def announcements_for(self, username: str, is_staff: bool,
                          limit: int = 50) -> list[Announcement]:
        """Announcements newest first, each with whether ``username`` acknowledged it.

        An agent gets those addressed to it; staff (admins, supervisors) get all, with how
        many users acknowledged each.
        """
        if limit < 1:
            raise Invalid("limit must be >= 1")
        with self._db.tx(write=False) as s:
            return repo.newest(s, self._db.dialect, username, is_staff, limit)

    def ack_announcement(self, announcement_id: int, username: str,
                         is_staff: bool = False) -> bool:
        """Record that ``username`` read the announcement; True the first time, False when
        it had already (idempotent).  NotFound when it does not exist or, for an agent, is
        not addressed to it: an agent must not learn what was sent to others.
        """
        check_text("username", username, MAX_USERNAME, required=True)
        with self._db.tx() as s:
            row = s.get(AnnouncementRow, announcement_id)
            if row is None or not (is_staff or repo.addressed(row.recipients or (), username)):
                raise NotFound(f"announcement {announcement_id} does not exist")
            return repo.add_ack(s, self._db.insert, announcement_id, username)
