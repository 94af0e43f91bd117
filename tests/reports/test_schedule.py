"""Scheduled reports: which slot is due (pure, a fake clock, a zone without DST), and the
service on both backends: a schedule fires, the Excel file arrives at a local SMTP server;
a failing server is a failed delivery, retried later, nothing lost."""

from __future__ import annotations

import dataclasses
import io

import openpyxl
import pytest

from fake_clock import FakeClock
from kefu.reports.excel import MIME
from kefu.reports.schedule import (CATCH_UP, ENGINE_MISSING, NO_SMTP, RETRY, Due, Schedule,
                                   Unavailable, due, next_slot, period)
from kefu.store import Invalid, NotFound, Store
from schedkit import BOSS, SHANGHAI, Engine, Inbox, free_port, local, schedules
import datetime as dt

D = dt.date


def sched(**kw: object) -> Schedule:
    base = dict(id=1, report="agent_summary", filters={}, period="yesterday",
                frequency="daily", minute=7 * 60 + 30, weekday=None, day=None,
                recipients=["a@b.cn"], lang="zh", enabled=True, created_by="boss",
                created_at=0.0, updated_at=0.0, done_through=local(2026, 12, 1, 10, 0),
                failed_at=None)
    return Schedule(**{**base, **kw})  # type: ignore[arg-type]


# -- the timetable ------------------------------------------------------------------------

def test_a_daily_schedule_fires_at_its_time_for_yesterday() -> None:
    s = sched()                                        # made on 1 Dec at 10:00
    assert due(s, local(2026, 12, 1, 23, 59), SHANGHAI) is None   # today's 07:30 was before
    assert due(s, local(2026, 12, 2, 7, 29), SHANGHAI) is None
    assert due(s, local(2026, 12, 2, 7, 30), SHANGHAI) == Due(local(2026, 12, 2, 7, 30),
                                                              D(2026, 12, 1), D(2026, 12, 1))
    done = dataclasses.replace(s, done_through=local(2026, 12, 2, 7, 30))
    assert due(done, local(2026, 12, 2, 18, 0), SHANGHAI) is None     # once a day
    assert next_slot(done, done.done_through, SHANGHAI) == local(2026, 12, 3, 7, 30)


def test_weekly_and_monthly_slots_and_their_periods() -> None:
    weekly = sched(frequency="weekly", weekday=0, minute=8 * 60, period="last_week")
    # 1 Dec 2026 is a Tuesday: the next Monday is the 7th; last week is 30 Nov … 6 Dec
    assert next_slot(weekly, weekly.done_through, SHANGHAI) == local(2026, 12, 7, 8, 0)
    assert due(weekly, local(2026, 12, 7, 8, 0), SHANGHAI) == Due(
        local(2026, 12, 7, 8, 0), D(2026, 11, 30), D(2026, 12, 6))
    monthly = sched(frequency="monthly", day=1, minute=6 * 60, period="last_month")
    assert due(monthly, local(2026, 12, 31, 23, 0), SHANGHAI) is None
    assert due(monthly, local(2027, 1, 1, 6, 0), SHANGHAI) == Due(
        local(2027, 1, 1, 6, 0), D(2026, 12, 1), D(2026, 12, 31))
    assert period("last_month", D(2024, 3, 15)) == (D(2024, 2, 1), D(2024, 2, 29))
    assert period("last_week", D(2026, 12, 6)) == (D(2026, 11, 23), D(2026, 11, 29))  # Sunday
    assert period("yesterday", D(2027, 1, 1)) == (D(2026, 12, 31), D(2026, 12, 31))


def test_missed_slots_come_in_order_failures_wait_and_old_ones_are_skipped() -> None:
    s = sched()
    three_days_on = local(2026, 12, 4, 12, 0)
    assert due(s, three_days_on, SHANGHAI).slot == local(2026, 12, 2, 7, 30)   # type: ignore[union-attr]
    failed = dataclasses.replace(s, failed_at=three_days_on)
    assert due(failed, three_days_on + RETRY - 1, SHANGHAI) is None
    assert due(failed, three_days_on + RETRY, SHANGHAI).slot == local(2026, 12, 2, 7, 30)  # type: ignore[union-attr]
    much_later = local(2027, 6, 1, 12, 0)
    assert due(s, much_later, SHANGHAI).slot > much_later - CATCH_UP  # type: ignore[union-attr]
    assert due(dataclasses.replace(s, enabled=False), three_days_on, SHANGHAI) is None


# -- the service --------------------------------------------------------------------------

def test_a_schedule_fires_and_the_excel_file_arrives(store: Store,
                                                     smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    clock, engine = FakeClock(local(2026, 12, 1, 10, 0)), Engine()
    svc = schedules(store.db, clock, port, engine)
    s = svc.create(BOSS, report="agent_summary", period="yesterday", frequency="daily",
                   at="07:30", recipients=["boss@cc.test", "ceo@cc.test"],
                   filters={"queues": "sales"})
    assert s.next_at == local(2026, 12, 2, 7, 30) and s.at == "07:30"
    assert svc.tick() == [] and inbox.mail == []
    clock.now = local(2026, 12, 2, 7, 30, 5)
    (d,) = svc.tick()
    assert d.ok and d.error == "" and d.slot == local(2026, 12, 2, 7, 30)
    assert engine.calls == [("agent_summary", {"queues": "sales", "from": "2026-12-01",
                                               "to": "2026-12-01"})]
    (sender, to, msg), = inbox.mail
    assert sender == "kefu@cc.test" and sorted(to) == ["boss@cc.test", "ceo@cc.test"]
    assert msg["Subject"] == "座席话务统计报表 2026-12-01"
    (att,) = list(msg.iter_attachments())
    assert att.get_content_type() == MIME and att.get_filename() == d.filename
    data = att.get_content()
    assert d.size == len(data) > 1000
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.worksheets[0]["A2"].value == "1001 张三"
    f = {r[0]: r[1] for r in wb["筛选条件"].iter_rows(values_only=True) if r[0]}
    assert f["开始"] == "2026-12-01" and f["队列"] == "sales"
    assert f["生成时间"] == dt.datetime(2026, 12, 2, 7, 30, 5)
    assert svc.tick() == []                            # sent once
    assert svc.get(s.id).next_at == local(2026, 12, 3, 7, 30)
    assert [x.id for x in svc.deliveries(s.id)] == [d.id]


def test_a_failing_mail_server_is_logged_and_retried(store: Store,
                                                     smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    clock = FakeClock(local(2026, 12, 1, 10, 0))
    down = schedules(store.db, clock, free_port(), Engine())      # nothing listens there
    s = down.create(BOSS, report="agent_summary", period="yesterday", frequency="daily",
                    at="07:30", recipients=["boss@cc.test"])
    clock.now = local(2026, 12, 2, 8, 0)
    (failed,) = down.tick()
    assert not failed.ok and "127.0.0.1" in failed.error and failed.size > 0
    assert down.get(s.id).failed_at == clock.now
    clock.now += RETRY / 2
    assert down.tick() == []                           # not hammering the server
    up = schedules(store.db, clock, port, Engine())    # the server is back
    clock.now += RETRY / 2
    (ok,) = up.tick()
    assert ok.ok and ok.slot == failed.slot            # the same slot, not lost
    assert len(inbox.mail) == 1 and up.get(s.id).failed_at is None
    assert [(x.ok, x.trigger) for x in up.deliveries(s.id)] == [(True, "schedule"),
                                                               (False, "schedule")]


def test_slots_missed_while_down_are_each_sent_once(store: Store,
                                                    smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    clock, engine = FakeClock(local(2026, 12, 1, 10, 0)), Engine()
    svc = schedules(store.db, clock, port, engine)
    svc.create(BOSS, report="agent_summary", period="yesterday", frequency="daily",
               at="07:30", recipients=["boss@cc.test"])
    clock.now = local(2026, 12, 4, 9, 0)
    assert [d.ok for d in svc.tick()] == [True, True, True]
    assert [c[1]["from"] for c in engine.calls] == ["2026-12-01", "2026-12-02", "2026-12-03"]
    assert len(inbox.mail) == 3 and svc.tick() == []


def test_an_engine_failure_is_a_failed_delivery(store: Store, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    clock, engine = FakeClock(local(2026, 12, 1, 10, 0)), Engine()
    svc = schedules(store.db, clock, port, engine)
    s = svc.create(BOSS, report="agent_summary", period="yesterday", frequency="daily",
                   at="07:30", recipients=["boss@cc.test"])
    engine.fail, clock.now = True, local(2026, 12, 2, 7, 30)
    (d,) = svc.tick()
    assert not d.ok and d.error == "RuntimeError: the engine broke" and d.size == 0
    assert inbox.mail == [] and svc.get(s.id).next_at == local(2026, 12, 2, 7, 30)


def test_send_now_leaves_the_timetable(store: Store, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    clock, engine = FakeClock(local(2026, 12, 9, 15, 0)), Engine()   # a Wednesday
    svc = schedules(store.db, clock, port, engine)
    s = svc.create(BOSS, report="agent_summary", period="last_week", frequency="weekly",
                   weekday=0, at="08:00", recipients=["boss@cc.test"], lang="en")
    d = svc.send_now(s.id)
    assert d.ok and d.trigger == "manual" and d.slot is None
    assert engine.calls[0][1] == {"from": "2026-11-30", "to": "2026-12-06"}
    assert inbox.mail[0][2]["Subject"] == "Agent traffic summary 2026-11-30 – 2026-12-06"
    assert svc.get(s.id).next_at == local(2026, 12, 14, 8, 0)


def test_without_an_engine_or_a_mail_server_schedules_are_refused(store: Store) -> None:
    clock = FakeClock(local(2026, 12, 1, 10, 0))
    args = dict(report="agent_summary", period="yesterday", frequency="daily", at="07:30",
                recipients=["boss@cc.test"])
    with pytest.raises(Unavailable, match=ENGINE_MISSING):
        schedules(store.db, clock, 25, None).create(BOSS, **args)  # type: ignore[arg-type]
    with pytest.raises(Unavailable, match=r"\[smtp\] host"):
        schedules(store.db, clock, None, Engine()).create(BOSS, **args)  # type: ignore[arg-type]
    assert NO_SMTP and schedules(store.db, clock, None, None).tick() == []


def test_bad_schedules_are_refused_with_every_reason(store: Store) -> None:
    svc = schedules(store.db, FakeClock(local(2026, 12, 1, 10, 0)), 25, Engine())
    with pytest.raises(Invalid) as e:
        svc.create(BOSS, report="nope", period="yesterday", frequency="weekly", at="07:30",
                   day=3, recipients=["x", "a@b.cn", "a@b.cn"], filters={"from": "2020-01-01"})
    reasons = str(e.value)
    for part in ("no report 'nope'", "weekday: a weekly schedule needs one",
                 "day: only for a monthly", "not an email address: x", "given twice",
                 "filters: from are set by the period"):
        assert part in reasons, part
    with pytest.raises(Invalid, match="HH:MM"):
        svc.create(BOSS, report="agent_summary", period="yesterday", frequency="daily",
                   at="24:00", recipients=["a@b.cn"])
    assert svc.all() == []                            # nothing half-written


def test_update_restarts_the_timetable_and_delete_takes_the_log(
        store: Store, smtp: tuple[Inbox, int]) -> None:
    _, port = smtp
    clock = FakeClock(local(2026, 12, 1, 10, 0))
    svc = schedules(store.db, clock, port, Engine())
    s = svc.create(BOSS, report="agent_summary", period="yesterday", frequency="daily",
                   at="07:30", recipients=["boss@cc.test"])
    svc.send_now(s.id)
    clock.now = local(2026, 12, 3, 12, 0)               # two slots pending …
    u = svc.update(s.id, frequency="monthly", day=5, period="last_month")
    assert u.next_at == local(2026, 12, 5, 7, 30) and u.weekday is None   # … none now
    assert svc.update(s.id, enabled=False).next_at is None
    with pytest.raises(Invalid, match="day: a monthly schedule needs one"):
        svc.update(s.id, day=None)
    svc.delete(s.id)
    with pytest.raises(NotFound):
        svc.deliveries(s.id)
