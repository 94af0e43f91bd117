"""The summary tables and the seven reports on SQLite and PostgreSQL: the scenario's day
logged as kefu logs it, folded by the consumer, and every report against the hand count."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import text

from kefu import events as ev
from kefu.config import ReportsSettings
from kefu.reports.service import Refused, Reports, to_csv
from kefu.reports.summary import Days, Summaries
from kefu.store import Invalid, Store

from scenario import M, SALES, SHORT, SL, T, at, day

DAY = {"from": "2026-12-01", "to": "2026-12-01"}


def cdr_calls() -> list:
    """Three plain calls for the extension reports: 1001 → 1002 answered (internal, 40 s),
    outside → 1001 unanswered, 1002 → outside answered (20 s)."""
    def call(cid: str, t: float, caller: str, callee: str, talk: float | None) -> list:
        out = [at(t, ev.CallStarted(caller=caller, callee=callee, caller_name="",
                                    trunk=None), cid)]
        if talk is not None:
            out.append(at(t + 5, ev.CallAnswered(callee=callee), cid))
        out.append(at(t + 5 + (talk or 0), ev.CallEnded(disposition="answered" if talk
                                                        else "no_answer",
                                                        hangup_by="caller", sip_code=None),
                      cid))
        return out
    return (call("x1", T + 4000, "1001", "1002", 40) + call("x2", T + 4100, "13700000000",
            "1001", None) + call("x3", T + 4200, "1002", "13600000000", 20))


@pytest.fixture
def logged(store: Store) -> Store:
    store.create_extension("1001", "secret-pass-1", "ann", "kefu")
    store.create_extension("1002", "secret-pass-2", "bob", "kefu")
    extra = cdr_calls()
    store.append_events(day() + extra)
    for cid in ("x1", "x2", "x3"):
        store.derive_cdr(cid)
    return store


def summaries(store: Store) -> Summaries:
    return Summaries(store.db, SL.__getitem__, SHORT, Days("UTC"))


def reports(store: Store, **kw) -> Reports:  # type: ignore[no-untyped-def]
    return Reports(store.db, ReportsSettings(short_abandon=SHORT, timezone="UTC"), **kw)


def test_catch_up_folds_once_and_goes_on(logged: Store) -> None:
    s = summaries(logged)
    assert s.sync(chunk=9) == len(day()) + len(cdr_calls())
    assert s.sync() == 0                                      # nothing twice
    logged.append_events([at(M + 200, ev.QueueEntered(queue="sales", caller="x", position=1,
                                                      priority=0, preferred=None), "late")])
    s.on_event(ev.event(ev.CallRinging(), "late"))            # the live path: from the cursor
    r = reports(logged).run("traffic_by_interval", {"from": "2026-12-02", "to": "2026-12-02",
                                                   "queues": "sales", "interval": "day"},
                            "admin", "admin")
    assert [(row["period"], row["entered"]) for row in r.rows] == [("2026-12-02", 1)]


def test_traffic_by_interval_by_day_is_the_hand_count(logged: Store) -> None:
    summaries(logged).sync()
    r = reports(logged).run("traffic_by_interval", {**DAY, "queues": "sales",
                                                   "interval": "day"}, "admin", "admin")
    [row] = r.rows
    assert row["period"] == "2026-12-01"
    for key in ("offered", "answered", "abandoned", "short_abandoned", "service_level",
                "asa", "max_wait", "aht", "overflowed", "callbacks_requested"):
        assert row[key] == SALES[key], key
    assert r.totals is not None and r.totals["service_level"] == SALES["service_level"]
    hourly = reports(logged).run("traffic_by_interval", {**DAY, "queues": "sales"},
                                 "admin", "admin")
    assert [(x["period"], x["entered"]) for x in hourly.rows] == [
        ("2026-12-01 10:00", 6), ("2026-12-01 23:00", 1)]
    assert hourly.totals is not None and hourly.totals["service_level"] == 0.25  # not averaged
    late = reports(logged).run("traffic_by_interval", {**DAY, "queues": "sales",
                                                       "business_hours": "09:00-18:00"},
                               "admin", "admin")
    assert [x["period"] for x in late.rows] == ["2026-12-01 10:00"]
    none = reports(logged).run("traffic_by_interval", {**DAY, "weekdays": "6,7"}, "admin",
                               "admin")                        # Dec 1 2026 is a Tuesday
    assert none.rows == []


def test_agent_summary_and_its_drill_down(logged: Store) -> None:
    summaries(logged).sync()
    r = reports(logged).run("agent_summary", DAY, "admin", "admin")
    by = {row["agent"]: row for row in r.rows}
    assert set(by) == {"ann", "bob"}
    ann, bob = by["ann"], by["bob"]
    assert (ann["agent_answered"], ann["outbound"], ann["consults"], ann["callbacks_made"],
            ann["wrap_up"], ann["csat"]) == (3, 1, 1, 1, 30, 4.0)    # c1, cb5, c8
    assert (bob["agent_answered"], bob["transfers"], bob["paused"], bob["pause:lunch"]) == \
        (2, 1, 1800, 1800)
    assert bob["aht"] == 65.0                                   # (70 + 60) / 2
    assert r.totals is not None and r.totals["agent_answered"] == 5
    assert "agents=bob" in bob["drill"] and bob["drill"].startswith("/api/v1/reports/agent_detail")
    detail = reports(logged).run("agent_detail", {**DAY, "agents": "bob"}, "admin", "admin")
    assert {row["agent"] for row in detail.rows} == {"bob"}
    whats = [row["what"] for row in detail.rows]
    assert whats.count("connect") == 2 and whats.count("complete") == 2
    assert whats.count("state") == 5 and len(whats) == 9    # bob: 5 state changes


def test_service_time_and_abandon(logged: Store) -> None:
    summaries(logged).sync()
    st = reports(logged).run("service_time", DAY, "admin", "admin")
    rows = {(r["agent"], r["queue"]): r for r in st.rows}
    assert rows[("ann", "sales")]["handled"] == 2
    assert rows[("ann", "sales")]["aht"] == (120 + 30 + 30 + 60) / 2
    assert rows[("ann", "sales")]["avg_hold"] == 15.0
    assert rows[("bob", "support")]["avg_talk"] == 60.0
    ab = reports(logged).run("abandon", {**DAY, "interval": "day"}, "admin", "admin")
    [sales] = [r for r in ab.rows if r["queue"] == "sales"]
    assert (sales["abandoned"], sales["short_abandoned"], sales["abandon_rate"],
            sales["avg_abandon_wait"], sales["wait<=5"], sales["wait<=60"]) == \
        (1, 1, SALES["abandon_rate"], 40.0, 1, 1)


def test_extension_reports(logged: Store) -> None:
    r = reports(logged).run("extension_summary", DAY, "admin", "admin")
    by = {row["extension"]: row for row in r.rows}
    assert {k: by["1001"][k] for k in ("calls_in", "calls_out", "internal", "answered",
                                       "missed", "talk")} == \
        {"calls_in": 1, "calls_out": 0, "internal": 1, "answered": 0, "missed": 1,
         "talk": 40.0}
    assert (by["1002"]["calls_out"], by["1002"]["internal"], by["1002"]["answered"],
            by["1002"]["talk"]) == (1, 1, 1, 60.0)
    detail = reports(logged).run("extension_detail", {**DAY, "extensions": "1001"},
                                 "admin", "admin")
    assert [row["call_id"] for row in detail.rows] == ["x1", "x2"]
    assert by["1001"]["drill"].endswith("extensions=1001")


def test_scope_roles_and_bad_filters(logged: Store) -> None:
    summaries(logged).sync()
    scoped = reports(logged, scope=lambda u, r: ("support",),
                     members=lambda queues: {"bob"} if "support" in set(queues) else set())
    r = scoped.run("traffic_by_interval", {**DAY, "interval": "day"}, "sue", "supervisor")
    assert r.totals is not None and r.totals["entered"] == 1          # support's only
    with pytest.raises(Refused):
        scoped.run("abandon", {**DAY, "groups": "sales"}, "sue", "supervisor")
    agents = scoped.run("agent_summary", DAY, "sue", "supervisor")
    assert [row["agent"] for row in agents.rows] == ["bob"]
    mine = scoped.run("agent_summary", DAY, "ann", "agent")
    assert [row["agent"] for row in mine.rows] == ["ann"]
    with pytest.raises(Refused):
        scoped.run("agent_summary", {**DAY, "agents": "bob"}, "ann", "agent")
    with pytest.raises(Refused):
        scoped.run("abandon", DAY, "ann", "agent")
    for bad in ({"from": "yesterday"}, {"from": "2026-12-02", "to": "2026-12-01"},
                {"interval": "week"}, {"weekdays": "0"}, {"business_hours": "18:00-09:00"},
                {"queues": "a b"}):
        with pytest.raises(Invalid):
            scoped.run("traffic_by_interval", {**DAY, **bad}, "admin", "admin")


def test_csv_cells_are_safe(logged: Store) -> None:
    logged.append_events([replace(e, call_id="evil") for e in cdr_calls()[:3]])
    logged.append_events([at(T + 5000, ev.CallStarted(caller="=1+1", callee="1001",
                                                      caller_name="", trunk=None), "evil2"),
                          at(T + 5001, ev.CallEnded(disposition="failed", hangup_by="caller",
                                                    sip_code=None), "evil2")])
    logged.derive_cdr("evil2")
    r = reports(logged).run("extension_detail", {**DAY, "extensions": "1001"}, "admin",
                            "admin")
    text = to_csv(r)
    assert text.splitlines()[0].startswith("开始时间,主叫")
    assert ",'=1+1," in text


def test_render_is_the_scheduled_reports_engine(logged: Store) -> None:
    """``ReportSchedules``' ``render(name, filters)``: saved filters (lists too) and the
    period's dates, as kefu.app wires it."""
    summaries(logged).sync()
    r = reports(logged).render("traffic_by_interval", {"queues": ["sales"], "interval": "day",
                                                      "from": "2026-12-01",
                                                      "to": "2026-12-01"})
    assert r.rows[0]["service_level"] == SALES["service_level"]
    assert "abandon" in reports(logged).names()


def _every_report(logged: Store, settings: ReportsSettings) -> dict[str, object]:
    r = Reports(logged.db, settings)
    out: dict[str, object] = {}
    for name in r.names():
        for grain in ("day", "weekday", "hour"):
            got = r.run(name, {"from": "2026-11-30", "to": "2026-12-02", "interval": grain},
                        "admin", "admin")
            out[f"{name}/{grain}"] = (got.rows, got.totals)
    return out


def test_the_daily_rollup_gives_the_15_minute_figures(logged: Store) -> None:
    """Whole days are read from report_days; the same reports read from report_facts
    (the rollup marked as another zone's) give the same rows and totals."""
    summaries(logged).sync()
    settings = ReportsSettings(short_abandon=SHORT, timezone="UTC")
    from_days = _every_report(logged, settings)
    with logged.db.tx() as s:
        s.execute(text("UPDATE report_cursor SET zone = 'Asia/Tokyo'"))
    assert _every_report(logged, settings) == from_days
    with logged.db.tx() as s:
        days = s.execute(text("SELECT count(*) FROM report_days")).scalar()
        assert 0 < days < s.execute(text("SELECT count(*) FROM report_facts")).scalar()


def test_another_zone_rebuilds_the_days(logged: Store) -> None:
    """A start with another ``[reports] timezone`` rebuilds report_days for its days:
    the call entered at 23:xx UTC on Dec 1 is Dec 2's in Shanghai, by day as by hour."""
    summaries(logged).sync()
    Summaries(logged.db, SL.__getitem__, SHORT, Days("Asia/Shanghai")).sync()
    with logged.db.tx() as s:
        assert s.execute(text("SELECT zone FROM report_cursor")).scalar() == "Asia/Shanghai"
    shanghai = ReportsSettings(short_abandon=SHORT, timezone="Asia/Shanghai")
    by_day = Reports(logged.db, shanghai).run(
        "traffic_by_interval", {"from": "2026-12-01", "to": "2026-12-02", "queues": "sales",
                                "interval": "day"}, "admin", "admin")
    assert [(x["period"], x["entered"]) for x in by_day.rows] == [
        ("2026-12-01", 6), ("2026-12-02", 1)]
    from_days = _every_report(logged, shanghai)
    with logged.db.tx() as s:
        s.execute(text("UPDATE report_cursor SET zone = 'UTC'"))
    assert _every_report(logged, shanghai) == from_days


def test_every_report_in_the_servers_zone(logged: Store) -> None:
    """``[reports] timezone = ""``: the server's zone (days and hours local, the hours
    still cut by the database): every report runs and counts the day's calls."""
    summaries(logged).sync()
    got = _every_report(logged, ReportsSettings(short_abandon=SHORT, timezone=""))
    rows, totals = got["traffic_by_interval/hour"]  # type: ignore[misc]
    assert totals["entered"] == sum(r["entered"] for r in rows) > 0
