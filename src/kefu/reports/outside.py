"""The figures of the KPI overview that are not in the event log: tickets (opened,
closed, overdue, complaints) and call notes (first-contact resolution, complaint notes),
read through the tickets and CRM services, never their tables.  Keyed by queue: a
ticket's group and a note's queue are queue names ("" none)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kefu.users.service import User

if TYPE_CHECKING:
    from kefu.crm.service import Crm
    from kefu.tickets.service import Tickets

# The reports run with an admin's reach; Reports narrows to the caller's queues itself.
READER = User(id=0, username="reports", display_name="系统报表", role="admin", created_at=0.0)
COMPLAINT = "complaint"          # the built-in ticket type and the default note type 投诉
RESOLVED = "resolved"            # a call note's result: solved on this contact
OUTSIDE = ("tickets_opened", "tickets_closed", "tickets_overdue", "complaint_tickets",
           "notes", "notes_resolved", "complaint_notes")
"""The measures this module adds to a queue's row (counts: they sum)."""


@dataclass(frozen=True)
class Outside:
    """The services the KPI overview reads (None: that part is left empty)."""

    tickets: "Tickets | None" = None
    crm: "Crm | None" = None

    def by_queue(self, start: float, end: float) -> dict[str, dict[str, int]]:
        """Per queue: tickets created in [start, end) (closed: of those, closed by now;
        overdue: past an SLA due time), complaint tickets, call notes written then."""
        out: dict[str, dict[str, int]] = {}

        def row(queue: str) -> dict[str, int]:
            return out.setdefault(queue, dict.fromkeys(OUTSIDE, 0))
        if self.tickets is not None:
            stats = self.tickets.stats(READER, since=start, until=end)
            for g in stats.by_group:
                r = row(g["key"] or "")
                r["tickets_opened"] += g["total"]
                r["tickets_closed"] += g["total"] - g["open"]
                r["tickets_overdue"] += g["breached"]
            for g in self.tickets.stats(READER, since=start, until=end,
                                        type=COMPLAINT).by_group:
                row(g["key"] or "")["complaint_tickets"] += g["total"]
        if self.crm is not None:
            for queue, kind, result, n in self.crm.note_results(start, end):
                r = row(queue or "")
                r["notes"] += n
                r["notes_resolved"] += n if result == RESOLVED else 0
                r["complaint_notes"] += n if kind == COMPLAINT else 0
        return out
