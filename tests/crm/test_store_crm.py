"""Customers, contact history and announcements, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from kefu.store import (CONTACT_RESULTS, CONTACT_TYPES, Announcement, Conflict, ContactNote,
                        Customer, Invalid, NotFound, Store)

NUMBER = "13800138000"


def _count(store: Store, table: str) -> int:
    with store._engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()


# ---------------------------------------------------------------------- customers

def test_create_get_find_customer(store: Store) -> None:
    store.create_user("ann", "password1", "agent")
    c = store.create_customer(NUMBER, name="张三", company="示例公司", tier="gold",
                              owner="ann", notes="prefers mornings")
    assert isinstance(c, Customer) and c.id > 0 and c.created_at == c.updated_at > 0
    assert (c.number, c.name, c.company, c.tier, c.owner) == (NUMBER, "张三", "示例公司",
                                                              "gold", "ann")
    assert store.get_customer(c.id) == c
    assert store.find_customer_by_number(NUMBER) == c
    assert store.find_customer_by_number("13800138001") is None
    assert store.find_customer_by_number("anonymous") is None
    assert store.get_customer(c.id + 1) is None


def test_duplicate_number_is_conflict(store: Store) -> None:
    store.create_customer(NUMBER)
    with pytest.raises(Conflict):
        store.create_customer(NUMBER, name="again")
    assert _count(store, "customers") == 1


@pytest.mark.parametrize("number,fields", [
    ("1", {}), ("+", {}), ("138-0013", {}), ("１３８００", {}), ("1" * 32, {}), (138, {}),
    (NUMBER, {"name": "n" * 129}), (NUMBER, {"company": "c" * 129}),
    (NUMBER, {"tier": "t" * 33}), (NUMBER, {"tier": " gold"}),
    (NUMBER, {"notes": "x" * 4001}), (NUMBER, {"owner": "nobody"}), (NUMBER, {"name": None}),
])
def test_create_customer_rejects_bad_input(store: Store, number, fields) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Invalid):
        store.create_customer(number, **fields)
    assert _count(store, "customers") == 0


def test_create_customer_accepts_limits(store: Store) -> None:
    c = store.create_customer("+" + "9" * 31, name="n" * 128, notes="x" * 4000)
    assert c.number == "+" + "9" * 31 and len(c.notes) == 4000


def test_update_customer(store: Store) -> None:
    store.create_user("bob", "password1", "agent")
    c = store.create_customer(NUMBER, name="张三")
    u = store.update_customer(c.id, company="ACME", owner="bob", tier="gold")
    assert (u.name, u.company, u.owner, u.tier) == ("张三", "ACME", "bob", "gold")
    assert u.updated_at >= c.updated_at and u.created_at == c.created_at
    assert store.get_customer(c.id) == u
    u2 = store.update_customer(c.id, number="+8613800138000", owner="")
    assert store.find_customer_by_number("+8613800138000") == u2 and u2.owner == ""
    assert store.find_customer_by_number(NUMBER) is None


def test_update_customer_errors(store: Store) -> None:
    a = store.create_customer(NUMBER, name="A")
    b = store.create_customer("13900139000", name="B")
    with pytest.raises(NotFound):
        store.update_customer(b.id + 100, name="x")
    with pytest.raises(Conflict):
        store.update_customer(b.id, number=NUMBER)
    with pytest.raises(Invalid):
        store.update_customer(a.id, owner="nobody")
    with pytest.raises(Invalid):
        store.update_customer(a.id, notes="x" * 4001)
    assert store.get_customer(a.id) == a and store.get_customer(b.id) == b


# ---------------------------------------------------------------------- contact history

def test_history_is_newest_first_with_limit(store: Store) -> None:
    c = store.create_customer(NUMBER)
    other = store.create_customer("13900139000")
    first = store.add_contact_note(c.id, agent="ann", type="inquiry", result="resolved",
                                   notes="问价格", call_id="call-1")
    second = store.add_contact_note(c.id, agent="bob", type="complaint", result="follow_up")
    third = store.add_contact_note(c.id, agent="ann", type="suggestion", result="escalated")
    store.add_contact_note(other.id, agent="ann", type="other", result="other")
    assert isinstance(first, ContactNote)
    assert (first.customer_id, first.call_id, first.agent, first.notes) == (
        c.id, "call-1", "ann", "问价格")
    assert second.call_id is None
    assert store.contact_history(c.id) == [third, second, first]
    assert store.contact_history(c.id, limit=2) == [third, second]
    assert len(store.contact_history(other.id)) == 1


def test_history_of_unknown_customer(store: Store) -> None:
    with pytest.raises(NotFound):
        store.contact_history(42)
    with pytest.raises(NotFound):
        store.add_contact_note(42, agent="ann", type="inquiry", result="resolved")
    with pytest.raises(Invalid):
        store.contact_history(42, limit=0)
    assert _count(store, "contact_notes") == 0


@pytest.mark.parametrize("fields", [
    {"type": "praise"}, {"result": "done"}, {"notes": "x" * 4001}, {"agent": ""},
    {"agent": "a" * 65}, {"call_id": ""}, {"call_id": "c" * 129},
])
def test_add_contact_note_rejects_bad_input(store: Store, fields: dict) -> None:
    c = store.create_customer(NUMBER)
    args = {"agent": "ann", "type": "inquiry", "result": "resolved", **fields}
    with pytest.raises(Invalid):
        store.add_contact_note(c.id, **args)
    assert _count(store, "contact_notes") == 0


@pytest.mark.parametrize("column,value", [("type", "praise"), ("result", "done")])
def test_check_constraints_in_the_schema(store: Store, column: str, value: str) -> None:
    """The migration created the CHECKs (the model comparison does not look at them)."""
    c = store.create_customer(NUMBER)
    values = {"type": "inquiry", "result": "resolved", column: value}
    with pytest.raises(IntegrityError), store._engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO contact_notes (customer_id, agent, type, result, notes, created_at) "
            "VALUES (:c, 'ann', :type, :result, '', 0)"), {"c": c.id, **values})
    assert set(CONTACT_TYPES) == {"inquiry", "complaint", "suggestion", "other"}
    assert set(CONTACT_RESULTS) == {"resolved", "follow_up", "escalated", "other"}


def test_add_call_note_creates_then_reuses_the_customer(store: Store) -> None:
    note, customer, created = store.add_call_note(
        "call-1", NUMBER, agent="ann", type="inquiry", result="resolved", notes="n",
        name="李四")
    assert created and customer.number == NUMBER and customer.name == "李四"
    assert (note.customer_id, note.call_id, note.agent) == (customer.id, "call-1", "ann")
    note2, again, created2 = store.add_call_note(
        "call-2", NUMBER, agent="bob", type="complaint", result="follow_up", name="other")
    assert not created2 and again == customer          # the name is only for a new customer
    assert store.contact_history(customer.id) == [note2, note]


@pytest.mark.parametrize("number,fields", [
    ("x1", {}), (NUMBER, {"type": "praise"}), (NUMBER, {"notes": "x" * 4001}),
    (NUMBER, {"name": "n" * 129}),
])
def test_add_call_note_writes_nothing_when_invalid(store: Store, number: str,
                                                   fields: dict) -> None:
    args = {"agent": "ann", "type": "inquiry", "result": "resolved", **fields}
    with pytest.raises(Invalid):
        store.add_call_note("call-1", number, **args)
    assert _count(store, "customers") == 0 and _count(store, "contact_notes") == 0


# ---------------------------------------------------------------------- announcements

def test_audience_filtering_and_acks(people: Store) -> None:
    store = people
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


def test_ack_refused_when_unknown_or_not_addressed(people: Store) -> None:
    store = people
    for_ann = store.post_announcement("for ann", "", "sue", ["ann"])
    with pytest.raises(NotFound):
        store.ack_announcement(for_ann.id, "bob")
    with pytest.raises(NotFound):
        store.ack_announcement(for_ann.id + 1, "ann")
    assert store.ack_announcement(for_ann.id, "sue", is_staff=True) is True
    assert _count(store, "announcement_acks") == 1


@pytest.mark.parametrize("title,body,audience", [
    ("", "", []), ("   ", "", []), ("t" * 201, "", []), ("t", "b" * 20_001, []),
    ("t", "", ["nobody"]), ("t", "", ["ann", ""]), ("t", "", "ann"),
])
def test_post_announcement_rejects_bad_input(people: Store, title: str, body: str,
                                             audience) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Invalid):
        people.post_announcement(title, body, "sue", audience)
    assert _count(people, "announcements") == 0


# ---------------------------------------------------------------------- migration 0002

def test_downgrade_0002_keeps_0001(store: Store) -> None:
    from alembic import command
    from alembic.config import Config

    from kefu.store.service import MIGRATIONS_DIR

    store.create_extension("1001", "secret1", "", "kefu")
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with store._engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")
    with store._engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
    assert not ({"customers", "contact_notes", "announcements", "announcement_acks"} & tables)
    assert "extensions" in tables and store.get_extension("1001") is not None
    store.migrate()
    assert store.create_customer(NUMBER).number == NUMBER
