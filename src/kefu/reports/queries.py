"""The reports' queries over the summary tables, the CDRs and the event log: sums (a month is
thousands of rows, summed by the database), and the detail reports' rows from the CDRs
and the event log."""

from __future__ import annotations

from typing import Any, Sequence

from sqlalchemy import ColumnElement, ColumnCollection, case, func, or_, select
from sqlalchemy.orm import Session

from kefu.store.models import CallEventRow, CallRow, ExtensionRow

from .fold import ALL, COUNTS, MAXIMA, SECONDS
from .models import ReportCountRow, ReportCursorRow, ReportDayRow, ReportFactRow

F = ReportFactRow.__table__.c
DAYS = ReportDayRow.__table__.c      # the same columns, one row per local day
C = ReportCountRow.__table__.c
DETAIL_LIMIT = 5000          # rows of a detail report (the page says when there are more)
EVENTS_LIMIT = 200_000       # events the agent detail reads at most


def fact_where(start: float, end: float, queues: Sequence[str] = (),
               agents: Sequence[str] | None = None, per_agent: bool = False,
               agent_time: bool = False, table: ColumnCollection[str, Any] = F,
               ) -> list[ColumnElement[bool]]:
    """Rows of intervals starting in [start, end).  ``per_agent``: the agents' rows, else
    the all-agents rows (:data:`~kefu.reports.fold.ALL`); ``queues``: those queues' rows
    (``agent_time``: and the agents' clock-time rows, which have no queue); ``agents``:
    only theirs; ``table``: the columns of ``report_facts`` or of :data:`DAYS`."""
    T = table
    where: list[ColumnElement[bool]] = [T.interval >= start, T.interval < end,
                                        T.agent != ALL if per_agent else T.agent == ALL]
    if queues:
        where.append(or_(T.queue.in_(queues), T.queue == "") if agent_time
                     else T.queue.in_(queues))
    if agents is not None:
        where.append(T.agent.in_(agents))
    return where


def sums(s: Session, where: list[ColumnElement[bool]], by: Sequence[str],
         table: ColumnCollection[str, Any] = F,
         hours: int | None = None) -> list[dict[str, Any]]:
    """The measures summed per ``by`` (columns of ``report_facts`` or :data:`DAYS`);
    ``hours``: ``interval`` cut to the hour by the database, in a zone this many seconds
    off UTC (a month's hourly report then reads 720 rows, not 2,880)."""
    cols = [table[name] if name != "interval" or hours is None else
            (table.interval - (table.interval + hours) % 3600).label("interval")
            for name in by]
    measures = [func.coalesce(func.sum(table[m]), 0).label(m) for m in COUNTS + SECONDS]
    measures += [func.coalesce(func.max(table[m]), 0).label(m) for m in MAXIMA]
    rows = s.execute(select(*cols, *measures).where(*where).group_by(*cols)).mappings()
    return [dict(r) for r in rows]


def days_zone(s: Session) -> str | None:
    """The zone whose local days ``report_days`` holds (None: not built yet)."""
    return s.execute(select(ReportCursorRow.zone).where(ReportCursorRow.id == 1)).scalar()


def counts(s: Session, kind: str, start: float, end: float, keys: Sequence[str] = (),
           by_interval: bool = False) -> list[dict[str, Any]]:
    """``report_counts`` of ``kind`` summed per (key, sub) (and interval)."""
    cols = [C.key, C.sub] + ([C.interval] if by_interval else [])
    where = [C.kind == kind, C.interval >= start, C.interval < end]
    if keys:
        where.append(C.key.in_(keys))
    rows = s.execute(select(*cols, func.sum(C.n).label("n"),
                            func.sum(C.seconds).label("seconds"))
                     .where(*where).group_by(*cols)).mappings()
    return [dict(r) for r in rows]


def extensions(s: Session) -> list[str]:
    return list(s.scalars(select(ExtensionRow.number).order_by(ExtensionRow.number)))


def extension_traffic(s: Session, start: float, end: float,
                      numbers: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Per extension: calls it made and received (internal: both ends extensions),
    answered, and talk time, from the CDRs that started in [start, end)."""
    local = CallRow.caller.in_(numbers)
    local_callee = CallRow.callee.in_(numbers)
    answered = case((CallRow.answer_ts.is_not(None), 1), else_=0)
    when = [CallRow.start_ts >= start, CallRow.start_ts < end]
    out: dict[str, dict[str, Any]] = {}
    for party, other in ((CallRow.caller, local_callee), (CallRow.callee, local)):
        rows = s.execute(
            select(party.label("number"), func.count().label("n"),
                   func.sum(case((other, 1), else_=0)).label("internal"),
                   func.sum(answered).label("answered"),
                   func.coalesce(func.sum(CallRow.duration), 0.0).label("talk"))
            .where(*when, party.in_(numbers)).group_by(party))
        for r in rows:
            row = out.setdefault(r.number, {"extension": r.number, "calls_in": 0,
                                            "calls_out": 0, "internal": 0, "answered": 0,
                                            "missed": 0, "talk": 0.0})
            internal = int(r.internal or 0)
            row["internal"] += internal
            row["talk"] += float(r.talk or 0.0)
            if party is CallRow.caller:
                row["calls_out"] += r.n - internal
            else:
                row["calls_in"] += r.n - internal
                row["answered"] += int(r.answered or 0)
                row["missed"] += r.n - int(r.answered or 0)
    return out


def cdrs(s: Session, start: float, end: float, numbers: Sequence[str]) -> list[CallRow]:
    """The calls that started in [start, end) made or received by ``numbers`` (any: all)."""
    query = select(CallRow).where(CallRow.start_ts >= start, CallRow.start_ts < end)
    if numbers:
        query = query.where(or_(CallRow.caller.in_(numbers), CallRow.callee.in_(numbers)))
    return list(s.scalars(query.order_by(CallRow.start_ts).limit(DETAIL_LIMIT + 1)))


AGENT_EVENTS = ("queue.connect", "queue.complete", "queue.ring_no_answer", "agent.state",
                "queue.callback_connect")


def agent_events(s: Session, start: float, end: float) -> list[CallEventRow]:
    """The events of the agent detail report logged in [start, end), in log order."""
    return list(s.scalars(select(CallEventRow)
                          .where(CallEventRow.ts >= start, CallEventRow.ts < end,
                                 CallEventRow.type.in_(AGENT_EVENTS))
                          .order_by(CallEventRow.id).limit(EVENTS_LIMIT)))

