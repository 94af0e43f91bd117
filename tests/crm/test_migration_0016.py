"""Revision 0016 on a database with customers in it (an install upgraded in place): each
old ``customers.number`` becomes the customer's main number in E.164 (read as a Chinese
number; what is no number stays as it was), every note written before gets its line on
the timeline, and the customers are found by any spelling afterwards.  Both backends."""

from __future__ import annotations

import sqlalchemy as sa

from kefu.crm.service import Crm
from kefu.store import Store


def test_old_customers_and_notes_come_through(store: Store, crm: Crm, downgrade) -> None:  # type: ignore[no-untyped-def]
    downgrade("0015")
    with store._engine.begin() as conn:
        for cid, number in ((1, "13800138000"), (2, "+86 10 6552 9988"), (3, "1001"),
                            (4, "8613900139000")):
            conn.execute(sa.text(
                "INSERT INTO customers (id, number, name, company, tier, owner, notes, "
                "created_at, updated_at) VALUES (:i, :n, :name, '', '', '', '', 1, 1)"),
                {"i": cid, "n": number, "name": f"c{cid}"})
        conn.execute(sa.text(
            "INSERT INTO contact_notes (customer_id, call_id, agent, type, result, notes, "
            "created_at) VALUES (1, 'call-9', 'ann', 'complaint', 'follow_up', '态度差', 5)"))
    store.migrate()

    assert [c.numbers for c in (crm.get_customer(i) for i in (1, 2, 3, 4))] == [
        ("+8613800138000",), ("+861065529988",), ("1001",), ("+8613900139000",)]
    assert [c.id for c in crm.find_customers("138 0013 8000")] == [1]
    assert [c.id for c in crm.find_customers("010-65529988")] == [2]
    assert [c.id for c in crm.find_customers("+86 139 0013 9000")] == [4]
    [line] = crm.timeline(1)
    assert (line.kind, line.at, line.agent, line.summary, line.data["call_id"]) == (
        "note", 5.0, "ann", "态度差", "call-9")
    [note] = crm.contact_history(1)
    assert (note.type, note.handling, note.queue) == ("complaint", "", "")
    # and back down: the main number returns to customers.number
    downgrade("0015")
    with store._engine.connect() as conn:
        assert conn.execute(sa.text("SELECT number FROM customers ORDER BY id")).scalars().all() == [
            "+8613800138000", "+861065529988", "1001", "+8613900139000"]
    store.migrate()
