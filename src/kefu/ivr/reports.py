"""IVR statistics over the stored events: :mod:`kefu.ivr.stats` fed from ``call_events``.

A range is read chunk by chunk (:data:`CHUNK` events a read transaction, on the ``ts``
index), so a month streams through the fold without loading at once; a range is at most
:data:`MAX_DAYS` days and :data:`MAX_INTERVALS` intervals (a 15-minute breakdown covers a
month).  The CSV export is the same report in long form: one row a figure.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from kefu.store.db import Database
from kefu.store.errors import Invalid
from kefu.store.export import safe_cell

from . import repo
from .flowstore import check_name
from .stats import (COUNTS, INTERVALS, LENGTH, NODE_COUNTS, Bucket, Figures, Interval, Tally,
                    local_zone, only_flow, whole)

MAX_DAYS = 93
MAX_INTERVALS = 3000
CHUNK = 5000
CSV_COLUMNS = ("interval_start", "interval_end", "flow", "measure", "node", "key", "to", "value")
ALL_FLOWS = "*"


@dataclass(frozen=True)
class Report:
    start: float
    end: float
    interval: Interval
    flow: str | None
    zone: str                 # the server's time zone the intervals are in
    intervals: list[Bucket]   # those with events, oldest first
    whole: Bucket             # the whole range


def check_range(start: float, end: float, interval: str, flow: str | None) -> None:
    """Invalid (422) unless the range is sane and small enough."""
    if interval not in INTERVALS:
        raise Invalid(f"interval must be one of {', '.join(INTERVALS)}, not {interval!r}")
    if not end > start:
        raise Invalid("end must be after start")
    if end - start > MAX_DAYS * 86400:
        raise Invalid(f"a range is at most {MAX_DAYS} days")
    if (end - start) / LENGTH[interval] > MAX_INTERVALS:
        raise Invalid(f"at most {MAX_INTERVALS} intervals: "
                      f"{(end - start) / LENGTH[interval]:.0f} of {interval} asked; "
                      "take a longer interval or a shorter range")
    if flow is not None:
        check_name(flow)


class Statistics:
    """The IVR statistics over the shared :class:`Database`."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def events(self, start: float, end: float,
               chunk: int = CHUNK) -> Iterator[tuple[str, str | None, float, Mapping[str, Any]]]:
        """The ``ivr.*`` events of ``[start, end)``, oldest first, a chunk at a time."""
        after: repo.EventKey | None = None
        while True:
            with self._db.tx(write=False) as s:
                rows = repo.ivr_events(s, start, end, after, chunk)
            for _id, ts, call_id, type_, data in rows:
                yield type_, call_id, ts, data
            if len(rows) < chunk:
                return
            after = (rows[-1][1], rows[-1][0])

    def report(self, start: float, end: float, interval: Interval,
               flow: str | None = None) -> Report:
        check_range(start, end, interval, flow)
        t = Tally(interval)
        for event in self.events(start, end):
            t.add(*event)
        buckets = t.buckets()
        if flow is not None:
            buckets = only_flow(buckets, flow)
        total = whole(buckets, start, end)
        return Report(start, end, interval, flow, local_zone(start), buckets, total)

    def export_csv(self, start: float, end: float, interval: Interval,
                   flow: str | None = None) -> str:
        """The report, one row a figure (``flow`` ``*``: every flow together)."""
        report = self.report(start, end, interval, flow)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for b in report.intervals:
            when = (_local(b.start), _local(b.end))
            if flow is None:
                writer.writerows((*when, ALL_FLOWS, *row) for row in _rows(b.total))
            for name in sorted(b.flows):
                writer.writerows((*when, name, *row) for row in _rows(b.flows[name]))
        return out.getvalue()


def _local(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts).astimezone().isoformat(timespec="minutes")


def _rows(fig: Figures) -> Iterator[tuple[str, str, str, str, object]]:
    """(measure, node, key, to, value) of one flow's (or all flows') figures."""
    for name in COUNTS:
        yield name, "", "", "", getattr(fig, name)
    yield "completion_rate", "", "", "", "" if fig.completion_rate is None else fig.completion_rate
    yield "survey_average", "", "", "", "" if fig.survey_average is None else fig.survey_average
    for reason, n in sorted(fig.exits.items()):
        yield "exit", "", reason, "", n
    for queue, n in sorted(fig.queues.items()):
        yield "queue", "", safe_cell(queue), "", n
    for node, nf in sorted(fig.nodes.items()):
        for name in NODE_COUNTS:
            yield f"node_{name}", node, nf.type, "", getattr(nf, name)
    for (node, key, to), n in sorted(fig.choices.items()):
        yield "choice", node, key, to, n
