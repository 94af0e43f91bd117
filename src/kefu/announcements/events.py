"""The events the announcements slice publishes on the bus, so desktops update at once.

``announcement.posted`` carries ``agents`` (the recipients, or None for every agent) and
``groups``; ``announcement.acked`` carries ``agent`` (whoever acknowledged): the same keys
the events WebSocket filters agents by.
"""

from __future__ import annotations

from kefu.bus import Event

from .records import Announcement

POSTED = "announcement.posted"
ACKED = "announcement.acked"


def posted(ann: Announcement) -> Event:
    # agents=None only for "every agent": the WebSocket shows an event without agents to all
    return Event(POSTED, data={"id": ann.id, "title": ann.title,
                               "agents": list(ann.recipients) or None,
                               "groups": list(ann.groups)})


def acked(announcement_id: int, username: str) -> Event:
    return Event(ACKED, data={"id": announcement_id, "agent": username})
