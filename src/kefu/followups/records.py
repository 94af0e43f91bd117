"""What the follow-ups slice hands out: the task record, its fixed choices and its state
machine (one table of moves: every change of state goes through :func:`move`)."""

from __future__ import annotations

from dataclasses import dataclass

from kefu.store.errors import Conflict, StoreError

KINDS = ("callback", "visit")          # 回电 (a caller asked), 回访 (a return visit)
STATES = ("pending", "in_progress", "done", "failed", "cancelled")
OPEN_STATES = ("pending", "in_progress")
OUTCOMES = ("reached", "no_answer", "busy", "wrong_number", "refused", "other")
FINAL_OUTCOMES = ("reached", "wrong_number", "refused")   # no point in calling again
MAX_NOTE = 2000
MAX_OUTCOME_NOTE = 2000

# action → (the states it may start from, the state it leads to)
MOVES: dict[str, tuple[tuple[str, ...], str]] = {
    "start": (("pending",), "in_progress"),
    "done": (("in_progress",), "done"),
    "fail": (("in_progress",), "failed"),
    "reschedule": (("in_progress",), "pending"),
    "cancel": (("pending", "in_progress"), "cancelled"),
}


class Refused(StoreError):
    """The caller may not see or change this follow-up (HTTP 403)."""


def move(state: str, action: str) -> str:
    """The state ``action`` leads to from ``state``; :class:`Conflict` when it may not."""
    sources, target = MOVES[action]
    if state not in sources:
        raise Conflict(f"a {state} follow-up cannot {action} (only from "
                       f"{' or '.join(sources)})")
    return target


def after_outcome(outcome: str, attempts: int, max_attempts: int) -> str:
    """The action an attempt's outcome leads to: reached → done; a wrong number or a
    refusal → failed; no answer, busy, other → again later, failed after the last attempt."""
    if outcome == "reached":
        return "done"
    if outcome in FINAL_OUTCOMES or attempts >= max_attempts:
        return "fail"
    return "reschedule"


@dataclass(frozen=True)
class FollowUp:
    """A callback or return visit: a call to make to ``number`` by ``due_at``."""

    id: int
    kind: str
    customer_id: int | None
    number: str
    due_at: float
    assignee: str                 # a username, or "" (the group's)
    group: str                    # a queue name, or ""
    state: str
    attempts: int
    max_attempts: int
    outcome: str                  # the last attempt's, or ""
    note: str
    ticket_id: int | None
    call_id: str | None
    created_by: str
    created_at: float
    updated_at: float
    reminded: bool
    escalated: bool
    customer_name: str = ""
    overdue: bool = False         # open and past due (+ ``[followups] overdue_after``)

    @property
    def open(self) -> bool:
        return self.state in OPEN_STATES
