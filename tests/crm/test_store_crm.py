"""Customers and contact history, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from kefu.bus import Event
from kefu.crm.service import CONTACT_RESULTS, ContactNote, Crm, Customer
from kefu.store import Conflict, Invalid, NotFound, Store
from kefu.users.service import Users

NUMBER = "13800138000"
E164 = "+8613800138000"   # NUMBER in the CRM's one spelling


def _count(store: Store, table: str) -> int:
    with store._engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()


# ---------------------------------------------------------------------- customers

def test_create_get_find_customer(crm: Crm, users: Users) -> None:
    users.create_user("ann", "password1", "agent")
    c = crm.create_customer(NUMBER, name="张三", company="示例公司", tier="gold",
                              owner="ann", notes="prefers mornings")
    assert isinstance(c, Customer) and c.id > 0 and c.created_at == c.updated_at > 0
    assert (c.number, c.name, c.company, c.tier, c.owner) == (E164, "张三", "示例公司",
                                                              "gold", "ann")
    assert crm.get_customer(c.id) == c
    assert crm.find_customer_by_number(NUMBER) == c
    assert crm.find_customer_by_number("13800138001") is None
    assert crm.find_customer_by_number("anonymous") is None
    assert crm.get_customer(c.id + 1) is None


def test_two_customers_may_share_a_number(store: Store, crm: Crm) -> None:
    """A switchboard number may be two contacts': both are found (duplicate detection
    shows them), oldest first."""
    a = crm.create_customer(NUMBER)
    b = crm.create_customer("+86 138 0013 8000", name="again")
    assert crm.find_customers(NUMBER) == [a, b] and _count(store, "customers") == 2


@pytest.mark.parametrize("number,fields", [
    ("1", {}), ("+", {}), ("１３８００", {}), ("1" * 32, {}), (138, {}), ("x1", {}),
    (NUMBER, {"name": "n" * 129}), (NUMBER, {"company": "c" * 129}),
    (NUMBER, {"tier": "t" * 33}), (NUMBER, {"tier": " gold"}),
    (NUMBER, {"notes": "x" * 4001}), (NUMBER, {"owner": "nobody"}), (NUMBER, {"name": None}),
])
def test_create_customer_rejects_bad_input(store: Store, crm: Crm, number, fields) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Invalid):
        crm.create_customer(number, **fields)
    assert _count(store, "customers") == 0


def test_create_customer_accepts_limits(crm: Crm) -> None:
    c = crm.create_customer("9" * 16, name="n" * 128, notes="x" * 4000)
    assert c.number == "9" * 16 and len(c.notes) == 4000


def test_update_customer(crm: Crm, users: Users) -> None:
    users.create_user("bob", "password1", "agent")
    c = crm.create_customer(NUMBER, name="张三")
    u = crm.update_customer(c.id, company="ACME", owner="bob", tier="gold")
    assert (u.name, u.company, u.owner, u.tier) == ("张三", "ACME", "bob", "gold")
    assert u.updated_at >= c.updated_at and u.created_at == c.created_at
    assert crm.get_customer(c.id) == u
    u2 = crm.update_customer(c.id, number="+8613900139000", owner="")
    assert crm.find_customer_by_number("13900139000") == u2 and u2.owner == ""
    assert crm.find_customer_by_number(NUMBER) is None


def test_update_customer_errors(crm: Crm) -> None:
    a = crm.create_customer(NUMBER, name="A")
    b = crm.create_customer("13900139000", name="B")
    with pytest.raises(NotFound):
        crm.update_customer(b.id + 100, name="x")
    with pytest.raises(Invalid):
        crm.update_customer(a.id, owner="nobody")
    with pytest.raises(Invalid):
        crm.update_customer(a.id, notes="x" * 4001)
    assert crm.get_customer(a.id) == a and crm.get_customer(b.id) == b


# ---------------------------------------------------------------------- contact history

def test_history_is_newest_first_with_limit(crm: Crm) -> None:
    c = crm.create_customer(NUMBER)
    other = crm.create_customer("13900139000")
    first = crm.add_contact_note(c.id, agent="ann", type="inquiry", result="resolved",
                                   notes="问价格", call_id="call-1")
    second = crm.add_contact_note(c.id, agent="bob", type="complaint", result="follow_up",
                                  notes="态度差")
    third = crm.add_contact_note(c.id, agent="ann", type="suggestion", result="escalated",
                                 notes="多开窗口")
    crm.add_contact_note(other.id, agent="ann", type="other", result="other")
    assert isinstance(first, ContactNote)
    assert (first.customer_id, first.call_id, first.agent, first.notes) == (
        c.id, "call-1", "ann", "问价格")
    assert second.call_id is None
    assert crm.contact_history(c.id) == [third, second, first]
    assert crm.contact_history(c.id, limit=2) == [third, second]
    assert len(crm.contact_history(other.id)) == 1


def test_history_shows_the_calls_survey_score(store: Store, crm: Crm) -> None:
    """The score comes from the call's CDR when the history is read: a note written while
    the caller is still in the survey shows it once the call has ended."""
    note, customer, _ = crm.add_call_note("call-1", NUMBER, agent="ann", type="inquiry",
                                          result="resolved")
    crm.add_call_note("call-2", NUMBER, agent="ann", type="other", result="other")
    assert note.survey_score is None
    for event in (Event("call.started", "call-1", {"caller": NUMBER, "callee": "8001"}, ts=1.0),
                  Event("ivr.survey", "call-1", {"flow": "csat", "node": "ask", "score": 4},
                        ts=2.0),
                  Event("call.ended", "call-1", {"disposition": "answered"}, ts=3.0)):
        store.append_event(event)
    store.derive_cdr("call-1")
    assert [(n.call_id, n.survey_score) for n in crm.contact_history(customer.id)] == [
        ("call-2", None), ("call-1", 4)]


def test_history_of_unknown_customer(store: Store, crm: Crm) -> None:
    with pytest.raises(NotFound):
        crm.contact_history(42)
    with pytest.raises(NotFound):
        crm.add_contact_note(42, agent="ann", type="inquiry", result="resolved")
    with pytest.raises(Invalid):
        crm.contact_history(42, limit=0)
    assert _count(store, "contact_notes") == 0


@pytest.mark.parametrize("fields", [
    {"type": "nonsense"}, {"result": "done"}, {"notes": "x" * 4001}, {"agent": ""},
    {"agent": "a" * 65}, {"call_id": ""}, {"call_id": "c" * 129},
])
def test_add_contact_note_rejects_bad_input(store: Store, crm: Crm, fields: dict) -> None:
    c = crm.create_customer(NUMBER)
    args = {"agent": "ann", "type": "inquiry", "result": "resolved", **fields}
    with pytest.raises(Invalid):
        crm.add_contact_note(c.id, **args)
    assert _count(store, "contact_notes") == 0


@pytest.mark.parametrize("column,value", [("result", "done")])
def test_check_constraints_in_the_schema(store: Store, crm: Crm, column: str, value: str) -> None:
    """The migration created the CHECKs (the model comparison does not look at them)."""
    c = crm.create_customer(NUMBER)
    values = {"type": "inquiry", "result": "resolved", column: value}
    with pytest.raises(IntegrityError), store._engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO contact_notes (customer_id, agent, type, result, notes, created_at) "
            "VALUES (:c, 'ann', :type, :result, '', 0)"), {"c": c.id, **values})
    assert set(CONTACT_RESULTS) == {"resolved", "follow_up", "escalated", "other"}


def test_add_call_note_creates_then_reuses_the_customer(crm: Crm) -> None:
    note, customer, created = crm.add_call_note(
        "call-1", NUMBER, agent="ann", type="inquiry", result="resolved", notes="n",
        name="李四")
    assert created and customer.number == E164 and customer.name == "李四"
    assert (note.customer_id, note.call_id, note.agent) == (customer.id, "call-1", "ann")
    note2, again, created2 = crm.add_call_note(
        "call-2", NUMBER, agent="bob", type="complaint", result="follow_up", name="other",
        notes="态度差")
    assert not created2 and again == customer          # the name is only for a new customer
    assert crm.contact_history(customer.id) == [note2, note]


@pytest.mark.parametrize("number,fields", [
    ("x1", {}), (NUMBER, {"type": "nonsense"}), (NUMBER, {"notes": "x" * 4001}),
    (NUMBER, {"name": "n" * 129}),
])
def test_add_call_note_writes_nothing_when_invalid(store: Store, crm: Crm, number: str,
                                                   fields: dict) -> None:
    args = {"agent": "ann", "type": "inquiry", "result": "resolved", **fields}
    with pytest.raises(Invalid):
        crm.add_call_note("call-1", number, **args)
    assert _count(store, "customers") == 0 and _count(store, "contact_notes") == 0


# ---------------------------------------------------------------------- migration 0002

def test_downgrade_0002_keeps_0001(store: Store, crm: Crm) -> None:
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
    assert crm.create_customer(NUMBER).number == E164


def test_a_note_type_requires_its_fields(store: Store, crm: Crm) -> None:
    """[crm] note_types: a complaint needs its notes (the default list), an unknown
    handling is refused; nothing is written."""
    c = crm.create_customer(NUMBER)
    with pytest.raises(Invalid, match="complaint note needs notes"):
        crm.add_contact_note(c.id, agent="ann", type="complaint", result="follow_up",
                             notes="  ")
    with pytest.raises(Invalid, match="handling"):
        crm.add_contact_note(c.id, agent="ann", type="inquiry", result="resolved",
                             handling="shrugged")
    assert _count(store, "contact_notes") == 0
    note = crm.add_contact_note(c.id, agent="ann", type="praise", result="resolved",
                                handling="answered", queue="sales")
    assert (note.type, note.handling, note.queue) == ("praise", "answered", "sales")
    assert [e.kind for e in crm.timeline(c.id)] == ["note"]
