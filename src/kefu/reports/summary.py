"""The summary tables kept in step with the event log.

:class:`Summaries` folds ``call_events`` rows after its cursor (the last event id folded)
into ``report_facts`` and ``report_counts`` and moves the cursor, with the fold's state,
in the same transaction: an event is counted exactly once whether it comes live
(``EventLog.after_write``, on the event log's thread), at the catch-up at start, or
twice (a crash between the two).  The live path does not trust the event it is handed
(it has no id): it reads what was written since the cursor, so every path is one path.

The same facts are added, rolled up per local day of the reports' zone, to
``report_days`` in the same transaction; the cursor names that zone, and a start with
another zone (or the first start after the table came) rebuilds the days from
``report_facts`` before folding on.
"""

from __future__ import annotations

import copy
import logging
import threading
from datetime import datetime
from typing import Any, Callable

from sqlalchemy import case, delete, select
from sqlalchemy.orm import Session

from kefu.bus import Event
from kefu.store.db import Database
from kefu.store.models import CallEventRow

from .filters import zone
from .fold import COUNTS, MAXIMA, MEASURES, SECONDS, FactKey, Facts, Fold
from .models import ReportCountRow, ReportCursorRow, ReportDayRow, ReportFactRow

log = logging.getLogger(__name__)

CHUNK = 20_000          # events read and folded per transaction
FOLDED = ("call.", "queue.", "agent.", "ivr.")


class Days:
    """The local midnight of an interval in the reports' zone (``name`` as configured,
    "": the server's), remembered per interval."""

    def __init__(self, name: str = "") -> None:
        self.name, self.tz = name, zone(name)
        self._seen: dict[int, int] = {}

    def __call__(self, ts: float) -> int:
        key = int(ts)
        day = self._seen.get(key)
        if day is None:
            at = datetime.fromtimestamp(key, self.tz)
            day = int(at.replace(hour=0, minute=0, second=0, microsecond=0).timestamp())
            if len(self._seen) > 100_000:
                self._seen.clear()
            self._seen[key] = day
        return day


class Summaries:
    """``sl_seconds(queue)`` and ``short_abandon`` as :class:`~kefu.reports.fold.Fold`;
    ``days`` the zone of ``report_days``."""

    def __init__(self, db: Database, sl_seconds: Callable[[str], float],
                 short_abandon: float, days: Days | None = None) -> None:
        self.db = db
        self.sl_seconds = sl_seconds
        self.short_abandon = short_abandon
        self.days = days or Days()
        self._lock = threading.Lock()       # the live path and a catch-up never interleave
        self._pending = threading.Event()   # an event came while the lock was held
        self._stopping = threading.Event()
        self._days_checked = False
        self._catch_up: threading.Thread | None = None

    def on_event(self, event: Event) -> None:
        """``EventLog.after_write``: fold whatever was written since the cursor — at
        once, or by whoever holds the lock (a catch-up) when it has done: the event
        log's thread never waits for a catch-up."""
        if event.type.startswith(FOLDED):
            self._pending.set()
            self._drain()

    def start(self) -> threading.Thread:
        """Catch up in a thread of its own (the first start may fold a long log): reports
        read what is folded so far meanwhile."""
        self._catch_up = threading.Thread(target=self.sync, name="reports-catch-up",
                                          daemon=True)
        self._catch_up.start()
        return self._catch_up

    def stop(self) -> None:
        """Stop a catch-up between two chunks (each its own transaction) and wait for it."""
        self._stopping.set()
        if self._catch_up is not None:
            self._catch_up.join()

    def sync(self, chunk: int = CHUNK) -> int:
        """Fold every event after the cursor; how many were folded."""
        with self._lock:
            total = self._fold(chunk)
        if total:
            log.info("reports: %d logged events folded into the summary tables", total)
        return total + self._drain()

    def _drain(self) -> int:
        """Fold while events came and nobody else holds the lock (checked again after
        each release: an event flagged during a fold is never left behind)."""
        total = 0
        while self._pending.is_set() and self._lock.acquire(blocking=False):
            try:
                self._pending.clear()
                total += self._fold(CHUNK)
            finally:
                self._lock.release()
        return total

    def _fold(self, chunk: int) -> int:
        if not self._days_checked:
            self._check_days()
        total = 0
        while not self._stopping.is_set():
            n = self._step(chunk)
            total += n
            if n < chunk:
                break
        return total

    def _step(self, chunk: int) -> int:
        with self.db.tx() as s:
            cursor = s.get(ReportCursorRow, 1)
            after = cursor.last_event_id if cursor is not None else 0
            rows = s.execute(select(CallEventRow.id, CallEventRow.type, CallEventRow.call_id,
                                    CallEventRow.data, CallEventRow.ts)
                             .where(CallEventRow.id > after).order_by(CallEventRow.id)
                             .limit(chunk)).all()
            if not rows:
                return 0
            fold = Fold(self.sl_seconds, self.short_abandon,
                        copy.deepcopy(cursor.state) if cursor is not None else None)
            for row in rows:
                try:
                    fold.apply(Event(row.type, row.call_id, row.data or {}, row.ts))
                except (KeyError, TypeError, ValueError):    # a malformed old event
                    log.warning("reports: event %d (%s) not folded", row.id, row.type)
            self.write(s, fold.take())
            state = fold.state
            if cursor is None:
                s.add(ReportCursorRow(id=1, last_event_id=rows[-1].id, state=state,
                                      zone=self.days.name))
            else:
                cursor.last_event_id, cursor.state = rows[-1].id, state
            return len(rows)

    def _check_days(self) -> None:
        """Rebuild ``report_days`` from ``report_facts`` when they are of another zone."""
        with self.db.tx() as s:
            cursor = s.get(ReportCursorRow, 1)
            if cursor is not None and cursor.zone != self.days.name:
                n = self.rebuild_days(s)
                cursor.zone = self.days.name
                log.info("reports: report_days rebuilt for zone %r from %d fact rows",
                         self.days.name or "(server)", n)
        self._days_checked = True

    def rebuild_days(self, s: Session) -> int:
        """``report_days`` anew from ``report_facts``; how many fact rows were read."""
        s.execute(delete(ReportDayRow))
        table = ReportFactRow.__table__
        rows: dict[FactKey, dict[str, float]] = {}
        n = 0
        for row in s.execute(select(table)).mappings():
            n += 1
            _roll(rows, (self.days(row["interval"]), row["queue"], row["agent"]), row)
        self._upsert(s, ReportDayRow.__table__, rows)
        return n

    def write(self, s: Session, facts: Facts) -> None:
        """Add ``facts`` to the tables (sums added, maxima kept): per interval, and per
        local day."""
        if facts.rows:
            self._upsert(s, ReportFactRow.__table__, facts.rows)
            days: dict[FactKey, dict[str, float]] = {}
            for (interval, queue, agent), row in facts.rows.items():
                _roll(days, (self.days(interval), queue, agent), row)
            self._upsert(s, ReportDayRow.__table__, days)
        if facts.counts:
            table = ReportCountRow.__table__
            values = [{"interval": k[0], "kind": k[1], "key": k[2], "sub": k[3],
                       "n": int(c[0]), "seconds": c[1]} for k, c in facts.counts.items()]
            stmt = self.db.insert(table)
            ex = stmt.excluded
            for part in _chunks(values, 500):
                s.execute(stmt.on_conflict_do_update(
                    index_elements=["interval", "kind", "key", "sub"],
                    set_={"n": table.c.n + ex.n, "seconds": table.c.seconds + ex.seconds}),
                    part)

    def _upsert(self, s: Session, table: Any, rows: dict[FactKey, dict[str, float]]) -> None:
        """Add ``rows`` (key → measures) to a fact table."""
        if not rows:
            return
        values = [{"interval": k[0], "queue": k[1], "agent": k[2],
                   **{m: row.get(m, 0) for m in MEASURES}} for k, row in rows.items()]
        stmt = self.db.insert(table)
        ex = stmt.excluded
        sets: dict[str, Any] = {m: table.c[m] + ex[m] for m in COUNTS + SECONDS}
        sets.update({m: case((ex[m] > table.c[m], ex[m]), else_=table.c[m]) for m in MAXIMA})
        for part in _chunks(values, 500):
            s.execute(stmt.on_conflict_do_update(
                index_elements=["interval", "queue", "agent"], set_=sets), part)


def _roll(into: dict[FactKey, dict[str, float]], key: FactKey, row: Any) -> None:
    """Add a row's measures to ``into[key]`` (maxima kept)."""
    acc = into.get(key)
    if acc is None:
        into[key] = {m: row.get(m, 0) or 0 for m in MEASURES}
        return
    for m in COUNTS + SECONDS:
        acc[m] += row.get(m, 0) or 0
    for m in MAXIMA:
        acc[m] = max(acc[m], row.get(m, 0) or 0)


def _chunks(values: list[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    return [values[i:i + size] for i in range(0, len(values), size)]
