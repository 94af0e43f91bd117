"""The reports' summary tables, on the store's declarative base: the facts of
:mod:`kefu.reports.fold` per 15-minute interval, kept up to date as events arrive
(:mod:`kefu.reports.summary`), so that a month's report reads thousands of rows, not
millions of events."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Double, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kefu.store.models import Base

from .fold import COUNTS, MAXIMA, SECONDS


class ReportFactRow(Base):
    """Sums per (interval, queue, agent); queue "" is none (an agent's clock time), agent
    "*" every agent's and none (a queue's figures in one row per interval).  The measure columns are added below from
    :data:`kefu.reports.fold.MEASURES`: one list, the fold's and the table's."""

    __tablename__ = "report_facts"
    __table_args__ = (Index("ix_report_facts_agent", "agent", "interval"),
                      Index("ix_report_facts_queue", "queue", "interval"))

    interval: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"),
                                          primary_key=True)
    queue: Mapped[str] = mapped_column(String(64), primary_key=True)
    agent: Mapped[str] = mapped_column(String(64), primary_key=True)
    for _name in COUNTS:            # the class body's namespace is a dict: one column each
        locals()[_name] = mapped_column(Integer, nullable=False, default=0)
    for _name in SECONDS + MAXIMA:
        locals()[_name] = mapped_column(Double, nullable=False, default=0.0)
    del _name


class ReportCountRow(Base):
    """Counted things with a name of their own: ``kind`` pause (``key`` agent, ``sub``
    reason, ``seconds``), abandon_wait (queue, bucket), ivr_start / ivr_exit (flow,
    reason) / ivr_drop (flow, node)."""

    __tablename__ = "report_counts"

    interval: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"),
                                          primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    sub: Mapped[str] = mapped_column(String(64), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[float] = mapped_column(Double, default=0.0)


class ReportCursorRow(Base):
    """How far the summary tables are: the last ``call_events.id`` folded in and the
    fold's state then (one row, id 1), written in the same transaction as the facts."""

    __tablename__ = "report_cursor"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_event_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
