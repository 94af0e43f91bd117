"""The events the announcements slice publishes on the bus, so desktops update at once.

Declared (name, fields, audience) in :mod:`kefu.events` with every other event type; built
here from those payloads.  ``announcement.posted`` carries ``agents`` (the recipients, or
None for every agent) and ``groups``; ``announcement.acked`` carries ``agent`` (whoever
acknowledged): the same keys the events WebSocket filters agents by.
"""

from __future__ import annotations

from kefu.bus import Event
from kefu.events import AnnouncementAcked, AnnouncementPosted, event

from .records import Announcement


def posted(ann: Announcement) -> Event:
    # agents=None only for "every agent": the WebSocket shows an event without agents to all
    return event(AnnouncementPosted(id=ann.id, title=ann.title,
                                    agents=list(ann.recipients) or None,
                                    groups=list(ann.groups)))


def acked(announcement_id: int, username: str) -> Event:
    return event(AnnouncementAcked(id=announcement_id, agent=username))
