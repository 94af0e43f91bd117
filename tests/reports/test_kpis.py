"""Issue 16's remaining KPIs on SQLite and PostgreSQL: rejected vs missed offers, the
handle-time distribution, and the KPI overview (关键指标) with the tickets and call notes
read through their services; every figure worked out by hand (scenario.py)."""

from __future__ import annotations

import time

import pytest

from kefu.config import ReportsSettings
from kefu.crm.service import Crm
from kefu.reports import excel
from kefu.reports.fold import Fold
from kefu.reports.service import Outside, Reports, to_csv
from kefu.reports.summary import Summaries
from kefu.store import Store
from kefu.tickets.service import Tickets
from kefu.users.service import Users

from scenario import HANDLE, SALES, SHORT, SL, T, day, kpi_extras

DAY = {"from": "2026-12-01", "to": "2026-12-01"}
LATER = T + 3 * 86400            # when the report is run: the open tickets are overdue


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def kpi(store: Store, users: Users, crm: Crm, tmp_path,  # type: ignore[no-untyped-def]
        monkeypatch) -> Reports:
    """The day and its extras folded; three call notes and three tickets on Dec 1."""
    store.append_events(day() + kpi_extras())
    Summaries(store.db, SL.__getitem__, SHORT).sync()
    root = users.create_user("root", "password1", "admin")
    with monkeypatch.context() as m:        # a note is written at the wall clock's time
        m.setattr(time, "time", lambda: T + 2000)
        # notes: sales c1 resolved (inquiry), c4 a complaint to follow up; support c7 resolved
        crm.add_call_note("c1", "13800000001", agent="ann", type="inquiry",
                          result="resolved", queue="sales")
        crm.add_call_note("c4", "13800000004", agent="bob", type="complaint",
                          result="follow_up", notes="rude", queue="sales")
        crm.add_call_note("c7", "13800000007", agent="bob", type="inquiry",
                          result="resolved", queue="support")
    clock = Clock(T + 3000)
    tickets = Tickets(store.db, users, crm, files_dir=tmp_path / "tickets", clock=clock)
    tickets.seed()
    t1 = tickets.create(root, type="inquiry", title="where is my order", group="sales")
    tickets.create(root, type="complaint", title="rude agent", group="sales")
    tickets.create(root, type="inquiry", title="no queue", group="")
    clock.now = T + 3100
    tickets.transition(root, t1.id, "close")          # closed in 100 s: within its SLAs
    clock.now = LATER
    return Reports(store.db, ReportsSettings(short_abandon=SHORT, timezone="UTC"),
                   outside=Outside(tickets=tickets, crm=crm), clock=clock,
                   scope=lambda u, r: ("support",),
                   members=lambda queues: {"bob"} if "support" in set(queues) else set())


def test_declined_offers_are_rejected_rung_out_ones_missed() -> None:
    facts = Fold(SL.__getitem__, SHORT).run(day() + kpi_extras())
    def offers(agent: str) -> tuple[float, float]:
        rows = [v for k, v in facts.rows.items() if k[1] == "sales" and k[2] == agent]
        return (sum(v.get("ring_no_answer", 0) for v in rows),
                sum(v.get("rejected", 0) for v in rows))
    assert offers("bob") == (0, 1)             # declined: 603
    assert offers("ann") == (1, 0)             # rang out: 408


def test_agent_summary_rejected_missed_and_offered(kpi: Reports) -> None:
    r = kpi.run("agent_summary", DAY, "root", "admin")
    by = {row["agent"]: row for row in r.rows}
    assert (by["ann"]["ring_no_answer"], by["ann"]["rejected"]) == (1, 0)
    assert (by["bob"]["ring_no_answer"], by["bob"]["rejected"]) == (0, 1)
    # offered = answered + callbacks made + missed + rejected: ann c1, c8 + the callback
    # c5 + c4 rang out; bob c4, c7 + c3
    assert (by["ann"]["agent_offered"], by["bob"]["agent_offered"]) == (4, 3)
    assert all(row["agent_offered"] >= row["agent_answered"] for row in r.rows)
    assert r.totals is not None and r.totals["rejected"] == 1
    assert "rejected" in [c.key for c in r.columns]


def test_service_time_has_the_handle_time_distribution(kpi: Reports) -> None:
    r = kpi.run("service_time", DAY, "root", "admin")
    for row in r.rows:
        want = HANDLE[(row["agent"], row["queue"])]
        got = {k[len("handle"):]: v for k, v in row.items() if k[6:7] in "<>" and k.startswith("handle") and v}
        assert got == want, (row["agent"], row["queue"])
    assert r.totals is not None
    assert (r.totals["handle<=60"], r.totals["handle<=180"],
            r.totals["handle>600"]) == (2, 2, 0)
    sales = kpi.run("service_time", {**DAY, "queues": "sales", "agents": "ann"}, "root", "admin")
    [row] = sales.rows
    assert (row["handle<=60"], row["handle<=180"]) == (1, 1)


def test_the_kpi_overview_is_the_hand_count(kpi: Reports) -> None:
    r = kpi.run("kpis", DAY, "root", "admin")
    by = {row["queue"]: row for row in r.rows}
    assert list(by) == ["-", "sales", "support", "IVR main"]
    sales = by["sales"]
    for key in ("offered", "answered", "abandoned", "short_abandoned", "service_level",
                "asa", "max_wait", "abandon_rate", "overflowed", "aht", "transfers",
                "consults", "callbacks_requested", "callbacks_made", "callbacks_connected",
                "callbacks_failed", "csat"):
        assert sales[key] == SALES[key], key
    # notes: c1 resolved, c4 a complaint followed up → FCR 1/2; tickets: the inquiry
    # closed in time, the complaint open past its 60 min first response → overdue
    assert (sales["fcr"], sales["tickets_opened"], sales["tickets_closed"],
            sales["tickets_overdue"], sales["complaints"]) == (0.5, 2, 1, 1, 2)
    support = by["support"]
    assert (support["offered"], support["answered"], support["service_level"],
            support["fcr"], support["tickets_opened"]) == (1, 1, 1.0, 1.0, 0)
    none = by["-"]                                    # the ticket with no group
    assert (none["tickets_opened"], none["tickets_overdue"], none["fcr"]) == (1, 1, None)
    ivr = by["IVR main"]                              # c9 hung up in the menu, c10 queued
    assert (ivr["ivr_started"], ivr["ivr_completion"], ivr["ivr_dropped"],
            ivr["drop_points"]) == (2, 0.5, 1, "menu 1")
    t = r.totals
    assert t is not None
    assert (t["offered"], t["answered"], t["abandoned"]) == (7, 4, 1)
    assert t["service_level"] == 0.4                  # (1 + 1) / (4 + 1)
    assert t["asa"] == 33.8                           # (10 + 30 + 90 + 5) / 4 = 33.75
    assert t["abandon_rate"] == round(1 / 7, 4)
    assert (t["tickets_opened"], t["tickets_closed"], t["tickets_overdue"],
            t["complaints"], t["fcr"]) == (3, 1, 2, 2, round(2 / 3, 4))
    # Dec 1's agent time: ann busy 120 + 30, ready 3610 + 50240 (to midnight), logged in
    # 54000; bob busy 70, ready 5330, logged in 7200 (his last state still open)
    assert t["occupancy"] == round(220 / (220 + 53850 + 5330), 4)
    assert t["utilisation"] == round(220 / (54000 + 7200), 4)
    assert (t["ivr_started"], t["ivr_completion"]) == (2, 0.5)
    lines = to_csv(r).splitlines()                    # and as the files every report makes
    assert lines[0].startswith("队列/流程,呼入量") and lines[-1].startswith("合计,7,4,1")
    assert excel.to_bytes(r)[:2] == b"PK"


def test_the_kpi_overview_keeps_to_a_supervisors_queues(kpi: Reports) -> None:
    r = kpi.run("kpis", DAY, "sue", "supervisor")
    assert [row["queue"] for row in r.rows] == ["support"]      # no IVR, no other queue
    assert r.totals is not None and r.totals["tickets_opened"] == 0
    assert r.totals["occupancy"] == round(70 / (70 + 5330), 4)   # bob's time only
    assert "kpis" in [e.name for e in kpi.catalog("supervisor")]
    assert "kpis" not in [e.name for e in kpi.catalog("agent")]
