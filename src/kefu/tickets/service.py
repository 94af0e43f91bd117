"""The tickets slice's public face: ticket types with their workflows and SLAs, tickets,
their comments, attachments and activity, the SLA watch (:meth:`Tickets.tick`) and the
statistics.

Every method is one transaction (all or nothing) returning plain dataclasses; methods are
synchronous and thread-safe (asyncio callers use a worker thread).  What the slice needs
from others comes in: the CRM's service (customers, their timeline), whose groups a user
sees (``group_scope``), the voicemail message reader, the follow-ups' ``schedule_visit``,
the bus's ``publish``, the time zone and the clock.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import and_, case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kefu.bus import Event
from kefu.calendar import Calendar
from kefu.config import TicketsSettings
from kefu.crm.service import Crm, TimelineEntry
from kefu.events import (TicketChanged, TicketCreated, TicketSlaBreached, TicketSlaWarning,
                         event)
from kefu.store.checks import MAX_USERNAME, check_choice, check_text
from kefu.store.db import Database
from kefu.store.errors import Conflict, Invalid, NotFound
from kefu.store.periods import day_date, local_day
from kefu.store import uploads
from kefu.users.service import User, Users

from . import builtin, repo, sla, typespec, workflow
from .models import (TicketAttachmentRow, TicketCommentRow, TicketRow, TicketTypeRow)
from .records import (ACTIONS, CLOCKS, MAX_NAME, MAX_TEXT, MAX_TITLE, PRIORITIES, SORTS,
                      STATE_KINDS, Activity, Attachment, Clock, Comment, Denied, Ticket,
                      TicketDetail, TicketType, Transition)
from .typespec import TypeSpec

__all__ = ["ACTIONS", "Activity", "Attachment", "Comment", "Denied", "PRIORITIES", "Stats",
           "Ticket", "TicketDetail", "TicketType", "Tickets", "Transition", "TypeSpec"]

Scope = Callable[[str, str], "tuple[str, ...] | None"]
Publish = Callable[[Event], None]
ScheduleVisit = Callable[..., Any]
VoicemailReader = Callable[[int], Any]       # kefu.ivr.service Mailboxes.message: .caller, .created_at

log = logging.getLogger(__name__)

STAFF = ("admin", "supervisor", "agent")
EDITABLE = ("title", "description", "priority", "assignee", "group", "due_at", "fields")


@dataclass(frozen=True)
class Stats:
    by_type: list[dict[str, Any]]
    by_state: list[dict[str, Any]]
    by_group: list[dict[str, Any]]
    by_agent: list[dict[str, Any]]
    complaints_by_category: list[dict[str, Any]]
    complaints_by_period: list[dict[str, Any]]


@dataclass
class _Change:
    """What a write did, published once its transaction committed."""
    events: list[Event] = field(default_factory=list)


def _local_tz() -> dt.tzinfo:
    return dt.datetime.now().astimezone().tzinfo or dt.timezone.utc


class Tickets:
    """Tickets over the shared :class:`Database`; files under ``files_dir``."""

    def __init__(self, db: Database, users: Users, crm: Crm, *, files_dir: Path,
                 settings: TicketsSettings | None = None,
                 calendars: dict[str, Calendar] | None = None,
                 tz: dt.tzinfo | None = None, clock: Callable[[], float] = time.time,
                 publish: Publish = lambda e: None,
                 group_scope: Scope = lambda u, r: None,
                 schedule_visit: ScheduleVisit = lambda **kw: None,
                 voicemail: VoicemailReader | None = None) -> None:
        self._db = db
        self._users = users
        self._crm = crm
        self.files_dir = files_dir
        self.settings = settings or TicketsSettings()
        self.calendars = calendars or {}
        self.tz = tz or _local_tz()
        self.clock = clock
        self.publish = publish
        self.group_scope = group_scope
        self.schedule_visit = schedule_visit
        self.voicemail = voicemail

    # --- types -------------------------------------------------------------------------------
    def seed(self) -> list[TicketType]:
        """The built-in types (complaint, inquiry), each added once: a type of that name
        that exists (changed by an admin or not) is left alone."""
        now = self.clock()
        added = []
        with self._db.tx() as s:
            for spec in builtin.BUILTIN:
                if repo.type_named(s, spec["name"]) is None:
                    added.append(self._insert_type(s, typespec.check(spec, self.calendars), now))
        return added

    def _insert_type(self, s: Session, t: TypeSpec, now: float) -> TicketType:
        row = TicketTypeRow(name=t.name, label_zh=t.label_zh, label_en=t.label_en,
                            workflow=t.workflow, version=1, sla=t.sla.model_dump(),
                            fields=[f.model_dump() for f in t.fields], active=t.active,
                            created_at=now, updated_at=now)
        s.add(row)
        s.flush()
        return repo.to_type(row)

    def types(self) -> list[TicketType]:
        with self._db.tx(write=False) as s:
            return [repo.to_type(r) for r in repo.types(s).values()]

    def create_type(self, spec: object) -> TicketType:
        t = typespec.check(spec, self.calendars)
        with self._db.tx() as s:
            if repo.type_named(s, t.name) is not None:
                raise Conflict(f"ticket type {t.name!r} exists")
            return self._insert_type(s, t, self.clock())

    def update_type(self, type_id: int, spec: object, *, by: str,
                    state_map: dict[str, str] | None = None) -> TicketType:
        """Replace a type's definition.  Tickets in states the new workflow drops move by
        ``state_map`` (an activity line each); an open ticket in a dropped state without a
        mapping refuses the change (Invalid).  A changed workflow is a new version."""
        t = typespec.check(spec, self.calendars)
        wf = workflow.Workflow.model_validate(t.workflow)
        mapping = dict(state_map or {})
        now = self.clock()
        change = _Change()
        with self._db.tx() as s:
            row = s.get(TicketTypeRow, type_id)
            if row is None:
                raise NotFound(f"ticket type {type_id} does not exist")
            if t.name != row.name:      # the key seeding and filters know it by
                raise Invalid(f"a type's name cannot change ({row.name!r}); labels can")
            old = workflow.Workflow.model_validate(row.workflow)
            kept = {st.name for st in wf.states}
            dropped = {st.name for st in old.states} - kept
            for old_state, new_state in mapping.items():
                if old_state not in dropped:
                    raise Invalid(f"state_map: {old_state!r} is no state the new workflow drops")
                if new_state not in kept:
                    raise Invalid(f"state_map: {new_state!r} is no state of the new workflow")
            tickets = s.scalars(select(TicketRow).where(TicketRow.type_id == type_id,
                                                        TicketRow.state.in_(dropped))).all()
            unmapped = sorted({r.state for r in tickets
                               if r.state not in mapping and r.state_kind != "closed"})
            if unmapped:
                raise Invalid(f"state_map: open tickets are in {', '.join(unmapped)}, which "
                              "the new workflow drops: map them to a state")
            for r in tickets:
                if r.state in mapping:
                    ttype = repo.to_type(row)
                    self._enter(s, r, ttype, wf, mapping[r.state], by, now, change,
                                action="state_mapped", detail=f"workflow version {row.version + 1}")
            # states that stay may change their kind: the tickets' copy follows
            for st in wf.states:
                s.execute(update(TicketRow).where(TicketRow.type_id == type_id,
                                                  TicketRow.state == st.name)
                          .values(state_kind=st.kind))
            if row.workflow != t.workflow:
                row.version += 1
            row.label_zh, row.label_en = t.label_zh, t.label_en
            row.workflow, row.sla = t.workflow, t.sla.model_dump()
            row.fields = [f.model_dump() for f in t.fields]
            row.active, row.updated_at = t.active, now
            s.flush()
            result = repo.to_type(row)
        self._send(change)
        return result

    # --- reading -----------------------------------------------------------------------------
    def _scope(self, user: User) -> tuple[str, ...] | None:
        return self.group_scope(user.username, user.role)

    def _load(self, s: Session, user: User, ticket_id: int, *, lock: bool = False) -> TicketRow:
        """The ticket if ``user`` sees it: NotFound when there is none, Denied otherwise."""
        if user.role not in STAFF:
            raise Denied(f"tickets are for {', '.join(STAFF)}; you are {user.role}")
        q = select(TicketRow).where(TicketRow.id == ticket_id)
        if lock and self._db.dialect == "postgresql":
            q = q.with_for_update()
        row = s.scalars(q).first()
        if row is None:
            raise NotFound(f"ticket {ticket_id} does not exist")
        seen = s.scalar(select(func.count()).select_from(TicketRow).where(
            TicketRow.id == ticket_id, repo.visible(user, self._scope(user))))
        if not seen:
            raise Denied(f"ticket {ticket_id} is not yours nor in your groups")
        return row

    def _view(self, s: Session, row: TicketRow, user: User, now: float,
              types: dict[int, TicketTypeRow] | None = None) -> Ticket:
        trow = (types or {}).get(row.type_id) or s.get(TicketTypeRow, row.type_id)
        assert trow is not None
        ttype = repo.to_type(trow)
        wf = workflow.Workflow.model_validate(ttype.workflow)
        st = wf.state(row.state)
        cal = self.calendars.get(ttype.sla.calendar) if ttype.sla.calendar else None
        warn = ttype.sla.warn_before
        clocks = {
            "first_response": sla.state(cal, row.fr_due, row.fr_met_at, row.paused_at, warn,
                                        now, self.tz),
            "resolution": sla.state(cal, row.res_due, row.resolved_at, row.paused_at, warn,
                                    now, self.tz)}
        return Ticket(
            id=row.id, type=ttype.name, type_label_zh=ttype.label_zh,
            type_label_en=ttype.label_en, title=row.title, description=row.description,
            state=row.state, state_label_zh=st.label_zh if st else row.state,
            state_label_en=st.label_en if st else row.state, state_kind=row.state_kind,
            customer_id=row.customer_id, customer_name="", number=row.number,
            call_id=row.call_id, voicemail_id=row.voicemail_id, priority=row.priority,
            assignee=row.assignee, group=row.group_name, created_by=row.created_by,
            created_at=row.created_at, updated_at=row.updated_at, due_at=row.due_at,
            sla=clocks, fields=dict(row.fields),
            transitions=tuple(workflow.allowed(wf, row.state, user.role)))

    def _named(self, tickets: list[Ticket]) -> list[Ticket]:
        """The customers' names filled in (asked of the CRM after the transaction: its
        reads are transactions of their own)."""
        from dataclasses import replace
        names: dict[int, str] = {}
        for cid in {t.customer_id for t in tickets if t.customer_id is not None}:
            c = self._crm.get_customer(cid)
            names[cid] = c.name if c is not None else ""
        return [replace(t, customer_name=names.get(t.customer_id, "")) if t.customer_id
                else t for t in tickets]

    def get(self, user: User, ticket_id: int) -> TicketDetail:
        """The ticket with its comments (internal ones for staff… every role here is
        staff), attachments and activity."""
        now = self.clock()
        with self._db.tx(write=False) as s:
            row = self._load(s, user, ticket_id)
            ticket = self._view(s, row, user, now)
            detail = TicketDetail(ticket, repo.comments(s, row.id, True),
                                  repo.attachments(s, row.id), repo.activities(s, row.id))
        from dataclasses import replace
        return replace(detail, ticket=self._named([ticket])[0])

    def list(self, user: User, *, type: str | None = None, state: str | None = None,
             state_kind: str | None = None, open: bool | None = None,
             assignee: str | None = None, group: str | None = None,
             customer_id: int | None = None, breached: bool | None = None,
             q: str | None = None, sort: str = "-created_at", limit: int = 50,
             offset: int = 0, priority: str | None = None) -> tuple[list[Ticket], int]:
        """A page of the tickets ``user`` sees, and how many match in all."""
        if user.role not in STAFF:
            raise Denied(f"tickets are for {', '.join(STAFF)}; you are {user.role}")
        check_choice("sort", sort, SORTS)
        if state_kind is not None:
            check_choice("state_kind", state_kind, STATE_KINDS)
        if priority is not None:
            check_choice("priority", priority, PRIORITIES)
        if not 1 <= limit <= 500 or offset < 0:
            raise Invalid("limit must be 1-500 and offset >= 0")
        now = self.clock()
        T = TicketRow
        where = [repo.visible(user, self._scope(user))]
        with self._db.tx(write=False) as s:
            types = repo.types(s)
            if type is not None:
                where.append(T.type_id.in_([r.id for r in types.values() if r.name == type]))
            if state is not None:
                where.append(T.state == state)
            if state_kind is not None:
                where.append(T.state_kind == state_kind)
            if open is not None:
                where.append((T.state_kind != "closed") if open else (T.state_kind == "closed"))
            if assignee is not None:
                where.append(T.assignee == assignee)
            if group is not None:
                where.append(T.group_name == group)
            if customer_id is not None:
                where.append(T.customer_id == customer_id)
            if priority is not None:
                where.append(T.priority == priority)
            if breached is not None:
                late = repo.late(now)
                where.append(late if breached else ~late)
            if q:
                text = q.strip()
                match = (T.title.icontains(text, autoescape=True)
                         | T.description.icontains(text, autoescape=True)
                         | T.number.icontains(text, autoescape=True))
                digits = q.strip().lstrip("#")
                if digits.isascii() and digits.isdigit() and len(digits) <= 9:   # an id
                    match = match | (T.id == int(digits))
                where.append(match)
            total = s.scalar(select(func.count()).select_from(T).where(*where)) or 0
            rows = s.scalars(select(T).where(*where).order_by(*repo.order(sort))
                             .limit(limit).offset(offset)).all()
            items = [self._view(s, r, user, now, types) for r in rows]
        return self._named(items), total

    # --- writing -----------------------------------------------------------------------------
    def _check_people(self, user: User, row: TicketRow | None, assignee: str | None,
                      group: str | None) -> None:
        """Who may give a ticket to whom: a supervisor or admin anyone, into their groups;
        an agent only takes an unassigned ticket (or their own) or gives it back."""
        if assignee is not None:
            check_text("assignee", assignee, MAX_USERNAME)
            if assignee and self._users.missing_users([assignee]):
                raise Invalid(f"assignee {assignee} is not a user")
            current = row.assignee if row is not None else ""
            if user.role == "agent" and assignee != current and not (
                    assignee in (user.username, "") and current in (user.username, "")):
                raise Denied("an agent may only take an unassigned ticket or give back "
                             "their own; a supervisor assigns to others")
        if group is not None:
            check_text("group", group, MAX_NAME)
            current_group = row.group_name if row is not None else ""
            if group != current_group and user.role == "agent" and row is not None:
                raise Denied("an agent may not move a ticket to another group")
            scope = self._scope(user)
            if group and scope is not None and group not in scope:
                raise Denied(f"group {group!r} is not one of yours")

    def create(self, user: User, *, type: str, title: str, description: str = "",
               customer_id: int | None = None, number: str | None = None,
               call_id: str | None = None, voicemail_id: int | None = None,
               priority: str = "normal", assignee: str = "", group: str = "",
               due_at: float | None = None, fields: dict[str, Any] | None = None) -> Ticket:
        """A new ticket in its type's initial state, its SLA clocks started.  ``number``
        without ``customer_id`` finds the customer; ``voicemail_id`` fills the number and
        the time from the message."""
        if user.role not in STAFF:
            raise Denied(f"tickets are for {', '.join(STAFF)}; you are {user.role}")
        check_text("title", title, MAX_TITLE, required=True)
        check_text("description", description, MAX_TEXT)
        check_choice("priority", priority, PRIORITIES)
        _check_due(due_at)
        if call_id is not None:
            check_text("call_id", call_id, 128, required=True)
        self._check_people(user, None, assignee, group)
        now = self.clock()
        started = now
        if voicemail_id is not None:
            if self.voicemail is None:
                raise Invalid("voicemail is not kept here")
            try:
                message = self.voicemail(voicemail_id)
            except NotFound:
                raise Invalid(f"voicemail {voicemail_id} does not exist") from None
            number = number or message.caller
            started = min(now, float(message.created_at))
            description = description or (f"语音留言 voicemail {message.caller or '-'} "
                                           f"{_iso(started, self.tz)}")
            call_id = call_id or message.call_id or None
        phone = ""
        if number:
            try:
                phone = self._crm.phone(number).number
            except Invalid:
                if voicemail_id is None:
                    raise
        if customer_id is not None:
            customer = self._crm.get_customer(customer_id)
            if customer is None:
                raise Invalid(f"customer {customer_id} does not exist")
            phone = phone or customer.number
        elif phone:
            found = self._crm.find_customer_by_number(phone)
            customer_id = found.id if found is not None else None
        change = _Change()
        with self._db.tx() as s:
            trow = repo.type_named(s, type)
            if trow is None or not trow.active:
                raise Invalid(f"no active ticket type {type!r}")
            ttype = repo.to_type(trow)
            values = typespec.check_values(ttype.fields, fields or {}, complete=True)
            wf = workflow.Workflow.model_validate(ttype.workflow)
            initial = wf.state(wf.initial)
            assert initial is not None
            cal = self._calendar(ttype)
            row = TicketRow(
                type_id=trow.id, state=initial.name, state_kind=initial.kind, title=title,
                description=description, customer_id=customer_id, number=phone,
                call_id=call_id, voicemail_id=voicemail_id, priority=priority,
                assignee=assignee, group_name=group, created_by=user.username,
                created_at=now, updated_at=now, due_at=due_at, fields=values,
                fr_due=sla.due(cal, started, ttype.sla.first_response, self.tz),
                fr_met_at=None, fr_warned=False, fr_breached=False,
                res_due=sla.due(cal, started, ttype.sla.resolution, self.tz),
                resolved_at=None, resolved_by="", res_warned=False, res_breached=False,
                paused_at=now if initial.kind == "waiting" else None)
            s.add(row)
            s.flush()
            repo.activity(s, row.id, user.username, "created", new=initial.name, at=now)
            if assignee:
                repo.activity(s, row.id, user.username, "assigned", field="assignee",
                              new=assignee, at=now)
            self._told(s, row, ttype, user.username, "created", now, change, created=True)
            ticket = self._view(s, row, user, now)
        self._send(change)
        return self._named([ticket])[0]

    def update(self, user: User, ticket_id: int, **changes: Any) -> Ticket:
        """Change the given fields (``EDITABLE``); each change an activity line."""
        unknown = set(changes) - set(EDITABLE)
        if unknown:
            raise Invalid(f"cannot change {', '.join(sorted(unknown))}")
        now = self.clock()
        change = _Change()
        with self._db.tx() as s:
            row = self._load(s, user, ticket_id, lock=True)
            ttype = repo.to_type(s.get(TicketTypeRow, row.type_id))  # type: ignore[arg-type]
            action = self._apply(s, row, ttype, user, changes, now)
            if action:
                row.updated_at = now
                self._told(s, row, ttype, user.username, action, now, change)
            ticket = self._view(s, row, user, now)
        self._send(change)
        return self._named([ticket])[0]

    def _apply(self, s: Session, row: TicketRow, ttype: TicketType, user: User,
               changes: dict[str, Any], now: float) -> str:
        """Apply field changes to ``row`` with their activity lines; the action to tell
        ("assigned" when only the assignee or group changed), or "" for no change."""
        if "title" in changes:
            check_text("title", changes["title"], MAX_TITLE, required=True)
        if "description" in changes:
            check_text("description", changes["description"], MAX_TEXT)
        if "priority" in changes:
            check_choice("priority", changes["priority"], PRIORITIES)
        if "due_at" in changes:
            _check_due(changes["due_at"])
        self._check_people(user, row, changes.get("assignee"), changes.get("group"))
        if "fields" in changes:
            merged = {**row.fields, **typespec.check_values(ttype.fields, changes["fields"],
                                                            complete=False)}
            changes = {**changes, "fields": merged}
        columns = {"group": "group_name"}
        actions = []
        for name, value in changes.items():
            column = columns.get(name, name)
            old = getattr(row, column)
            if value == old:
                continue
            setattr(row, column, value)
            who = name in ("assignee", "group")
            actions.append("assigned" if who else "changed")
            shown = (lambda v: v) if name != "fields" else (lambda v: _json(v))
            repo.activity(s, row.id, user.username, "assigned" if who else "changed",
                          field=name, old=shown(old), new=shown(value), at=now)
        if not actions:
            return ""
        return "assigned" if set(actions) == {"assigned"} else "changed"

    def transition(self, user: User, ticket_id: int, name: str, *,
                   fields: dict[str, Any] | None = None, assignee: str | None = None,
                   group: str | None = None, comment: str | None = None) -> Ticket:
        """Take transition ``name``: Denied for a role that may not, Conflict from another
        state, Invalid when a required field is blank after it."""
        now = self.clock()
        change = _Change()
        if comment is not None:
            check_text("comment", comment, MAX_TEXT)
        with self._db.tx() as s:
            row = self._load(s, user, ticket_id, lock=True)
            trow = s.get(TicketTypeRow, row.type_id)
            assert trow is not None
            ttype = repo.to_type(trow)
            wf = workflow.Workflow.model_validate(ttype.workflow)
            refused = workflow.refusal(wf, row.state, user.role, name)
            if refused is not None:
                kind, reason = refused
                raise {"forbidden": Denied, "conflict": Conflict, "invalid": Invalid}[kind](reason)
            t = wf.transition(name)
            assert t is not None
            given = {k: v for k, v in (("assignee", assignee), ("group", group),
                                       ("fields", fields)) if v is not None}
            self._apply(s, row, ttype, user, given, now)
            after = {"assignee": row.assignee, "group": row.group_name,
                     "priority": row.priority, "due_at": row.due_at,
                     "comment": (comment or "").strip(), **row.fields}
            if blank := workflow.missing(t, after):
                raise Invalid(f"{name!r} needs {', '.join(blank)}")
            if comment and comment.strip():
                s.add(TicketCommentRow(ticket_id=row.id, author=user.username, body=comment,
                                       internal=False, at=now))
            self._first_response(row, now)
            self._enter(s, row, ttype, wf, t.to, user.username, now, change,
                        action="transition", detail=name)
            ticket = self._view(s, row, user, now)
        self._send(change)
        return self._named([ticket])[0]

    def _enter(self, s: Session, row: TicketRow, ttype: TicketType, wf: workflow.Workflow,
               to: str, actor: str, now: float, change: _Change, *, action: str,
               detail: str) -> None:
        """Move ``row`` into state ``to``: its kind's effect on the SLA clocks (waiting
        pauses, leaving it resumes, closed resolves), a return visit for a visit state,
        the activity line, the timeline line and the event."""
        st = wf.state(to)
        assert st is not None
        old_state, old_kind = row.state, row.state_kind
        cal = self._calendar(ttype)
        if old_kind == "waiting" and st.kind != "waiting" and row.paused_at is not None:
            if row.fr_due is not None and row.fr_met_at is None:
                row.fr_due = sla.resumed(cal, row.fr_due, row.paused_at, now, self.tz)
            if row.res_due is not None and row.resolved_at is None:
                row.res_due = sla.resumed(cal, row.res_due, row.paused_at, now, self.tz)
            row.paused_at = None
        if st.kind == "waiting" and row.paused_at is None:
            row.paused_at = now
        if st.kind == "closed" and old_kind != "closed":
            row.resolved_at = now
            row.resolved_by = row.assignee or actor
            row.paused_at = None
        elif old_kind == "closed":
            row.resolved_at, row.resolved_by = None, ""
        row.state, row.state_kind, row.updated_at = st.name, st.kind, now
        repo.activity(s, row.id, actor, action, field="state", old=old_state, new=st.name,
                      detail=detail, at=now)
        if st.visit and old_state != st.name and row.number:   # a visit is a call
            self.schedule_visit(kind="visit", customer_id=row.customer_id, number=row.number,
                                due_at=now + self.settings.visit_after_minutes * 60,
                                assignee=row.assignee, group=row.group_name,
                                note=row.title, ticket_id=row.id, by=actor, s=s)
        self._told(s, row, ttype, actor, action, now, change)

    @staticmethod
    def _first_response(row: TicketRow, now: float) -> None:
        if row.fr_met_at is None:
            row.fr_met_at = now

    def comment(self, user: User, ticket_id: int, body: str, *, internal: bool = False) -> Comment:
        """A comment; the first public one is the first response."""
        check_text("body", body, MAX_TEXT, required=True)
        if not isinstance(internal, bool):
            raise Invalid("internal must be true or false")
        now = self.clock()
        change = _Change()
        with self._db.tx() as s:
            row = self._load(s, user, ticket_id, lock=True)
            c = TicketCommentRow(ticket_id=row.id, author=user.username, body=body,
                                 internal=internal, at=now)
            s.add(c)
            s.flush()
            if not internal:
                self._first_response(row, now)
            row.updated_at = now
            repo.activity(s, row.id, user.username, "comment",
                          new="internal" if internal else "public", detail=str(c.id), at=now)
            change.events.append(self._event(TicketChanged, row, "comment"))
            result = repo.to_comment(c)
        self._send(change)
        return result

    # --- attachments ---------------------------------------------------------------------------
    def attach(self, user: User, ticket_id: int, name: str, data: bytes) -> Attachment:
        """Keep a file on the ticket: TooLarge, Unsupported (by its content) or the file
        on disk and its row, never one without the other."""
        shown = uploads.display_name(name, "attachment")
        _kind, mime = uploads.check(data, shown, list(self.settings.attachment_types),
                                    self.settings.attachments_max_bytes)
        now = self.clock()
        with self._db.tx(write=False) as s:
            self._load(s, user, ticket_id)
        path = uploads.write(self.files_dir, data)
        change = _Change()
        try:
            with self._db.tx() as s:
                row = self._load(s, user, ticket_id)
                a = TicketAttachmentRow(ticket_id=row.id, name=shown, mime=mime,
                                        size=len(data), path=path, by=user.username, at=now)
                s.add(a)
                s.flush()
                row.updated_at = now
                repo.activity(s, row.id, user.username, "attachment", new=shown,
                              detail=str(a.id), at=now)
                change.events.append(self._event(TicketChanged, row, "attachment"))
                result = repo.to_attachment(a)
        except BaseException:
            (self.files_dir / path).unlink(missing_ok=True)
            raise
        self._send(change)
        return result

    def attachment(self, user: User, ticket_id: int, attachment_id: int) -> tuple[Attachment, Path]:
        with self._db.tx(write=False) as s:
            self._load(s, user, ticket_id)
            a = s.get(TicketAttachmentRow, attachment_id)
            if a is None or a.ticket_id != ticket_id:
                raise NotFound(f"attachment {attachment_id} of ticket {ticket_id} does not exist")
            found = repo.to_attachment(a)
        return found, self.files_dir / found.path

    # --- the SLA watch -------------------------------------------------------------------------
    def tick(self, now: float | None = None) -> int:
        """Report SLA warnings and breaches due at ``now`` (each once: flags on the ticket),
        escalating a breached ticket to its type's ``escalate_to_group``.  Returns how many
        reports were made."""
        now = self.clock() if now is None else now
        T = TicketRow
        change = _Change()
        reports = 0
        with self._db.tx() as s:
            types = {i: repo.to_type(r) for i, r in repo.types(s).items()}
            rows = s.scalars(select(T).where(
                T.state_kind != "closed", T.paused_at.is_(None),
                ((T.fr_due.is_not(None) & T.fr_met_at.is_(None) & ~T.fr_breached)
                 | (T.res_due.is_not(None) & T.resolved_at.is_(None) & ~T.res_breached)))
                .order_by(T.id)).all()
            for row in rows:
                ttype = types[row.type_id]
                for which in CLOCKS:
                    reports += self._watch(s, row, ttype, which, now, change)
        self._send(change)
        return reports

    def _watch(self, s: Session, row: TicketRow, ttype: TicketType, which: str, now: float,
               change: _Change) -> int:
        prefix = "fr" if which == "first_response" else "res"
        due_at = getattr(row, f"{prefix}_due")
        met = row.fr_met_at if prefix == "fr" else row.resolved_at
        if due_at is None or met is not None or getattr(row, f"{prefix}_breached"):
            return 0
        clock = sla.state(self._calendar(ttype), due_at, None, None, ttype.sla.warn_before,
                          now, self.tz)
        if clock.state == "breached":
            setattr(row, f"{prefix}_breached", True)
            setattr(row, f"{prefix}_warned", True)
            repo.activity(s, row.id, "", "sla_breached", field=which, new=_iso(due_at, self.tz),
                          at=now)
            change.events.append(event(TicketSlaBreached(
                ticket_id=row.id, which=which, due_at=due_at, assignee=row.assignee,
                group=row.group_name, agents=_agents(row),
                notify_supervisors=ttype.sla.notify_supervisors)))
            target = ttype.sla.escalate_to_group
            if target and row.group_name != target:
                repo.activity(s, row.id, "", "escalated", field="group", old=row.group_name,
                              new=target, detail=f"{which} breached", at=now)
                if row.assignee:
                    repo.activity(s, row.id, "", "assigned", field="assignee",
                                  old=row.assignee, new="", detail="escalated", at=now)
                row.group_name, row.assignee, row.updated_at = target, "", now
                self._told(s, row, ttype, "", "escalated", now, change)
            return 1
        if clock.state == "warning" and not getattr(row, f"{prefix}_warned"):
            setattr(row, f"{prefix}_warned", True)
            repo.activity(s, row.id, "", "sla_warning", field=which, new=_iso(due_at, self.tz),
                          at=now)
            change.events.append(event(TicketSlaWarning(
                ticket_id=row.id, which=which, due_at=due_at, assignee=row.assignee,
                group=row.group_name, agents=_agents(row),
                notify_supervisors=ttype.sla.notify_supervisors)))
            return 1
        return 0

    # --- customers ---------------------------------------------------------------------------
    def on_merge(self, s: Session, merged: Sequence[int], surviving: int) -> None:
        """``Crm.on_merge``: the merged customers' tickets are the survivor's."""
        s.execute(update(TicketRow).where(TicketRow.customer_id.in_(list(merged)))
                  .values(customer_id=surviving))

    def on_delete(self, s: Session, customer_id: int) -> None:
        """``Crm.on_delete``: a deleted customer's tickets stay, with no customer (their
        number and title still say who it was)."""
        s.execute(update(TicketRow).where(TicketRow.customer_id == customer_id)
                  .values(customer_id=None))

    # --- statistics --------------------------------------------------------------------------
    def stats(self, user: User, *, since: float | None = None, until: float | None = None,
              type: str | None = None) -> Stats:
        """Counts over the tickets created in [since, until) that ``user`` sees, grouped in
        SQL (default: the last 30 days)."""
        if user.role not in ("supervisor", "admin"):
            raise Denied("statistics are for supervisors and admins")
        now = self.clock()
        until = now if until is None else until
        since = until - 30 * 86400 if since is None else since
        T = TicketRow
        with self._db.tx(write=False) as s:
            types = repo.types(s)
            where = [repo.visible(user, self._scope(user)), T.created_at >= since,
                     T.created_at < until]
            if type is not None:
                where.append(T.type_id.in_([r.id for r in types.values() if r.name == type]))
            is_open = func.sum(case((T.state_kind != "closed", 1), else_=0))
            is_late = func.sum(case((repo.late(now), 1), else_=0))

            def counts(key: Any) -> list[tuple[Any, int, int, int]]:
                return [tuple(r) for r in s.execute(  # type: ignore[misc]
                    select(key, func.count(), is_open, is_late).where(*where)
                    .group_by(key).order_by(key))]

            by_type = [{"key": types[k].name, "total": n, "open": o or 0, "breached": b or 0}
                       for k, n, o, b in counts(T.type_id)]
            by_state = [{"key": k, "total": n, "open": o or 0, "breached": b or 0}
                        for k, n, o, b in counts(T.state)]
            by_group = [{"key": k, "total": n, "open": o or 0, "breached": b or 0}
                        for k, n, o, b in counts(T.group_name)]
            handled = s.execute(
                select(T.resolved_by, func.count(), func.avg(T.resolved_at - T.created_at))
                .where(*where, T.resolved_at.is_not(None), T.resolved_by != "")
                .group_by(T.resolved_by).order_by(T.resolved_by)).all()
            by_agent = [{"key": k, "handled": n, "avg_handle_seconds": float(a or 0)}
                        for k, n, a in handled]
            complaint = [r.id for r in types.values() if r.name == "complaint"]
            category = func.coalesce(T.fields["category"].as_string(), "")
            by_category = [{"key": k, "total": n} for k, n in s.execute(
                select(category, func.count()).where(*where, T.type_id.in_(complaint))
                .group_by(category).order_by(category))]
            offset = (dt.datetime.fromtimestamp(until, self.tz).utcoffset()
                      or dt.timedelta()).total_seconds()
            day = local_day(T.created_at, offset, self._db.dialect)
            by_day = [{"key": day_date(d).isoformat(), "total": n} for d, n in s.execute(
                select(day, func.count()).where(*where, T.type_id.in_(complaint))
                .group_by(day).order_by(day))]
        return Stats(by_type, by_state, by_group, by_agent, by_category, by_day)

    # --- helpers -----------------------------------------------------------------------------
    def _calendar(self, ttype: TicketType) -> Calendar | None:
        return self.calendars.get(ttype.sla.calendar) if ttype.sla.calendar else None

    def _event(self, kind: type, row: TicketRow, action: str) -> Event:
        return event(kind(ticket_id=row.id, state=row.state, assignee=row.assignee,
                          group=row.group_name, action=action, agents=_agents(row)))

    def _told(self, s: Session, row: TicketRow, ttype: TicketType, actor: str, action: str,
              now: float, change: _Change, created: bool = False) -> None:
        """The customer's timeline line (in this transaction) and the event (after it)."""
        if row.customer_id is not None:
            entry = TimelineEntry(
                customer_id=row.customer_id, at=now, kind="ticket", ref=str(row.id),
                agent=actor, summary=f"{ttype.label_zh} #{row.id} {row.title}"[:255],
                data={"state": row.state, "action": action, "type": ttype.name})
            try:
                with s.begin_nested():          # a deleted customer must not stop the ticket
                    self._crm.record(entry, s)
            except IntegrityError:
                log.warning("ticket %d: customer %d no longer exists: no timeline line",
                            row.id, row.customer_id)
        change.events.append(self._event(TicketCreated if created else TicketChanged, row,
                                         action))

    def _send(self, change: _Change) -> None:
        for e in change.events:
            self.publish(e)


def _check_due(value: object) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                              or not 0 <= value <= 1e11):
        raise Invalid("due_at must be epoch seconds (0 to 1e11) or null")


def _agents(row: TicketRow) -> list[str]:
    """Whom a ticket's event names: its assignee (none: every agent may see it)."""
    return [row.assignee] if row.assignee else []


def _json(value: object) -> str:
    import json
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _iso(at: float, tz: dt.tzinfo) -> str:
    return dt.datetime.fromtimestamp(at, tz).isoformat(timespec="minutes")
