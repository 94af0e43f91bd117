"""The summary tables kept in step with the event log.

:class:`Summaries` folds ``call_events`` rows after its cursor (the last event id folded)
into ``report_facts`` and ``report_counts`` and moves the cursor, with the fold's state,
in the same transaction: an event is counted exactly once whether it comes live
(``EventLog.after_write``, on the event log's thread), at the catch-up at start, or
twice (a crash between the two).  The live path does not trust the event it is handed
(it has no id): it reads what was written since the cursor, so every path is one path.
"""

from __future__ import annotations

import copy
import logging
import threading
from typing import Any, Callable

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from kefu.bus import Event
from kefu.store.db import Database
from kefu.store.models import CallEventRow

from .fold import COUNTS, MAXIMA, SECONDS, Facts, Fold
from .models import ReportCountRow, ReportCursorRow, ReportFactRow

log = logging.getLogger(__name__)

CHUNK = 20_000          # events read and folded per transaction
FOLDED = ("call.", "queue.", "agent.", "ivr.")


class Summaries:
    """``sl_seconds(queue)`` and ``short_abandon`` as :class:`~kefu.reports.fold.Fold`."""

    def __init__(self, db: Database, sl_seconds: Callable[[str], float],
                 short_abandon: float) -> None:
        self.db = db
        self.sl_seconds = sl_seconds
        self.short_abandon = short_abandon
        self._lock = threading.Lock()       # the live path and a catch-up never interleave

    def on_event(self, event: Event) -> None:
        """``EventLog.after_write``: fold whatever was written since the cursor."""
        if event.type.startswith(FOLDED):
            self.sync()

    def sync(self, chunk: int = CHUNK) -> int:
        """Fold every event after the cursor; how many were folded."""
        total = 0
        with self._lock:
            while True:
                n = self._step(chunk)
                total += n
                if n < chunk:
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
                s.add(ReportCursorRow(id=1, last_event_id=rows[-1].id, state=state))
            else:
                cursor.last_event_id, cursor.state = rows[-1].id, state
            return len(rows)

    def write(self, s: Session, facts: Facts) -> None:
        """Add ``facts`` to the tables (sums added, maxima kept)."""
        if facts.rows:
            table = ReportFactRow.__table__
            values = [{"interval": k[0], "queue": k[1], "agent": k[2],
                       **{m: row.get(m, 0) for m in COUNTS + SECONDS + MAXIMA}}
                      for k, row in facts.rows.items()]
            stmt = self.db.insert(table)
            ex = stmt.excluded
            sets: dict[str, Any] = {m: table.c[m] + ex[m] for m in COUNTS + SECONDS}
            sets.update({m: case((ex[m] > table.c[m], ex[m]), else_=table.c[m])
                         for m in MAXIMA})
            for part in _chunks(values, 500):
                s.execute(stmt.on_conflict_do_update(
                    index_elements=["interval", "queue", "agent"], set_=sets), part)
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


def _chunks(values: list[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    return [values[i:i + size] for i in range(0, len(values), size)]
