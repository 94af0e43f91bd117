"""Announcements: audiences, acknowledgements, bad input; on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from kefu.announcements.service import Announcement, Announcements
from kefu.store import Invalid, NotFound, Store
from kefu.users.service import Users


def _count(store: Store, table: str) -> int:
    with store._engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()


# ---------------------------------------------------------------------- announcements

def test_audience_filtering_and_acks(people: Users, announcements: Announcements) -> None:
    store = announcements
    everyone = store.post_announcement("系统维护", "今晚 22:00", "sue")
    for_ann = store.post_announcement("for ann", "", "sue", ["ann"])
    for_bob_cat = store.post_announcement("for bob and cat", "", "sue", ["bob", "cat", "bob"])
    assert isinstance(everyone, Announcement) and everyone.audience == ()
    assert for_bob_cat.audience == ("bob", "cat") and for_bob_cat.acks == 0

    def titles(user: str, staff: bool = False) -> list[str]:
        return [a.title for a in store.announcements_for(user, staff)]

    assert titles("ann") == ["for ann", "系统维护"]
    assert titles("bob") == ["for bob and cat", "系统维护"]
    assert titles("an") == ["系统维护"]                  # no substring matches
    assert titles("sue", staff=True) == ["for bob and cat", "for ann", "系统维护"]
    assert [a.acks for a in store.announcements_for("ann", False)] == [None, None]

    assert store.ack_announcement(for_ann.id, "ann") is True
    assert store.ack_announcement(for_ann.id, "ann") is False     # idempotent
    assert store.ack_announcement(everyone.id, "bob") is True
    assert store.ack_announcement(everyone.id, "sue", is_staff=True) is True
    assert [(a.title, a.acked) for a in store.announcements_for("ann", False)] == [
        ("for ann", True), ("系统维护", False)]
    assert [(a.title, a.acked, a.acks) for a in store.announcements_for("sue", True)] == [
        ("for bob and cat", False, 0), ("for ann", False, 1), ("系统维护", True, 2)]
    assert [a.title for a in store.announcements_for("sue", True, limit=1)] == [
        "for bob and cat"]


def test_ack_refused_when_unknown_or_not_addressed(people: Users, store: Store,
                                                   announcements: Announcements) -> None:
    for_ann = announcements.post_announcement("for ann", "", "sue", ["ann"])
    with pytest.raises(NotFound):
        announcements.ack_announcement(for_ann.id, "bob")
    with pytest.raises(NotFound):
        announcements.ack_announcement(for_ann.id + 1, "ann")
    assert announcements.ack_announcement(for_ann.id, "sue", is_staff=True) is True
    assert _count(store, "announcement_acks") == 1


@pytest.mark.parametrize("title,body,audience", [
    ("", "", []), ("   ", "", []), ("t" * 201, "", []), ("t", "b" * 20_001, []),
    ("t", "", ["nobody"]), ("t", "", ["ann", ""]), ("t", "", "ann"),
])
def test_post_announcement_rejects_bad_input(people: Users, store: Store,
                                             announcements: Announcements, title: str, body: str,
                                             audience) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Invalid):
        announcements.post_announcement(title, body, "sue", audience)
    assert _count(store, "announcements") == 0
