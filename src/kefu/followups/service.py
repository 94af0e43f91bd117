"""The follow-ups slice's public face (回访, 回电): callbacks and return visits on a
customer, for an agent or a group (a queue name), with reminders before they fall due,
escalation once overdue and the outcome of each call attempt.

Whose follow-ups a user sees is the injected ``scope`` (``kefu.app.group_scope``): an
admin every one; a supervisor those of their groups (all when none are set); an agent
those assigned to them or created by them and the unassigned ones of their groups.
Every method is one transaction; the bus events (``followup.*``) go out after it.
Methods are synchronous, asyncio callers run them in a worker thread.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from kefu.bus import Event
from kefu.config import FollowupsSettings
from kefu.crm.service import Crm, TimelineEntry
from kefu.events import FollowupChanged, FollowupDue, FollowupOverdue, event
from kefu.store.checks import MAX_USERNAME, check_choice, check_text
from kefu.store.db import Database
from kefu.store.errors import Conflict, Invalid, NotFound
from kefu.users.service import User, Users

from . import repo
from .models import FollowUpRow
from .records import (FINAL_OUTCOMES, KINDS, MAX_NOTE, OUTCOMES, STATES, FollowUp, Refused,
                      after_outcome, move)

__all__ = ["FollowUp", "Followups", "Refused"]

Scope = Callable[[str, str], "tuple[str, ...] | None"]
MAX_GROUP = 64
MAX_CALL_ID = 128
MAX_LIMIT = 500
YEAR = 366 * 86400.0


def _everyone(_username: str, _role: str) -> tuple[str, ...] | None:
    return None


class Followups:
    """Follow-up tasks over the shared :class:`Database`; customers from the CRM."""

    def __init__(self, db: Database, crm: Crm, users: Users,
                 settings: FollowupsSettings | None = None, *, scope: Scope = _everyone,
                 publish: Callable[[Event], None] = lambda _e: None,
                 clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._crm = crm
        self._users = users
        self.settings = settings or FollowupsSettings()
        self._scope = scope
        self.publish = publish
        self._clock = clock

    # --- who sees what -------------------------------------------------------------------
    def _seen(self, user: User) -> repo.Seen:
        if user.role == "admin":
            return repo.Seen(user.username, True)
        if user.role == "supervisor":
            groups = self._scope(user.username, user.role)
            return repo.Seen(user.username, groups is None, tuple(groups or ()))
        if user.role == "agent":
            return repo.Seen(user.username, False, tuple(self._scope(user.username, "agent") or ()),
                             own_groups_unassigned=True)
        raise Refused(f"a {user.role} user has no follow-ups")

    def _load(self, s: Session, user: User, followup_id: int) -> FollowUpRow:
        """The row if ``user`` sees it: NotFound both when it does not exist and when it
        is someone else's (an id says nothing about whose work it is)."""
        seen = self._seen(user)
        row = s.get(FollowUpRow, followup_id)
        if row is None or not repo.sees(s, seen, followup_id):
            raise NotFound(f"follow-up {followup_id} does not exist")
        return row

    def _check_user(self, assignee: str | None) -> None:
        """An assignee is a user (asked before a transaction of ours opens: never two)."""
        if assignee and self._users.missing_users([assignee]):
            raise Invalid(f"assignee {assignee} is not a user")

    def _check_target(self, user: User, assignee: str, group: str) -> None:
        """Whom a follow-up may be given to by ``user``: someone or a group (one of
        theirs unless they see every group; an agent only themselves)."""
        check_text("assignee", assignee, MAX_USERNAME)
        check_text("group", group, MAX_GROUP)
        if not assignee and not group:
            raise Invalid("a follow-up needs an assignee or a group")
        seen = self._seen(user)
        if seen.everything:
            return
        if user.role == "agent" and assignee not in ("", user.username):
            raise Refused("an agent gives follow-ups only to themselves or to a group")
        if group and group not in seen.groups:
            raise Refused(f"group {group} is not one of yours")

    # --- reading -------------------------------------------------------------------------
    def get(self, user: User, followup_id: int) -> FollowUp:
        with self._db.tx(write=False) as s:
            row = self._load(s, user, followup_id)
            found = repo.to_followup(row)
        return self._dressed([found])[0]

    def find(self, user: User, *, mine: bool = False, state: str | None = None,
             kind: str | None = None, due_before: float | None = None,
             group: str | None = None, customer_id: int | None = None,
             ticket_id: int | None = None, limit: int = 50,
             offset: int = 0) -> tuple[list[FollowUp], int]:
        """A page of what ``user`` sees (``mine``: assigned to them), soonest due first,
        and the total."""
        if state is not None:
            check_choice("state", state, STATES)
        if kind is not None:
            check_choice("kind", kind, KINDS)
        if not 1 <= limit <= MAX_LIMIT or offset < 0:
            raise Invalid(f"limit must be 1-{MAX_LIMIT} and offset >= 0")
        where = [repo.visible(self._seen(user))]
        if mine:
            where.append(FollowUpRow.assignee == user.username)
        if state is not None:
            where.append(FollowUpRow.state == state)
        if kind is not None:
            where.append(FollowUpRow.kind == kind)
        if due_before is not None:
            where.append(FollowUpRow.due_at < due_before)
        if group is not None:
            where.append(FollowUpRow.group == group)
        if customer_id is not None:
            where.append(FollowUpRow.customer_id == customer_id)
        if ticket_id is not None:
            where.append(FollowUpRow.ticket_id == ticket_id)
        with self._db.tx(write=False) as s:
            rows, total = repo.search(s, where, limit, offset)
            found = [repo.to_followup(r) for r in rows]
        return self._dressed(found), total

    def _dressed(self, found: Sequence[FollowUp]) -> list[FollowUp]:
        """With the customer's name as it is now and whether each is overdue."""
        names: dict[int, str] = {}
        for cid in {f.customer_id for f in found if f.customer_id is not None}:
            customer = self._crm.get_customer(cid)
            names[cid] = customer.name if customer else ""
        now = self._clock()
        late = self.settings.overdue_after
        return [replace(f, customer_name=names.get(f.customer_id or 0, ""),
                         overdue=f.open and now > f.due_at + late) for f in found]

    # --- creating ------------------------------------------------------------------------
    def create(self, user: User, *, kind: str, number: str, due_at: float,
               customer_id: int | None = None, assignee: str | None = None,
               group: str = "", note: str = "", ticket_id: int | None = None) -> FollowUp:
        """A follow-up made on the screen; an agent's is their own unless given to a group."""
        if assignee is None:
            assignee = user.username if user.role == "agent" and not group else ""
        self._check_target(user, assignee, group)
        self._check_user(assignee)
        if customer_id is None:
            found = self._crm.find_customer_by_number(number) if isinstance(number, str) else None
            customer_id = found.id if found else None
        elif self._crm.get_customer(customer_id) is None:
            raise Invalid(f"customer {customer_id} does not exist")
        return self.schedule(kind=kind, customer_id=customer_id, number=number, due_at=due_at,
                             assignee=assignee, group=group, note=note, ticket_id=ticket_id,
                             by=user.username)

    def schedule(self, *, kind: str = "visit", customer_id: int | None, number: str,
                 due_at: float, assignee: str = "", group: str = "", note: str = "",
                 ticket_id: int | None = None, by: str, s: Session | None = None) -> FollowUp:
        """A follow-up another slice asks for (a ticket entering its 回访 state): inside
        the caller's transaction when it passes its session ``s``.  No visibility check:
        the caller decided."""
        check_choice("kind", kind, KINDS)
        phone = self._crm.phone(number).number
        _check_time("due_at", due_at)
        check_text("note", note, MAX_NOTE)
        check_text("created_by", by, MAX_USERNAME, required=True)
        check_text("assignee", assignee, MAX_USERNAME)
        check_text("group", group, MAX_GROUP)
        if not assignee and not group:
            raise Invalid("a follow-up needs an assignee or a group")
        if s is None:
            self._check_user(assignee)
        now = self._clock()
        row = FollowUpRow(kind=kind, customer_id=customer_id, number=phone, due_at=due_at,
                          assignee=assignee, group=group, state="pending", attempts=0,
                          max_attempts=self.settings.max_attempts, outcome="", note=note,
                          ticket_id=ticket_id, call_id=None, created_by=by, created_at=now,
                          updated_at=now, reminded=False, escalated=False)
        if s is not None:           # the event once the caller's transaction commits
            s.add(row)
            s.flush()
            made = repo.to_followup(row)
            sa_event.listen(s, "after_commit", lambda _s: self._changed(made, "created"),
                            once=True)
            return made
        with self._db.tx() as own:
            own.add(row)
            own.flush()
            made = repo.to_followup(row)
        self._changed(made, "created")
        return self._dressed([made])[0]

    # --- working on one ------------------------------------------------------------------
    def start(self, user: User, followup_id: int) -> FollowUp:
        """An attempt begins (the page then dials): in progress, one attempt more; an
        unassigned one becomes the caller's."""
        with self._db.tx() as s:
            row = self._load(s, user, followup_id)
            if row.assignee and row.assignee != user.username and user.role == "agent":
                raise Refused(f"follow-up {followup_id} is {row.assignee}'s")
            row.state = move(row.state, "start")
            row.attempts += 1
            row.assignee = row.assignee or user.username
            row.call_id = None
            self._touch(row)
            done = repo.to_followup(row)
        self._changed(done, "started")
        return self._dressed([done])[0]

    def outcome(self, user: User, followup_id: int, *, outcome: str, note: str = "",
                reschedule_at: float | None = None) -> FollowUp:
        """How the attempt ended: reached → done; a wrong number or a refusal → failed;
        otherwise pending again at ``reschedule_at`` (default ``retry_after`` from now),
        failed after the last attempt.  Done and failed write the customer's timeline."""
        check_choice("outcome", outcome, OUTCOMES)
        check_text("note", note, MAX_NOTE)
        if reschedule_at is not None:
            _check_time("reschedule_at", reschedule_at)
            if outcome in FINAL_OUTCOMES:
                raise Invalid(f"a follow-up with outcome {outcome} is not called again")
        with self._db.tx() as s:
            row = self._load(s, user, followup_id)
            action = after_outcome(outcome, row.attempts, row.max_attempts)
            row.state = move(row.state, action)
            row.outcome = outcome
            if note:
                row.note = (f"{row.note}\n{note}" if row.note else note)[-MAX_NOTE:]
            now = self._touch(row)
            if action == "reschedule":
                self._set_due(row, reschedule_at or now + self.settings.retry_after)
            elif row.customer_id is not None:
                self._crm.record(_timeline_entry(row, user.username, note, now), s)
            done = repo.to_followup(row)
        self._changed(done, f"outcome:{outcome}")
        return self._dressed([done])[0]

    def update(self, user: User, followup_id: int, *, due_at: float | None = None,
               assignee: str | None = None, group: str | None = None,
               note: str | None = None, call_id: str | None = None) -> FollowUp:
        """Change the given fields (None leaves one as it is).  A new due time clears the
        reminder and escalation marks (they happen again for it)."""
        if due_at is not None:
            _check_time("due_at", due_at)
        if note is not None:
            check_text("note", note, MAX_NOTE)
        if call_id is not None:
            check_text("call_id", call_id, MAX_CALL_ID, required=True)
        check_text("assignee", "" if assignee is None else assignee, MAX_USERNAME)
        self._check_user(assignee)
        with self._db.tx() as s:
            row = self._load(s, user, followup_id)
            moving = due_at is not None or assignee is not None or group is not None
            if moving and row.state not in ("pending", "in_progress"):
                raise _closed(row)
            if assignee is not None or group is not None:
                new_assignee = row.assignee if assignee is None else assignee
                new_group = row.group if group is None else group
                self._check_target(user, new_assignee, new_group)
                row.assignee, row.group = new_assignee, new_group
            if due_at is not None:
                self._set_due(row, due_at)
            if note is not None:
                row.note = note
            if call_id is not None:
                row.call_id = call_id
            self._touch(row)
            done = repo.to_followup(row)
        self._changed(done, "changed")
        return self._dressed([done])[0]

    def cancel(self, user: User, followup_id: int) -> FollowUp:
        with self._db.tx() as s:
            row = self._load(s, user, followup_id)
            row.state = move(row.state, "cancel")
            self._touch(row)
            done = repo.to_followup(row)
        self._changed(done, "cancelled")
        return self._dressed([done])[0]

    # --- the clock -------------------------------------------------------------------------
    def tick(self, now: float | None = None) -> list[Event]:
        """Remind assignees of what falls due within ``remind_before``; escalate, once, what
        is ``overdue_after`` past due: supervisors told (``followup.overdue``), and moved to
        the group ``escalate_to`` when one is set.  Idempotent: each happens once per due
        time.  Returns the events it published."""
        now = self._clock() if now is None else now
        cfg = self.settings
        out: list[Event] = []
        with self._db.tx() as s:
            for row in repo.to_remind(s, now + cfg.remind_before):
                row.reminded = True
                out.append(event(FollowupDue(id=row.id, agent=row.assignee, group=row.group,
                                             state=row.state, due_at=row.due_at,
                                             number=row.number)))
            for row in repo.to_escalate(s, now - cfg.overdue_after):
                row.escalated = True
                previous = row.assignee
                if cfg.escalate_to:
                    row.assignee, row.group = "", cfg.escalate_to
                    row.updated_at = now
                out.append(event(FollowupOverdue(id=row.id, agent=previous, group=row.group,
                                                 state=row.state, due_at=row.due_at,
                                                 previous=previous)))
        for e in out:
            self.publish(e)
        return out

    # --- other slices --------------------------------------------------------------------
    def on_merge(self, s: Session, merged: Sequence[int], surviving: int) -> None:
        """:attr:`Crm.on_merge`: the merged customers' follow-ups become the survivor's."""
        repo.move_customers(s, merged, surviving)

    def on_delete(self, s: Session, customer_id: int) -> None:
        """:attr:`Crm.on_delete`: a deleted customer's follow-ups keep their number, no
        customer."""
        repo.move_customers(s, [customer_id], None)

    # --- helpers ---------------------------------------------------------------------------
    def _touch(self, row: FollowUpRow) -> float:
        now = self._clock()
        row.updated_at = now
        return now

    @staticmethod
    def _set_due(row: FollowUpRow, due_at: float) -> None:
        row.due_at = due_at
        row.reminded = row.escalated = False

    def _changed(self, f: FollowUp, action: str) -> None:
        self.publish(event(FollowupChanged(id=f.id, agent=f.assignee, group=f.group,
                                           state=f.state, due_at=f.due_at, action=action)))


def _closed(row: FollowUpRow) -> Conflict:
    return Conflict(f"follow-up {row.id} is {row.state}: it is not changed any more")


def _check_time(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value) or value <= 0:
        raise Invalid(f"{name} must be a time (epoch seconds)")


def _timeline_entry(row: FollowUpRow, agent: str, note: str, now: float) -> TimelineEntry:
    label = "回访" if row.kind == "visit" else "回电"
    summary = f"{label} {row.state}: {row.outcome}" + (f" — {note}" if note else "")
    return TimelineEntry(customer_id=row.customer_id or 0, at=now, kind="followup",
                         ref=str(row.id), agent=agent, summary=summary[:255],
                         data={"kind": row.kind, "state": row.state, "outcome": row.outcome,
                               "attempts": row.attempts, "call_id": row.call_id,
                               "ticket_id": row.ticket_id})
