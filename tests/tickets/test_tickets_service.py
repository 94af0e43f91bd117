"""The tickets service on SQLite and PostgreSQL: workflows, SLA clocks in business time,
the SLA watch and escalation, visibility, the customer's timeline, append-only activity."""

from __future__ import annotations

import copy

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from kefu.store import Conflict, Invalid, NotFound
from kefu.tickets import builtin
from kefu.tickets.records import Denied
from ticketkit import Kit, at

NUMBER = "13800138000"


def _count(kit: Kit, table: str) -> int:
    with kit.store._engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()


def _complaint(kit: Kit, by: str = "ann", **fields):  # type: ignore[no-untyped-def]
    return kit.tickets.create(kit.who[by], type="complaint", title="快递破损",
                              **{"group": "support", **fields})


# ---------------------------------------------------------------------- types

def test_seed_is_idempotent(kit: Kit) -> None:
    assert kit.tickets.seed() == []
    names = [t.name for t in kit.tickets.types()]
    assert names == ["complaint", "inquiry"]
    complaint = kit.tickets.types()[0]
    states = [s["name"] for s in complaint.workflow["states"]]
    assert states == ["registered", "assigned", "processing", "waiting", "visit", "closed"]


@pytest.mark.parametrize("change,problem", [
    (lambda w: w.update(initial="nowhere"), "initial state"),
    (lambda w: w["transitions"][0].update(to="limbo"), "unknown state 'limbo'"),
    (lambda w: w["transitions"][0].update(roles=["boss"]), "unknown role 'boss'"),
    (lambda w: w["transitions"][0].update(required=["colour"]), "unknown field 'colour'"),
    (lambda w: w["states"].append(dict(w["states"][0])), "defined twice"),
    (lambda w: [s.update(kind="open") for s in w["states"]], "no state is closed"),
    (lambda w: w["states"][0].update(name="Bad Name"), "lower case"),
    (lambda w: w["transitions"][0].update(extra=1), "extra"),
])
def test_workflow_problems_are_named(kit: Kit, change, problem: str) -> None:  # type: ignore[no-untyped-def]
    spec = copy.deepcopy(builtin.INQUIRY) | {"name": "broken"}
    change(spec["workflow"])
    with pytest.raises(Invalid, match=problem):
        kit.tickets.create_type(spec)
    assert _count(kit, "ticket_types") == 2


def test_type_needs_a_known_calendar(kit: Kit) -> None:
    spec = copy.deepcopy(builtin.INQUIRY) | {"name": "x"}
    spec["sla"] = {**spec["sla"], "calendar": "mars"}
    with pytest.raises(Invalid, match="no calendar 'mars'"):
        kit.tickets.create_type(spec)
    with pytest.raises(Conflict):
        kit.tickets.create_type(copy.deepcopy(builtin.INQUIRY))


# ---------------------------------------------------------------------- the complaint flow

def test_complaint_flow_end_to_end(kit: Kit) -> None:
    c = kit.crm.create_customer(NUMBER, name="张三")
    t = _complaint(kit, number="+86 138 0013 8000")
    assert (t.state, t.state_kind, t.customer_id, t.customer_name, t.number) == (
        "registered", "open", c.id, "张三", "+8613800138000")
    assert t.sla["first_response"].state == "running"
    assert [x.name for x in t.transitions] == []          # an agent may not assign
    with pytest.raises(Denied, match="supervisor, admin only"):
        kit.tickets.transition(kit.who["ann"], t.id, "assign", assignee="ann")
    with pytest.raises(Invalid, match="needs assignee"):
        kit.tickets.transition(kit.who["sue"], t.id, "assign")
    t = kit.tickets.transition(kit.who["sue"], t.id, "assign", assignee="bob")
    assert (t.state, t.assignee) == ("assigned", "bob")
    assert t.sla["first_response"].state == "met"
    with pytest.raises(Conflict, match="cannot be taken from state 'assigned'"):
        kit.tickets.transition(kit.who["bob"], t.id, "close", comment="x")
    t = kit.tickets.transition(kit.who["bob"], t.id, "process")
    t = kit.tickets.transition(kit.who["bob"], t.id, "visit", comment="已处理，待回访")
    assert t.state == "visit" and len(kit.visits) == 1
    assert kit.visits[0] | {"due_at": 0} == {
        "kind": "visit", "customer_id": c.id, "number": "+8613800138000", "due_at": 0,
        "assignee": "bob", "group": "support", "note": "快递破损", "ticket_id": t.id,
        "by": "bob"}
    assert kit.visits[0]["due_at"] == kit.clock.now + 24 * 3600
    t = kit.tickets.transition(kit.who["bob"], t.id, "close", comment="客户满意")
    assert (t.state_kind, t.sla["resolution"].state) == ("closed", "met")
    detail = kit.tickets.get(kit.who["sue"], t.id)
    assert [a.action for a in detail.activity] == [
        "created", "assigned", "transition", "transition", "transition", "transition"]
    assert [c.body for c in detail.comments] == ["已处理，待回访", "客户满意"]
    timeline = kit.crm.timeline(c.id, kinds=["ticket"])
    assert [e.data["action"] for e in reversed(timeline)] == [
        "created", "transition", "transition", "transition", "transition"]
    assert [e["action"] for e in kit.of("ticket.changed")][-1] == "transition"
    assert kit.of("ticket.created")[0]["ticket_id"] == t.id


def test_waiting_pauses_the_sla(kit: Kit) -> None:
    """4 h of resolution left when the ticket waits two days for the customer: due again
    4 h after it resumes."""
    spec = copy.deepcopy(builtin.COMPLAINT) | {"name": "quick"}
    spec["sla"] = {**spec["sla"], "resolution": 5 * 60, "first_response": None}
    kit.tickets.create_type(spec)
    t = kit.tickets.create(kit.who["sue"], type="quick", title="t", assignee="ann",
                           group="support")
    assert t.sla["resolution"].due_at == kit.clock.now + 5 * 3600
    assert t.sla["first_response"].state == "none"
    kit.tickets.transition(kit.who["sue"], t.id, "assign", assignee="ann")
    kit.tickets.transition(kit.who["ann"], t.id, "process")
    kit.clock.now += 3600
    t = kit.tickets.transition(kit.who["ann"], t.id, "wait", comment="等客户提供单号")
    assert t.sla["resolution"].state == "paused"
    kit.clock.now += 2 * 86400
    assert kit.tickets.tick() == 0                         # a paused clock is never late
    t = kit.tickets.transition(kit.who["ann"], t.id, "resume")
    assert t.sla["resolution"].state == "running"
    assert t.sla["resolution"].due_at == kit.clock.now + 4 * 3600


def test_sla_breach_on_business_hours_across_a_holiday(kit: Kit) -> None:
    """Created Friday 17:00 before a Monday holiday, 4 h on 09:00-18:00: due Tuesday 12:00;
    a warning an hour before, then the breach, reported once, and the escalation."""
    spec = copy.deepcopy(builtin.COMPLAINT) | {"name": "office"}
    spec["sla"] = {"first_response": None, "resolution": 4 * 60, "calendar": "office",
                   "warn_before": 60, "escalate_to_group": "escalations",
                   "notify_supervisors": True}
    kit.tickets.create_type(spec)
    kit.clock.now = at(2026, 12, 4, 17)
    t = kit.tickets.create(kit.who["sue"], type="office", title="t", assignee="ann",
                           group="support")
    assert t.sla["resolution"].due_at == at(2026, 12, 8, 12)
    assert kit.tickets.tick(at(2026, 12, 7, 23)) == 0      # the holiday counts for nothing
    assert kit.tickets.tick(at(2026, 12, 8, 10, 59)) == 0
    assert kit.tickets.tick(at(2026, 12, 8, 11)) == 1      # warning: an hour of work left
    assert kit.of("ticket.sla_warning") == [{
        "ticket_id": t.id, "which": "resolution", "due_at": at(2026, 12, 8, 12),
        "assignee": "ann", "group": "support", "agents": ["ann"], "notify_supervisors": True}]
    assert kit.tickets.tick(at(2026, 12, 8, 11, 30)) == 0
    assert kit.tickets.tick(at(2026, 12, 8, 12)) == 1
    assert kit.tickets.tick(at(2026, 12, 8, 13)) == 0      # reported once
    assert [e["which"] for e in kit.of("ticket.sla_breached")] == ["resolution"]
    kit.clock.now = at(2026, 12, 8, 13)
    seen = kit.tickets.get(kit.who["root"], t.id)
    assert (seen.ticket.group, seen.ticket.assignee) == ("escalations", "")
    assert seen.ticket.sla["resolution"].state == "breached"
    assert [a.action for a in seen.activity][-4:] == [
        "sla_warning", "sla_breached", "escalated", "assigned"]
    assert kit.of("ticket.changed")[-1]["action"] == "escalated"
    items, total = kit.tickets.list(kit.who["root"], breached=True)
    assert total == 1 and items[0].id == t.id


def test_first_response_by_public_comment_only(kit: Kit) -> None:
    t = _complaint(kit)
    kit.tickets.comment(kit.who["ann"], t.id, "内部备注", internal=True)
    assert kit.tickets.get(kit.who["ann"], t.id).ticket.sla["first_response"].state == "running"
    kit.tickets.comment(kit.who["ann"], t.id, "您好，已收到")
    assert kit.tickets.get(kit.who["ann"], t.id).ticket.sla["first_response"].state == "met"


# ---------------------------------------------------------------------- workflow changes

def test_workflow_change_maps_states(kit: Kit) -> None:
    t = _complaint(kit)
    kit.tickets.transition(kit.who["sue"], t.id, "assign", assignee="ann")
    kit.tickets.transition(kit.who["ann"], t.id, "process")
    complaint = kit.tickets.types()[0]
    spec = copy.deepcopy(builtin.COMPLAINT)
    wf = spec["workflow"]
    wf["states"] = [s for s in wf["states"] if s["name"] != "processing"] + [
        {"name": "working", "label_zh": "办理", "label_en": "Working", "kind": "open",
         "visit": False}]
    for tr in wf["transitions"]:
        tr["from"] = ["working" if f == "processing" else f for f in tr["from"]]
        tr["to"] = "working" if tr["to"] == "processing" else tr["to"]
    with pytest.raises(Invalid, match="open tickets are in processing"):
        kit.tickets.update_type(complaint.id, spec, by="root")
    with pytest.raises(Invalid, match="no state of the new workflow"):
        kit.tickets.update_type(complaint.id, spec, by="root", state_map={"processing": "x"})
    assert kit.tickets.get(kit.who["root"], t.id).ticket.state == "processing"
    changed = kit.tickets.update_type(complaint.id, spec, by="root",
                                      state_map={"processing": "working"})
    assert changed.version == complaint.version + 1
    seen = kit.tickets.get(kit.who["root"], t.id)
    assert (seen.ticket.state, seen.ticket.state_label_zh) == ("working", "办理")
    assert (seen.activity[-1].action, seen.activity[-1].old, seen.activity[-1].new,
            seen.activity[-1].actor) == ("state_mapped", "processing", "working", "root")
    same = kit.tickets.update_type(complaint.id, spec, by="root")
    assert same.version == changed.version                # no workflow change: same version
    with pytest.raises(Invalid, match="name cannot change"):
        kit.tickets.update_type(complaint.id, spec | {"name": "grievance"}, by="root")


# ---------------------------------------------------------------------- visibility

def test_visibility_by_role_and_group(kit: Kit) -> None:
    mine = _complaint(kit, "ann")                            # created by ann, support
    billing = _complaint(kit, "cat", group="billing")
    taken = kit.tickets.create(kit.who["sam"], type="inquiry", title="b", group="billing",
                               assignee="cat")

    def seen(name: str) -> set[int]:
        return {t.id for t in kit.tickets.list(kit.who[name])[0]}

    assert seen("root") == {mine.id, billing.id, taken.id}
    assert seen("sue") == {mine.id}
    assert seen("sam") == {billing.id, taken.id}
    assert seen("bob") == {mine.id}                          # unassigned in his group
    assert seen("cat") == {billing.id, taken.id}
    with pytest.raises(Denied, match="not yours nor in your groups"):
        kit.tickets.get(kit.who["bob"], billing.id)
    with pytest.raises(Denied):
        kit.tickets.list(kit.who["quinn"])
    with pytest.raises(NotFound):
        kit.tickets.get(kit.who["root"], 9999)
    kit.tickets.transition(kit.who["sue"], mine.id, "assign", assignee="ann")
    assert seen("bob") == set()                              # now ann's


def test_agents_take_but_do_not_give(kit: Kit) -> None:
    t = _complaint(kit, "ann")
    with pytest.raises(Denied, match="an agent may only take"):
        kit.tickets.update(kit.who["bob"], t.id, assignee="ann")
    assert kit.tickets.update(kit.who["bob"], t.id, assignee="bob").assignee == "bob"
    with pytest.raises(Denied):
        kit.tickets.update(kit.who["ann"], t.id, assignee="ann")
    with pytest.raises(Denied, match="another group"):
        kit.tickets.update(kit.who["bob"], t.id, group="billing")
    with pytest.raises(Denied, match="not one of yours"):
        kit.tickets.update(kit.who["sue"], t.id, group="billing")
    with pytest.raises(Invalid, match="not a user"):
        kit.tickets.update(kit.who["sue"], t.id, assignee="nobody")


# ---------------------------------------------------------------------- fields, customers

def test_custom_fields_checked(kit: Kit) -> None:
    with pytest.raises(Invalid, match="category must be one of"):
        _complaint(kit, fields={"category": "weather"})
    with pytest.raises(Invalid, match="not a field"):
        _complaint(kit, fields={"colour": "red"})
    t = _complaint(kit, fields={"category": "delivery"})
    t = kit.tickets.update(kit.who["ann"], t.id, fields={"category": "billing"},
                           priority="urgent")
    assert (t.fields, t.priority) == ({"category": "billing"}, "urgent")
    assert _count(kit, "tickets") == 1


def test_created_with_customer_or_number(kit: Kit) -> None:
    c = kit.crm.create_customer(NUMBER, name="李四")
    assert _complaint(kit, customer_id=c.id).number == "+8613800138000"
    unknown = _complaint(kit, number="13900139000")
    assert (unknown.customer_id, unknown.number) == (None, "+8613900139000")
    with pytest.raises(Invalid):
        _complaint(kit, customer_id=c.id + 100)
    with pytest.raises(Invalid):
        _complaint(kit, number="not a number")
    assert _count(kit, "tickets") == 2


def test_from_a_voicemail(kit: Kit) -> None:
    from types import SimpleNamespace

    c = kit.crm.create_customer(NUMBER, name="王五")
    left = kit.clock.now - 600
    kit.tickets.voicemail = lambda i: SimpleNamespace(caller=NUMBER, created_at=left,
                                                      call_id="call-7")
    t = _complaint(kit, voicemail_id=3)
    assert (t.voicemail_id, t.customer_id, t.call_id) == (3, c.id, "call-7")
    assert t.description == f"语音留言 voicemail {NUMBER} 2026-12-02T09:50+08:00"
    assert t.sla["first_response"].due_at == left + 60 * 60   # the clock runs from the message


def test_from_an_unknown_voicemail(kit: Kit) -> None:
    def missing(i: int):  # type: ignore[no-untyped-def]
        raise NotFound(f"message {i}")

    kit.tickets.voicemail = missing
    with pytest.raises(Invalid, match="voicemail 3 does not exist"):
        _complaint(kit, voicemail_id=3)
    anonymous = kit.tickets.voicemail = lambda i: __import__("types").SimpleNamespace(
        caller="anonymous", created_at=kit.clock.now, call_id="")
    assert anonymous and _complaint(kit, voicemail_id=4).number == ""


def test_a_deleted_customer_does_not_stop_the_ticket(kit: Kit) -> None:
    c = kit.crm.create_customer(NUMBER, name="gone")
    t = _complaint(kit, customer_id=c.id)
    with kit.store._engine.begin() as conn:
        for table in ("crm_timeline", "customer_numbers"):
            conn.execute(sa.text(f"DELETE FROM {table} WHERE customer_id = {c.id}"))
        conn.execute(sa.text(f"DELETE FROM customers WHERE id = {c.id}"))
    changed = kit.tickets.update(kit.who["ann"], t.id, title="still here")
    assert (changed.title, changed.customer_id, changed.customer_name) == (
        "still here", c.id, "")
    assert _count(kit, "crm_timeline") == 0


def test_merge_moves_tickets(kit: Kit) -> None:
    a = kit.crm.create_customer(NUMBER, name="A")
    b = kit.crm.create_customer("13900139000", name="B")
    t = _complaint(kit, customer_id=b.id)
    with kit.store.db.tx() as s:
        kit.tickets.on_merge(s, [b.id], a.id)
    assert kit.tickets.get(kit.who["root"], t.id).ticket.customer_id == a.id


# ---------------------------------------------------------------------- activity, stats

def test_activity_cannot_be_edited_or_deleted(kit: Kit) -> None:
    _complaint(kit)
    for sql in ("UPDATE ticket_activity SET actor = 'mallory'", "DELETE FROM ticket_activity"):
        with pytest.raises(DBAPIError, match="append-only"):
            with kit.store._engine.begin() as conn:
                conn.execute(sa.text(sql))
    assert _count(kit, "ticket_activity") == 1
    assert not [m for m in dir(kit.tickets) if "activity" in m.lower()]


def test_stats(kit: Kit) -> None:
    a = _complaint(kit, fields={"category": "delivery"})
    _complaint(kit, fields={"category": "delivery"})
    _complaint(kit, "cat", group="billing", fields={"category": "billing"})
    kit.tickets.create(kit.who["sue"], type="inquiry", title="q", group="support")
    kit.tickets.transition(kit.who["sue"], a.id, "assign", assignee="ann")
    kit.tickets.transition(kit.who["ann"], a.id, "process")
    kit.tickets.transition(kit.who["ann"], a.id, "visit", comment="ok")
    kit.clock.now += 1800
    kit.tickets.transition(kit.who["ann"], a.id, "close", comment="ok")
    s = kit.tickets.stats(kit.who["root"])
    assert s.by_type == [{"key": "complaint", "total": 3, "open": 2, "breached": 0},
                         {"key": "inquiry", "total": 1, "open": 1, "breached": 0}]
    assert {r["key"]: r["total"] for r in s.by_group} == {"support": 3, "billing": 1}
    assert {r["key"]: r["total"] for r in s.by_state} == {"closed": 1, "registered": 2,
                                                          "open": 1}
    assert s.by_agent == [{"key": "ann", "handled": 1, "avg_handle_seconds": 1800.0}]
    assert s.complaints_by_category == [{"key": "billing", "total": 1},
                                        {"key": "delivery", "total": 2}]
    assert s.complaints_by_period == [{"key": "2026-12-02", "total": 3}]
    assert kit.tickets.stats(kit.who["sue"]).by_group == [
        {"key": "support", "total": 3, "open": 2, "breached": 0}]
    kit.clock.now += 3600                                   # the first responses are late
    assert kit.tickets.stats(kit.who["root"]).by_type[0]["breached"] == 2
    with pytest.raises(Denied):
        kit.tickets.stats(kit.who["ann"])
