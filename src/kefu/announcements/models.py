"""The announcements slice's tables, on the store's declarative base; only
:mod:`kefu.announcements.repo` queries them."""

from __future__ import annotations

from sqlalchemy import Double, ForeignKey, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from kefu.store.models import Base, JsonData


class AnnouncementRow(Base):
    """A notice from staff.  ``audience`` (usernames) and ``groups`` (queue names) are what
    was posted; ``recipients`` are the usernames it reaches, the groups resolved to their
    members when posted (later membership changes do not move it); all JSON lists, and
    empty ``recipients`` means every agent."""

    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(64))
    audience: Mapped[list[str]] = mapped_column(JsonData)
    created_at: Mapped[float] = mapped_column(Double)
    groups: Mapped[list[str]] = mapped_column(JsonData, server_default=text("'[]'"))
    recipients: Mapped[list[str]] = mapped_column(JsonData, server_default=text("'[]'"))


class AnnouncementAckRow(Base):
    """Who acknowledged which announcement; the key makes a second ack a no-op."""

    __tablename__ = "announcement_acks"

    announcement_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("announcements.id", ondelete="CASCADE"), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    acked_at: Mapped[float] = mapped_column(Double)
