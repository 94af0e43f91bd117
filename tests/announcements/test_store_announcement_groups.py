"""Announcements to groups (技能组), and migration 0003, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from kefu.announcements.service import Announcements
from kefu.store import Invalid, NotFound, Store
from kefu.users.service import Users

QUEUES = {"sales": ["ann", "bob"], "support": ["cat", "dan"], "empty": []}   # dan: no user


def _count(store: Store) -> int:
    with store._engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM announcements")).scalar_one()


def _titles(announcements: Announcements, user: str) -> list[str]:
    return [a.title for a in announcements.announcements_for(user, False)]


def test_groups_resolve_to_members_when_posted(people: Users,
                                               announcements: Announcements) -> None:
    store = announcements
    sales = store.post_announcement("to sales", "", "sue", groups=["sales"],
                                    group_members=QUEUES)
    assert (sales.audience, sales.groups, sales.recipients) == ((), ("sales",), ("ann", "bob"))
    mixed = store.post_announcement("mixed", "", "sue", ["cat", "ann"],
                                    ["support", "sales", "support"], QUEUES)
    assert (mixed.audience, mixed.groups, mixed.recipients) == (
        ("cat", "ann"), ("support", "sales"), ("cat", "ann", "dan", "bob"))
    everyone = store.post_announcement("all", "", "sue", group_members=QUEUES)
    assert (everyone.audience, everyone.groups, everyone.recipients) == ((), (), ())

    assert _titles(store, "ann") == ["all", "mixed", "to sales"]
    assert _titles(store, "cat") == ["all", "mixed"]
    assert _titles(store, "dan") == ["all", "mixed"]     # a member without a user yet
    assert _titles(store, "eve") == ["all"]
    staff = store.announcements_for("sue", True)
    assert [(a.title, a.groups, a.recipients) for a in staff] == [
        ("all", (), ()), ("mixed", ("support", "sales"), ("cat", "ann", "dan", "bob")),
        ("to sales", ("sales",), ("ann", "bob"))]
    with pytest.raises(NotFound):
        store.ack_announcement(sales.id, "cat")
    assert store.ack_announcement(sales.id, "bob") is True


@pytest.mark.parametrize("groups,members", [
    (["nope"], QUEUES), (["sales", "nope"], QUEUES), (["sales"], None), (["empty"], QUEUES),
    ("sales", QUEUES), ([""], QUEUES), (["s" * 65], QUEUES), (["sales"] * 101, QUEUES),
    (["big"], {"big": [f"a{i}" for i in range(10_001)]}),
])
def test_bad_groups_are_invalid_and_nothing_stored(people: Users, store: Store,  # type: ignore[no-untyped-def]
                                                   announcements: Announcements, groups,
                                                   members) -> None:
    with pytest.raises(Invalid):
        announcements.post_announcement("t", "", "sue", groups=groups, group_members=members)
    assert _count(store) == 0


def test_unknown_group_names_them(people: Users, announcements: Announcements) -> None:
    with pytest.raises(Invalid, match="unknown queues: nope, nix"):
        announcements.post_announcement("t", "", "sue", groups=["nope", "sales", "nix"],
                                        group_members=QUEUES)


def test_empty_group_with_agents_is_fine(people: Users, announcements: Announcements) -> None:
    a = announcements.post_announcement("t", "", "sue", ["cat"], ["empty"], QUEUES)
    assert (a.groups, a.recipients) == (("empty",), ("cat",))
    assert _titles(announcements, "cat") == ["t"] and _titles(announcements, "ann") == []


def test_migration_0003_keeps_old_audiences(store: Store, announcements: Announcements,
                                            downgrade) -> None:
    """Rows posted before 0003 reach exactly their audience; downgrade drops the columns."""
    downgrade("0002")
    with store._engine.begin() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("announcements")}
        assert not ({"groups", "recipients"} & columns)
        for title, audience in (("all", []), ("for ann", ["ann"])):
            conn.execute(sa.text("INSERT INTO announcements (title, body, author, audience, "
                                 "created_at) VALUES (:t, '', 'sue', :a, :c)"),
                         {"t": title, "a": json.dumps(audience), "c": len(title)})
    store.migrate()
    staff = announcements.announcements_for("sue", True)
    assert [(a.title, a.audience, a.groups, a.recipients) for a in staff] == [
        ("for ann", ("ann",), (), ("ann",)), ("all", (), (), ())]
    assert _titles(announcements, "ann") == ["for ann", "all"]
    assert _titles(announcements, "bob") == ["all"]
