"""The follow-ups service on SQLite and PostgreSQL: the state machine, attempts and
outcomes, visibility by group, the periodic tick (reminders, escalation), the customer's
timeline and a merge."""

from __future__ import annotations

import pytest

from kefu.bus import Event
from kefu.config import FollowupsSettings
from kefu.crm.service import Crm
from kefu.followups.records import MOVES, STATES, move
from kefu.followups.service import Followups, Refused
from kefu.store.errors import Conflict, Invalid, NotFound
from kefu.users.service import User, Users

T0 = 1_750_000_000.0
GROUPS = {"ann": ("sales",), "bob": ("support",), "sue": ("sales",)}


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def staff(users: Users) -> dict[str, User]:
    made = {}
    for name, role in (("ann", "agent"), ("bob", "agent"), ("sue", "supervisor"),
                       ("boss", "supervisor"), ("root", "admin"), ("quinn", "qa")):
        made[name] = users.create_user(name, "password1", role)
    return made


@pytest.fixture
def events() -> list[Event]:
    return []


def make(store, crm: Crm, users: Users, clock: Clock, events: list[Event],  # type: ignore[no-untyped-def]
         **settings: object) -> Followups:
    return Followups(store.db, crm, users, FollowupsSettings(**settings),
                     scope=lambda u, r: None if u == "boss" else GROUPS.get(u, ()),
                     publish=events.append, clock=clock)


@pytest.fixture
def fu(store, crm: Crm, users: Users, clock: Clock, events: list[Event],  # type: ignore[no-untyped-def]
       staff: dict[str, User]) -> Followups:
    return make(store, crm, users, clock, events)


def test_every_state_move_is_in_the_table_and_illegal_ones_raise() -> None:
    for action, (sources, target) in MOVES.items():
        assert target in STATES
        for state in STATES:
            if state in sources:
                assert move(state, action) == target
            else:
                with pytest.raises(Conflict):
                    move(state, action)


def test_create_normalises_the_number_and_finds_the_customer(fu: Followups, crm: Crm,
                                                             staff: dict[str, User]) -> None:
    customer = crm.create_customer("13800138000", name="王芳")
    f = fu.create(staff["ann"], kind="callback", number="+86 138-0013-8000", due_at=T0 + 3600)
    assert (f.number, f.customer_id, f.customer_name) == ("+8613800138000", customer.id, "王芳")
    assert (f.state, f.attempts, f.assignee, f.created_by) == ("pending", 0, "ann", "ann")
    assert not f.overdue


def test_create_refuses_bad_input(fu: Followups, staff: dict[str, User]) -> None:
    ann = staff["ann"]
    with pytest.raises(Invalid, match="not a phone number"):
        fu.create(ann, kind="callback", number="hello", due_at=T0)
    with pytest.raises(Invalid, match="kind"):
        fu.create(ann, kind="visitation", number="1001", due_at=T0)
    with pytest.raises(Invalid, match="due_at"):
        fu.create(ann, kind="visit", number="1001", due_at=float("nan"))
    with pytest.raises(Invalid, match="customer 999"):
        fu.create(ann, kind="visit", number="1001", due_at=T0, customer_id=999)
    with pytest.raises(Invalid, match="not a user"):
        fu.create(staff["root"], kind="visit", number="1001", due_at=T0, assignee="nobody")
    with pytest.raises(Invalid, match="assignee or a group"):
        fu.create(staff["root"], kind="visit", number="1001", due_at=T0)
    with pytest.raises(Refused):          # an agent gives no work to another agent
        fu.create(ann, kind="visit", number="1001", due_at=T0, assignee="bob")
    with pytest.raises(Refused):          # nor to a group not theirs
        fu.create(ann, kind="visit", number="1001", due_at=T0, group="support")
    with pytest.raises(Refused):
        fu.create(staff["quinn"], kind="visit", number="1001", due_at=T0, group="sales")


def test_visibility_by_role_and_group(fu: Followups, staff: dict[str, User]) -> None:
    root = staff["root"]
    mine = fu.create(staff["ann"], kind="callback", number="1001", due_at=T0)
    sales = fu.create(root, kind="visit", number="1002", due_at=T0 + 1, group="sales")
    bobs_sales = fu.create(root, kind="visit", number="1003", due_at=T0 + 2, group="sales",
                           assignee="bob")
    support = fu.create(root, kind="visit", number="1004", due_at=T0 + 3, group="support")

    def ids(user: str, **kw: object) -> list[int]:
        items, total = fu.find(staff[user], **kw)  # type: ignore[arg-type]
        assert total == len(items)
        return [f.id for f in items]

    assert ids("ann") == [mine.id, sales.id]           # not bob's, though in her group
    assert ids("ann", mine=True) == [mine.id]
    assert ids("bob") == [bobs_sales.id, support.id]
    assert ids("sue") == [sales.id, bobs_sales.id]      # her group, whoever has it
    assert ids("boss") == ids("root") == [mine.id, sales.id, bobs_sales.id, support.id]
    assert ids("root", group="support") == [support.id]
    assert ids("root", due_before=T0 + 2) == [mine.id, sales.id]
    with pytest.raises(NotFound):                     # someone else's is no business of hers
        fu.get(staff["ann"], support.id)
    with pytest.raises(NotFound):
        fu.start(staff["ann"], bobs_sales.id)
    with pytest.raises(Refused):
        fu.find(staff["quinn"])
    items, total = fu.find(root, limit=2, offset=1)
    assert ([f.id for f in items], total) == ([sales.id, bobs_sales.id], 4)


def test_start_claims_an_unassigned_one_and_counts_attempts(fu: Followups,
                                                            staff: dict[str, User],
                                                            events: list[Event]) -> None:
    f = fu.create(staff["root"], kind="visit", number="1002", due_at=T0, group="sales")
    started = fu.start(staff["ann"], f.id)
    assert (started.state, started.attempts, started.assignee) == ("in_progress", 1, "ann")
    with pytest.raises(Conflict):                     # one attempt at a time
        fu.start(staff["ann"], f.id)
    assert [(e.type, e.data["action"]) for e in events] == [
        ("followup.changed", "created"), ("followup.changed", "started")]
    assert events[-1].data["agent"] == "ann"


def test_unanswered_attempts_reschedule_then_fail_and_write_the_timeline(
        fu: Followups, crm: Crm, staff: dict[str, User], clock: Clock) -> None:
    customer = crm.create_customer("13800138000", name="王芳")
    ann = staff["ann"]
    f = fu.create(ann, kind="callback", number="13800138000", due_at=T0)
    with pytest.raises(Conflict):                     # no outcome before a start
        fu.outcome(ann, f.id, outcome="no_answer")
    fu.start(ann, f.id)
    again = fu.outcome(ann, f.id, outcome="no_answer", reschedule_at=T0 + 7200)
    assert (again.state, again.due_at, again.outcome) == ("pending", T0 + 7200, "no_answer")
    fu.start(ann, f.id)
    clock.now = T0 + 100
    later = fu.outcome(ann, f.id, outcome="busy")      # no time given: retry_after from now
    assert (later.state, later.due_at) == ("pending", T0 + 100 + 1800)
    assert crm.timeline(customer.id, kinds=["followup"]) == []   # not yet: still open
    fu.start(ann, f.id)
    last = fu.outcome(ann, f.id, outcome="no_answer", note="关机", reschedule_at=T0 + 9999)
    assert (last.state, last.attempts) == ("failed", 3)          # max_attempts 3
    [line] = crm.timeline(customer.id, kinds=["followup"])
    assert (line.ref, line.agent, line.data["state"], line.data["outcome"]) == (
        str(f.id), "ann", "failed", "no_answer")
    assert "关机" in line.summary
    with pytest.raises(Conflict):
        fu.cancel(ann, f.id)


def test_reached_is_done_and_final_outcomes_are_not_retried(fu: Followups, crm: Crm,
                                                            staff: dict[str, User]) -> None:
    customer = crm.create_customer("13800138000")
    ann = staff["ann"]
    f = fu.create(ann, kind="visit", number="13800138000", due_at=T0, ticket_id=7)
    fu.start(ann, f.id)
    with pytest.raises(Invalid, match="not called again"):
        fu.outcome(ann, f.id, outcome="reached", reschedule_at=T0 + 60)
    done = fu.outcome(ann, f.id, outcome="reached", note="满意")
    assert (done.state, done.note) == ("done", "满意")
    g = fu.create(ann, kind="visit", number="13800138000", due_at=T0)
    fu.start(ann, g.id)
    assert fu.outcome(ann, g.id, outcome="wrong_number").state == "failed"
    lines = crm.timeline(customer.id, kinds=["followup"])
    assert [(e.ref, e.data["state"], e.data["ticket_id"]) for e in lines] == [
        (str(g.id), "failed", None), (str(f.id), "done", 7)]


def test_update_and_cancel(fu: Followups, staff: dict[str, User], events: list[Event]) -> None:
    ann, sue = staff["ann"], staff["sue"]
    alone = fu.create(ann, kind="callback", number="1001", due_at=T0)
    with pytest.raises(NotFound):                     # hers, in no group of sue's
        fu.update(sue, alone.id, note="x")
    f = fu.create(ann, kind="callback", number="1001", due_at=T0, assignee="ann",
                  group="sales")
    with pytest.raises(Refused):
        fu.update(ann, f.id, assignee="bob")
    moved = fu.update(sue, f.id, group="sales", assignee="", due_at=T0 + 60, note="n")
    assert (moved.assignee, moved.group, moved.due_at, moved.note) == ("", "sales", T0 + 60, "n")
    with pytest.raises(Refused):
        fu.update(sue, f.id, group="support")
    with pytest.raises(Invalid, match="not a user"):
        fu.update(sue, f.id, assignee="ghost")
    assert fu.update(ann, f.id, call_id="c-1").call_id == "c-1"
    assert fu.cancel(ann, f.id).state == "cancelled"
    with pytest.raises(Conflict):
        fu.update(ann, f.id, due_at=T0)
    assert events[-1].data == {"id": f.id, "agent": "", "group": "sales",
                               "state": "cancelled", "due_at": T0 + 60, "action": "cancelled"}


def test_tick_reminds_before_due_and_escalates_once(fu: Followups, staff: dict[str, User],
                                                    events: list[Event]) -> None:
    f = fu.create(staff["ann"], kind="callback", number="1001", due_at=T0 + 3600)
    events.clear()
    assert fu.tick(T0) == []                          # an hour away: nothing yet
    [due] = fu.tick(T0 + 3000)                        # 600 s before
    assert (due.type, due.data["id"], due.data["agent"], due.data["number"]) == (
        "followup.due", f.id, "ann", "1001")
    assert fu.tick(T0 + 3100) == []                   # once
    assert fu.find(staff["ann"])[0][0].overdue is False
    [late] = fu.tick(T0 + 3601)
    assert (late.type, late.data["agent"], late.data["group"]) == ("followup.overdue", "ann", "")
    assert fu.tick(T0 + 9000) == []                   # escalated once
    assert events == [due, late]
    # a new due time: reminded and escalated again for it
    fu.update(staff["ann"], f.id, due_at=T0 + 10000)
    assert [e.type for e in fu.tick(T0 + 20000)] == ["followup.due", "followup.overdue"]


def test_tick_leaves_started_and_closed_ones_alone(fu: Followups,
                                                   staff: dict[str, User]) -> None:
    ann = staff["ann"]
    started = fu.create(ann, kind="callback", number="1001", due_at=T0)
    fu.start(ann, started.id)
    cancelled = fu.create(ann, kind="callback", number="1001", due_at=T0)
    fu.cancel(ann, cancelled.id)
    assert fu.tick(T0 + 10_000) == []


def test_overdue_moves_to_the_escalation_group(store, crm: Crm, users: Users, clock: Clock,  # type: ignore[no-untyped-def]
                                               events: list[Event],
                                               staff: dict[str, User]) -> None:
    fu = make(store, crm, users, clock, events, escalate_to="support", overdue_after=300.0)
    f = fu.create(staff["ann"], kind="callback", number="1001", due_at=T0)
    assert [e.type for e in fu.tick(T0 + 299)] == ["followup.due"]
    [late] = fu.tick(T0 + 301)
    assert (late.data["previous"], late.data["group"], late.data["agent"]) == (
        "ann", "support", "ann")
    clock.now = T0 + 301
    [seen] = fu.find(staff["bob"])[0]                  # now the support group's
    assert (seen.id, seen.assignee, seen.group, seen.overdue) == (f.id, "", "support", True)


def test_schedule_inside_the_callers_transaction(store, fu: Followups, crm: Crm,  # type: ignore[no-untyped-def]
                                                 staff: dict[str, User],
                                                 events: list[Event]) -> None:
    customer = crm.create_customer("13800138000")
    with pytest.raises(RuntimeError):
        with store.db.tx() as s:
            fu.schedule(customer_id=customer.id, number="13800138000", due_at=T0,
                        group="sales", by="sue", ticket_id=3, s=s)
            raise RuntimeError("the ticket's change failed")
    assert fu.find(staff["root"])[1] == 0              # rolled back with it
    assert events == []                                # and nothing told
    with store.db.tx() as s:
        made = fu.schedule(customer_id=customer.id, number="13800138000", due_at=T0,
                           group="sales", by="sue", ticket_id=3, s=s)
    assert (made.kind, made.ticket_id, made.created_by) == ("visit", 3, "sue")
    assert [(e.type, e.data["id"]) for e in events] == [("followup.changed", made.id)]
    [f] = fu.find(staff["sue"], ticket_id=3)[0]
    assert f.customer_id == customer.id


def test_a_merge_moves_the_follow_ups(store, fu: Followups, crm: Crm,  # type: ignore[no-untyped-def]
                                      staff: dict[str, User]) -> None:
    a = crm.create_customer("13800138000")
    b = crm.create_customer("13900139000")
    f = fu.create(staff["root"], kind="visit", number="13900139000", due_at=T0,
                  customer_id=b.id, group="sales")
    with store.db.tx() as s:
        fu.on_merge(s, [b.id], a.id)
    assert fu.get(staff["root"], f.id).customer_id == a.id
