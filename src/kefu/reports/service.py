"""The reports service: who may run which report over what, and the report as JSON's
value or a CSV file.  The one place of the reports' access rule:

* admins: everything;
* supervisors: the queues of their group scope (``app.group_scope``: none set, all), and
  for the agent reports the agents of those queues; asking for a group or queue outside
  it is refused;
* agents: their own agent reports (agent summary, agent detail, service time) only.
"""

from __future__ import annotations

import csv
import io
import time
from typing import Any, Callable, Iterable, Mapping

from kefu.config import ReportsSettings
from kefu.store import Invalid
from kefu.store.db import Database
from kefu.store.export import safe_cell

from . import queries as q
from .catalog import CATALOG, Asked, Entry
from .filters import parse
from .outside import Outside
from .records import Report
from .summary import Days

GroupScope = Callable[[str, str], "tuple[str, ...] | None"]
Members = Callable[[Iterable[str]], Iterable[str]]


class Refused(Exception):
    """The caller may not run this report (or over these groups): a 403."""


class Reports:
    """``scope(username, role)``: the groups (queues) a user sees, None: all;
    ``members(queues)``: the agents of those queues; ``outside``: the tickets and CRM
    services the KPI overview reads."""

    def __init__(self, db: Database, settings: ReportsSettings,
                 scope: GroupScope = lambda _u, _r: None,
                 members: Members = lambda _q: (),
                 clock: Callable[[], float] = time.time,
                 outside: Outside | None = None) -> None:
        self.db = db
        self.settings = settings
        self.days = Days(settings.timezone)     # the zone's local midnights
        self.tz = self.days.tz
        self.scope = scope
        self.members = members
        self.clock = clock
        self.outside = outside or Outside()

    def catalog(self, role: str) -> list[Entry]:
        """The reports ``role`` may run."""
        return [e for e in CATALOG.values() if role in ("admin", "supervisor") or
                (role == "agent" and e.agent)]

    def names(self) -> list[str]:
        """Every report's name (the scheduled reports refuse others)."""
        return list(CATALOG)

    def render(self, name: str, filters: Mapping[str, Any]) -> Report:
        """A scheduled report (``ReportSchedules``' engine): ``filters`` as saved (lists
        or comma-separated text), with the period's ``from`` and ``to``; run with an
        admin's reach, the schedule's filters saying what it covers."""
        params = {k: ",".join(map(str, v)) if isinstance(v, (list, tuple)) else
                  None if v is None else str(v) for k, v in filters.items()}
        return self.run(name, params, "", "admin")

    def run(self, name: str, params: Mapping[str, str | None], username: str,
            role: str) -> Report:
        """Report ``name`` with the query ``params``; :class:`Refused`, ``Invalid`` (a bad
        filter) or ``KeyError`` (no such report)."""
        entry = CATALOG[name]
        filters = parse(dict(params), self.tz, self.clock())
        queues: tuple[str, ...] = tuple(dict.fromkeys(filters.queues + filters.groups))
        agents: tuple[str, ...] | None = filters.agents or None
        if role == "agent":
            if not entry.agent:
                raise Refused(f"agents may not run {name}")
            if agents and set(agents) != {username}:
                raise Refused("an agent sees its own figures only")
            agents = (username,)
        elif role == "supervisor":
            allowed = self.scope(username, role)
            if allowed is not None:
                outside = [g for g in queues if g not in allowed]
                if outside:
                    raise Refused(f"group {outside[0]!r} is not one of yours")
                queues = queues or tuple(allowed)
                if entry.agent or entry.members:
                    theirs = set(self.members(queues))
                    agents = tuple(a for a in (agents or sorted(theirs)) if a in theirs)
        elif role != "admin":
            raise Refused(f"role {role} may not run reports")
        if filters.groups and (entry.agent or entry.members) and role != "agent" \
                and agents is None:
            agents = tuple(sorted(set(self.members(queues))))
        whole_days = (self.days(filters.start) == filters.start
                      and self.days(filters.end) == filters.end)
        with self.db.tx(write=False) as s:
            daily = whole_days and q.days_zone(s) == self.settings.timezone
            return entry.run(s, Asked(filters, queues, agents, self.tz, self.outside, daily))


def to_csv(report: Report, lang: str = "zh") -> str:
    """The report as CSV: a header of the column labels, the rows, the totals row; every
    text cell made safe for spreadsheets (:func:`kefu.store.export.safe_cell`)."""
    out = io.StringIO()
    writer = csv.writer(out)
    cols = report.columns
    writer.writerow([c.label_zh if lang == "zh" else c.label_en for c in cols])

    def cell(value: Any) -> str:
        return "" if value is None else safe_cell(str(value))
    for row in report.rows:
        writer.writerow([cell(row.get(c.key)) for c in cols])
    if report.totals is not None:
        first = "合计" if lang == "zh" else "Total"
        writer.writerow([first] + [cell(report.totals.get(c.key)) for c in cols[1:]])
    return out.getvalue()


__all__ = ["Invalid", "Outside", "Refused", "Reports", "to_csv"]
