"""The reports slice's tables, on the store's declarative base: the scheduled reports and
their delivery log (:mod:`kefu.reports.schedule` queries them), and the summary tables:
the facts of :mod:`kefu.reports.fold` per 15-minute interval, kept up to date as events
arrive (:mod:`kefu.reports.summary`), so that a month's report reads thousands of rows,
not millions of events."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Double, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kefu.store.models import Base, JsonData, one_of

from .fold import COUNTS, MAXIMA, SECONDS

FREQUENCIES = ("daily", "weekly", "monthly")
PERIODS = ("yesterday", "last_week", "last_month")
LANGS = ("zh", "en")
TRIGGERS = ("schedule", "manual")


class ScheduleRow(Base):
    """A report sent by email on a timetable.  ``done_through``: every slot up to this time
    is handled (delivered, or before the schedule existed); ``failed_at``: when the pending
    slot's last attempt failed (the next one waits a while, see ``schedule.RETRY``)."""

    __tablename__ = "report_schedules"
    __table_args__ = (one_of("frequency", FREQUENCIES), one_of("period", PERIODS),
                      one_of("lang", LANGS))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report: Mapped[str] = mapped_column(String(64))
    filters: Mapped[dict[str, Any]] = mapped_column(JsonData)
    period: Mapped[str] = mapped_column(String(16))
    frequency: Mapped[str] = mapped_column(String(16))
    minute: Mapped[int] = mapped_column(Integer)            # of the local day: 07:30 is 450
    weekday: Mapped[int | None] = mapped_column(Integer)    # weekly: 0 Monday … 6 Sunday
    day: Mapped[int | None] = mapped_column(Integer)        # monthly: 1 … 28
    recipients: Mapped[list[str]] = mapped_column(JsonData)
    lang: Mapped[str] = mapped_column(String(2))
    enabled: Mapped[bool] = mapped_column(Boolean)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Double)
    updated_at: Mapped[float] = mapped_column(Double)
    done_through: Mapped[float] = mapped_column(Double)
    failed_at: Mapped[float | None] = mapped_column(Double)


class DeliveryRow(Base):
    """One attempt to send a schedule's report: to whom, whether the server took it (or
    why not), the file's size.  ``slot`` is the scheduled time (None: sent on demand)."""

    __tablename__ = "report_deliveries"
    __table_args__ = (one_of("trigger", TRIGGERS),
                      Index("ix_report_deliveries_schedule_id_at", "schedule_id", "at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    schedule_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("report_schedules.id", ondelete="CASCADE"))
    trigger: Mapped[str] = mapped_column(String(16))
    slot: Mapped[float | None] = mapped_column(Double)
    at: Mapped[float] = mapped_column(Double)
    recipients: Mapped[list[str]] = mapped_column(JsonData)
    ok: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))


class Measures:
    """The measure columns of the fact tables, from :data:`kefu.reports.fold.MEASURES`:
    one list, the fold's and the tables'."""

    for _name in COUNTS:            # the class body's namespace is a dict: one column each
        locals()[_name] = mapped_column(Integer, nullable=False, default=0)
    for _name in SECONDS + MAXIMA:
        locals()[_name] = mapped_column(Double, nullable=False, default=0.0)
    del _name


class ReportFactRow(Measures, Base):
    """Sums per (interval, queue, agent); queue "" is none (an agent's clock time), agent
    "*" every agent's and none (a queue's figures in one row per interval)."""

    __tablename__ = "report_facts"
    __table_args__ = (Index("ix_report_facts_agent", "agent", "interval"),
                      Index("ix_report_facts_queue", "queue", "interval"))

    interval: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"),
                                          primary_key=True)
    queue: Mapped[str] = mapped_column(String(64), primary_key=True)
    agent: Mapped[str] = mapped_column(String(64), primary_key=True)


class ReportDayRow(Measures, Base):
    """``report_facts`` rolled up per local day of the reports' zone (``interval`` is the
    day's midnight; ``report_cursor.zone`` says which zone): a month's agent summary
    reads agents × 30 rows, not agents × 2,880 (docs/kpis.md, "The engine")."""

    __tablename__ = "report_days"
    __table_args__ = (Index("ix_report_days_agent", "agent", "interval"),
                      Index("ix_report_days_queue", "queue", "interval"))

    interval: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"),
                                          primary_key=True)
    queue: Mapped[str] = mapped_column(String(64), primary_key=True)
    agent: Mapped[str] = mapped_column(String(64), primary_key=True)


class ReportCountRow(Base):
    """Counted things with a name of their own: ``kind`` pause (``key`` agent, ``sub``
    reason, ``seconds``), abandon_wait (queue, bucket), handle (agent, "queue bucket",
    ``seconds`` the calls' handle time), ivr_start / ivr_exit (flow, reason) / ivr_drop
    (flow, node)."""

    __tablename__ = "report_counts"
    __table_args__ = (Index("ix_report_counts_kind", "kind", "interval"),)   # one kind's rows

    interval: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"),
                                          primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    sub: Mapped[str] = mapped_column(String(64), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[float] = mapped_column(Double, default=0.0)


class ReportCursorRow(Base):
    """How far the summary tables are: the last ``call_events.id`` folded in and the
    fold's state then (one row, id 1), written in the same transaction as the facts, and the
    zone whose days ``report_days`` holds."""

    __tablename__ = "report_cursor"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_event_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    zone: Mapped[str | None] = mapped_column(String(64))    # of report_days (None: not built)
