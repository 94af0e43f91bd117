"""Scheduled reports (定时报表): a report with its filters sent by email as an Excel file,
daily, weekly or monthly at a time of day, with a log of every delivery.

A schedule names a report and a relative period (yesterday, last week, last month: the
days before the scheduled time, in the ``[reports] timezone``); at each *slot* (its time on
its day) the report is computed by the injected ``render(name, filters)`` (the engine:
the period's first and last days added as ``from``/``to``, ISO dates, both included),
written by :mod:`kefu.reports.excel` and mailed to the recipients through kefu's one
mailer (:mod:`kefu.mail`, the ``[smtp]`` settings).

Which slot is due is :func:`due`, pure (a schedule, the time, the zone), so it is tested
with a fake clock.  A schedule remembers the last slot it handled (``done_through``): a
failed attempt (render or SMTP) is a failed delivery row and the slot stays pending, tried
again :data:`RETRY` seconds later; slots missed while kefu was down are sent in order (back
:data:`CATCH_UP` at most), each once.  The methods are synchronous (SMTP and rendering
block): the periodic :meth:`ReportSchedules.tick` runs on a worker thread.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, fields, replace
from typing import Any

from sqlalchemy.orm import Session

from kefu.mail import Attachment, DeliveryError, Mailer
from kefu.store.db import Database
from kefu.store.errors import Conflict, Invalid, NotFound
from kefu.users.service import User

from . import excel, repo
from .models import FREQUENCIES, LANGS, PERIODS, DeliveryRow, ScheduleRow
from .records import Report

log = logging.getLogger(__name__)

Render = Callable[[str, dict[str, Any]], Report]
"""The engine: a report's name and filters → the computed report."""

RETRY = 600.0
"""Seconds after a failed attempt before the same slot is tried again."""
CATCH_UP = 31 * 86400.0
"""Slots older than this when kefu looks are skipped, not sent (a server long off)."""
MAX_RECIPIENTS = 20
MAX_FILTERS = 4096           # characters of the filters as JSON
PERIOD_KEYS = ("from", "to")   # set by the period, not by the schedule's filters
ENGINE_MISSING = "the reports engine is not available: schedules cannot be made or sent"
NO_SMTP = "no mail server is configured ([smtp] host): scheduled reports cannot be sent"
_EMAIL = re.compile(r"^[^@\s,;<>\"]{1,64}@[^@\s,;<>\"]{1,255}\.[^@\s,;<>\"]+$")
_REPORT = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class Unavailable(Conflict):
    """What a schedule needs is not there (the engine, a mail server); the message says.
    A store ``Conflict``: the web layer answers it 409 with the message, as every other."""


@dataclass(frozen=True)
class Schedule:
    id: int
    report: str
    filters: dict[str, Any]
    period: str                 # yesterday | last_week | last_month
    frequency: str              # daily | weekly | monthly
    minute: int                 # of the local day
    weekday: int | None         # weekly: 0 Monday … 6 Sunday
    day: int | None             # monthly: 1 … 28
    recipients: list[str]
    lang: str
    enabled: bool
    created_by: str
    created_at: float
    updated_at: float
    done_through: float
    failed_at: float | None
    next_at: float | None = None   # the next slot (when it is sent, retries aside)

    @property
    def at(self) -> str:
        return f"{self.minute // 60:02d}:{self.minute % 60:02d}"


@dataclass(frozen=True)
class Delivery:
    id: int
    schedule_id: int
    trigger: str                # schedule | manual (send-now)
    slot: float | None
    at: float
    recipients: list[str]
    ok: bool
    error: str
    size: int
    filename: str


@dataclass(frozen=True)
class Due:
    """A slot to send now and the period its report covers (local dates, both included)."""

    slot: float
    first: dt.date
    last: dt.date


# -- the timetable (pure) ------------------------------------------------------------------

def _on(s: Schedule, day: dt.date) -> bool:
    if s.frequency == "weekly":
        return day.weekday() == s.weekday
    if s.frequency == "monthly":
        return day.day == s.day
    return True


def next_slot(s: Schedule, after: float, tz: dt.tzinfo | None) -> float:
    """The first time strictly after ``after`` the schedule fires."""
    day = dt.datetime.fromtimestamp(after, tz).date()
    for _ in range(63):          # a monthly slot is at most two months away
        if _on(s, day):
            at = dt.datetime.combine(day, dt.time(s.minute // 60, s.minute % 60),
                                     tzinfo=tz).timestamp()
            if at > after:
                return at
        day += dt.timedelta(days=1)
    raise ValueError(f"schedule {s.id} never fires")   # weekday/day out of range


def period(kind: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The days a report sent on ``today`` covers: yesterday, the Monday-to-Sunday week
    before this one, or the calendar month before this one."""
    if kind == "yesterday":
        y = today - dt.timedelta(days=1)
        return y, y
    if kind == "last_week":
        monday = today - dt.timedelta(days=today.weekday() + 7)
        return monday, monday + dt.timedelta(days=6)
    if kind == "last_month":
        last = today.replace(day=1) - dt.timedelta(days=1)
        return last.replace(day=1), last
    raise ValueError(f"unknown period {kind!r}")


def due(s: Schedule, now: float, tz: dt.tzinfo | None) -> Due | None:
    """The slot to send at ``now``, if any: the first after the last one handled (none
    older than :data:`CATCH_UP`), at or before ``now``, unless its last attempt failed
    less than :data:`RETRY` seconds ago."""
    if not s.enabled:
        return None
    slot = next_slot(s, max(s.done_through, now - CATCH_UP), tz)
    if slot > now or (s.failed_at is not None and now - s.failed_at < RETRY):
        return None
    first, last = period(s.period, dt.datetime.fromtimestamp(slot, tz).date())
    return Due(slot, first, last)


# -- the service ------------------------------------------------------------------------------

def _schedule(row: ScheduleRow) -> Schedule:
    return Schedule(**{f.name: getattr(row, f.name) for f in fields(Schedule)
                       if f.name != "next_at"})


def _delivery(row: DeliveryRow) -> Delivery:
    return Delivery(**{f.name: getattr(row, f.name) for f in fields(Delivery)})


class ReportSchedules:
    """The schedules over the shared :class:`Database`.  ``render``: the engine (None
    while there is none: schedules are refused, saying so); ``mailer``: None when no
    ``[smtp] host`` is set; ``names``: the engine's report names, to refuse unknown ones."""

    def __init__(self, db: Database, *, render: Render | None, mailer: Mailer | None,
                 tz: dt.tzinfo | None, clock: Callable[[], float] = time.time,
                 names: Callable[[], Collection[str]] | None = None) -> None:
        self._db = db
        self.render, self.mailer, self.tz, self.clock, self.names = (render, mailer, tz,
                                                                     clock, names)

    def _usable(self) -> None:
        if self.render is None:
            raise Unavailable(ENGINE_MISSING)
        if self.mailer is None:
            raise Unavailable(NO_SMTP)

    def _with_next(self, s: Schedule) -> Schedule:
        if not s.enabled:
            return s
        return replace(s, next_at=next_slot(s, max(s.done_through, self.clock() - CATCH_UP),
                                            self.tz))

    # -- reading and writing ---------------------------------------------------------------

    def all(self) -> list[Schedule]:
        with self._db.tx(write=False) as s:
            return [self._with_next(_schedule(r)) for r in repo.schedules(s)]

    def get(self, schedule_id: int) -> Schedule:
        with self._db.tx(write=False) as s:
            return self._with_next(_schedule(self._row(s, schedule_id)))

    def _row(self, s: Session, schedule_id: int) -> ScheduleRow:
        row = s.get(ScheduleRow, schedule_id)
        if row is None:
            raise NotFound(f"no report schedule {schedule_id}")
        return row

    def create(self, user: User, *, report: str, period: str, frequency: str, at: str,
               recipients: list[str], filters: dict[str, Any] | None = None,
               weekday: int | None = None, day: int | None = None, lang: str = "zh",
               enabled: bool = True) -> Schedule:
        self._usable()
        now = self.clock()
        row = ScheduleRow(report=report, filters=dict(filters or {}), period=period,
                          frequency=frequency, minute=_minute(at), weekday=weekday, day=day,
                          recipients=list(recipients), lang=lang, enabled=enabled,
                          created_by=user.username, created_at=now, updated_at=now,
                          done_through=now, failed_at=None)
        self._check(row)
        with self._db.tx() as s:
            s.add(row)
            s.flush()
            return self._with_next(_schedule(row))

    def update(self, schedule_id: int, **changes: Any) -> Schedule:
        """Change some fields; a new timetable, or enabling it again, starts from now (no
        burst of slots missed meanwhile).  Allowed without an engine or a mail server, so
        a schedule can still be turned off."""
        now = self.clock()
        with self._db.tx() as s:
            row = self._row(s, schedule_id)
            was = (row.frequency, row.minute, row.weekday, row.day, row.enabled)
            if "at" in changes:
                row.minute = _minute(changes.pop("at"))
            for key, value in changes.items():
                if key not in ("report", "filters", "period", "frequency", "weekday", "day",
                               "recipients", "lang", "enabled"):
                    raise Invalid(f"{key} cannot be changed")
                setattr(row, key, value)
            if row.frequency != "weekly":
                row.weekday = None if "weekday" not in changes else row.weekday
            if row.frequency != "monthly":
                row.day = None if "day" not in changes else row.day
            self._check(row)
            if (row.frequency, row.minute, row.weekday, row.day, row.enabled) != was:
                row.done_through, row.failed_at = max(row.done_through, now), None
            row.updated_at = now
            s.flush()
            return self._with_next(_schedule(row))

    def delete(self, schedule_id: int) -> None:
        with self._db.tx() as s:
            self._row(s, schedule_id)
            repo.delete_schedule(s, schedule_id)

    def deliveries(self, schedule_id: int, limit: int = 100) -> list[Delivery]:
        """The schedule's delivery log, newest first."""
        with self._db.tx(write=False) as s:
            self._row(s, schedule_id)
            return [_delivery(r) for r in repo.deliveries(s, schedule_id, limit)]

    def _check(self, row: ScheduleRow) -> None:
        """Every reason the schedule is not valid, as one :class:`Invalid`."""
        problems = []
        known = self.names() if self.names is not None else None
        if not _REPORT.match(row.report or ""):
            problems.append(f"report: {row.report!r} is not a report name")
        elif known is not None and row.report not in known:
            problems.append(f"report: no report {row.report!r} (known: "
                            f"{', '.join(sorted(known))})")
        for name, value, choices in (("period", row.period, PERIODS),
                                     ("frequency", row.frequency, FREQUENCIES),
                                     ("lang", row.lang, LANGS)):
            if value not in choices:
                problems.append(f"{name}: one of {', '.join(choices)}")
        if row.frequency == "weekly" and not (isinstance(row.weekday, int)
                                              and 0 <= row.weekday <= 6):
            problems.append("weekday: a weekly schedule needs one, 0 (Monday) to 6 (Sunday)")
        if row.frequency != "weekly" and row.weekday is not None:
            problems.append("weekday: only for a weekly schedule")
        if row.frequency == "monthly" and not (isinstance(row.day, int) and 1 <= row.day <= 28):
            problems.append("day: a monthly schedule needs one, 1 to 28 (every month has it)")
        if row.frequency != "monthly" and row.day is not None:
            problems.append("day: only for a monthly schedule")
        if not row.recipients:
            problems.append("recipients: at least one address")
        elif len(row.recipients) > MAX_RECIPIENTS:
            problems.append(f"recipients: at most {MAX_RECIPIENTS}")
        bad = [r for r in row.recipients if not isinstance(r, str) or not _EMAIL.match(r)]
        if bad:
            problems.append(f"recipients: not an email address: {', '.join(map(str, bad))}")
        if len(set(row.recipients)) != len(row.recipients):
            problems.append("recipients: an address is given twice")
        taken = [k for k in PERIOD_KEYS if k in row.filters]
        if taken:
            problems.append(f"filters: {', '.join(taken)} are set by the period")
        if len(repr(row.filters)) > MAX_FILTERS:
            problems.append(f"filters: at most {MAX_FILTERS} characters")
        if problems:
            raise Invalid("; ".join(problems))

    # -- sending ---------------------------------------------------------------------------

    def tick(self) -> list[Delivery]:
        """Send what is due (the periodic round): each schedule's pending slots in order,
        stopping at a schedule's first failure (its slot is tried again later)."""
        if self.render is None or self.mailer is None:
            return []            # nothing can be made or sent: the slots wait
        with self._db.tx(write=False) as s:
            schedules = [_schedule(r) for r in repo.schedules(s, enabled_only=True)]
        sent = []
        for sched in schedules:
            current: Schedule | None = sched
            while current is not None and (d := due(current, self.clock(), self.tz)):
                delivery = self._attempt(current, d.first, d.last, d.slot)
                sent.append(delivery)
                after = self._after(current.id, d.slot, delivery)
                current = after if delivery.ok else None    # a failed slot waits RETRY
        return sent

    def _after(self, schedule_id: int, slot: float, delivery: Delivery) -> Schedule | None:
        """The schedule moved past ``slot`` (sent) or marked as failed; None if deleted
        meanwhile."""
        with self._db.tx() as s:
            row = s.get(ScheduleRow, schedule_id)
            if row is None:
                return None
            if delivery.ok:
                row.done_through, row.failed_at = max(row.done_through, slot), None
            else:
                row.failed_at = delivery.at
            return _schedule(row)

    def send_now(self, schedule_id: int) -> Delivery:
        """Send the report for the period as of today, now, outside the timetable (the
        timetable is untouched)."""
        self._usable()
        sched = self.get(schedule_id)
        first, last = period(sched.period, dt.datetime.fromtimestamp(self.clock(), self.tz)
                             .date())
        return self._attempt(sched, first, last, None)

    def _attempt(self, sched: Schedule, first: dt.date, last: dt.date,
                 slot: float | None) -> Delivery:
        """Render, write and mail the report; the delivery row says how it went."""
        at = self.clock()
        name, size, error = "", 0, ""
        try:
            if self.render is None:
                raise DeliveryError(ENGINE_MISSING)
            if self.mailer is None:
                raise DeliveryError(NO_SMTP)
            lang: excel.Lang = "en" if sched.lang == "en" else "zh"
            report = self.render(sched.report, {**sched.filters, "from": first.isoformat(),
                                                "to": last.isoformat()})
            data = excel.to_bytes(report, lang=lang, tz=self.tz,
                                  made_at=dt.datetime.fromtimestamp(at, self.tz))
            name, size = excel.filename(report, lang, last), len(data)
            subject, body = _mail_text(report, lang, first, last)
            self.mailer.deliver(self.mailer.message(
                sched.recipients, subject, body,
                attachments=[Attachment(name, data, excel.MIME)]))
        except DeliveryError as e:
            error = str(e)
        except Exception as e:       # the engine or the file failed: logged, not lost
            log.exception("report schedule %d: %s failed", sched.id, sched.report)
            error = f"{type(e).__name__}: {e}"
        with self._db.tx() as s:
            row = DeliveryRow(schedule_id=sched.id, trigger="manual" if slot is None
                              else "schedule", slot=slot, at=at,
                              recipients=list(sched.recipients), ok=not error,
                              error=error[:2000], size=size, filename=name[:255])
            s.add(row)
            s.flush()
            return _delivery(row)


def _minute(at: str) -> int:
    m = re.fullmatch(r"([01]\d|2[0-3]):([0-5]\d)", at or "")
    if m is None:
        raise Invalid("at: a time of day HH:MM (00:00 to 23:59)")
    return int(m[1]) * 60 + int(m[2])


def _mail_text(report: Report, lang: str, first: dt.date, last: dt.date) -> tuple[str, str]:
    span = first.isoformat() if first == last else f"{first.isoformat()} – {last.isoformat()}"
    if lang == "en":
        return (f"{report.title_en} {span}",
                f"{report.title_en}, {span}: {len(report.rows)} rows, in the attached Excel "
                f"file (its last sheet lists the filters).\n\n-- kefu\n")
    return (f"{report.title_zh} {span}",
            f"{report.title_zh}（{span}）：共 {len(report.rows)} 行，见附件 Excel 文件"
            f"（最后一页为筛选条件）。\n\n-- kefu\n")
