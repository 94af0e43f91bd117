"""The IVR slice's queries: each takes the caller's session, so the service decides what
one transaction holds."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from kefu.store.models import CallEventRow

from .models import CollectedRow, FlowRow, FlowVersionRow, MailboxRow, MessageRow, PromptRow
from .records import (DRAFT, PUBLISHED, CollectedRecord, FlowInfo, FlowVersion, Mailbox,
                      Message, StoredPrompt)

# ---------------------------------------------------------------------- flows


def to_version(row: FlowVersionRow, flow: str) -> FlowVersion:
    fields = {n: getattr(row, n) for n in FlowVersion.__dataclass_fields__ if n != "flow"}
    return FlowVersion(flow=flow, **fields)


def to_flow(row: FlowRow, standing: dict[str, int]) -> FlowInfo:
    """``standing``: status → number of the flow's draft and published versions."""
    return FlowInfo(id=row.id, name=row.name, description=row.description,
                    published=standing.get(PUBLISHED), draft=standing.get(DRAFT),
                    created_at=row.created_at, updated_at=row.updated_at)


def flow_named(s: Session, name: str, *, lock: bool = False) -> FlowRow | None:
    """The flow; ``lock``: hold its row until the transaction ends (PostgreSQL; SQLite's
    write transactions are serial anyway)."""
    query = select(FlowRow).where(FlowRow.name == name)
    return s.scalar(query.with_for_update() if lock else query)


def standings(s: Session, flow_ids: list[int] | None = None) -> dict[int, dict[str, int]]:
    """flow id → {status: number} of the draft and published versions."""
    query = (select(FlowVersionRow.flow_id, FlowVersionRow.status, FlowVersionRow.number)
             .where(FlowVersionRow.status.in_((DRAFT, PUBLISHED))))
    if flow_ids is not None:
        query = query.where(FlowVersionRow.flow_id.in_(flow_ids))
    out: dict[int, dict[str, int]] = {}
    for flow_id, status, number in s.execute(query):
        out.setdefault(flow_id, {})[status] = number
    return out


def flows(s: Session) -> list[FlowInfo]:
    rows = s.scalars(select(FlowRow).order_by(FlowRow.name)).all()
    stand = standings(s)
    return [to_flow(r, stand.get(r.id, {})) for r in rows]


def versions(s: Session, flow_id: int) -> list[FlowVersionRow]:
    return list(s.scalars(select(FlowVersionRow).where(FlowVersionRow.flow_id == flow_id)
                          .order_by(FlowVersionRow.number.desc())))


def version_in(s: Session, flow_id: int, *, number: int | None = None,
               status: str | None = None) -> FlowVersionRow | None:
    """The flow's version with that number, or its (only) one in that status."""
    query = select(FlowVersionRow).where(FlowVersionRow.flow_id == flow_id)
    if number is not None:
        query = query.where(FlowVersionRow.number == number)
    if status is not None:
        query = query.where(FlowVersionRow.status == status)
    return s.scalar(query)


def next_number(s: Session, flow_id: int) -> int:
    top = s.scalar(select(func.max(FlowVersionRow.number))
                   .where(FlowVersionRow.flow_id == flow_id))
    return (top or 0) + 1


def published(s: Session, name: str | None = None) -> list[tuple[str, int, str]]:
    """(flow name, version number, text) of the published versions (of one flow)."""
    query = (select(FlowRow.name, FlowVersionRow.number, FlowVersionRow.source)
             .join(FlowVersionRow, FlowVersionRow.flow_id == FlowRow.id)
             .where(FlowVersionRow.status == PUBLISHED))
    if name is not None:
        query = query.where(FlowRow.name == name)
    return [(n, v, src) for n, v, src in s.execute(query)]


def published_names(s: Session) -> set[str]:
    return set(s.scalars(select(FlowRow.name)
                         .join(FlowVersionRow, FlowVersionRow.flow_id == FlowRow.id)
                         .where(FlowVersionRow.status == PUBLISHED)))


# ---------------------------------------------------------------------- collected records


def to_collected(row: CollectedRow) -> CollectedRecord:
    return CollectedRecord(**{n: getattr(row, n) for n in CollectedRecord.__dataclass_fields__})


def collected_where(query: Select, flow: str | None, caller: str | None, since: float | None,
                    until: float | None) -> Select:
    """``query`` narrowed by the list's filters (None: any); ``until`` is exclusive."""
    if flow is not None:
        query = query.where(CollectedRow.flow == flow)
    if caller is not None:
        query = query.where(CollectedRow.caller == caller)
    if since is not None:
        query = query.where(CollectedRow.created_at >= since)
    if until is not None:
        query = query.where(CollectedRow.created_at < until)
    return query


def collected(s: Session, filters: tuple[str | None, str | None, float | None, float | None],
              limit: int, offset: int) -> tuple[list[CollectedRecord], int]:
    """A page of records, newest first, and how many match."""
    rows = s.scalars(collected_where(select(CollectedRow), *filters)
                     .order_by(CollectedRow.created_at.desc(), CollectedRow.id.desc())
                     .limit(limit).offset(offset))
    total = s.scalar(collected_where(select(func.count()).select_from(CollectedRow), *filters))
    return [to_collected(r) for r in rows], total or 0


# ---------------------------------------------------------------------- voicemail


def to_mailbox(row: MailboxRow) -> Mailbox:
    return Mailbox(**{n: getattr(row, n) for n in Mailbox.__dataclass_fields__})


def to_message(row: MessageRow) -> Message:
    return Message(**{n: getattr(row, n) for n in Message.__dataclass_fields__})


def mailboxes(s: Session, kind: str | None, owners: list[str] | None) -> list[Mailbox]:
    query = select(MailboxRow).order_by(MailboxRow.kind, MailboxRow.owner)
    if kind is not None:
        query = query.where(MailboxRow.kind == kind)
    if owners is not None:
        query = query.where(MailboxRow.owner.in_(owners))
    return [to_mailbox(r) for r in s.scalars(query)]


def mailbox_of(s: Session, kind: str, owner: str) -> MailboxRow | None:
    return s.scalar(select(MailboxRow).where(MailboxRow.kind == kind, MailboxRow.owner == owner))


def messages(s: Session, mailbox_ids: list[int], statuses: tuple[str, ...]) -> list[Message]:
    rows = s.scalars(select(MessageRow)
                     .where(MessageRow.mailbox_id.in_(mailbox_ids),
                            MessageRow.status.in_(statuses))
                     .order_by(MessageRow.created_at.desc(), MessageRow.id.desc()))
    return [to_message(r) for r in rows]


# ---------------------------------------------------------------------- prompts


def to_prompt(row: PromptRow) -> StoredPrompt:
    return StoredPrompt(**{n: getattr(row, n) for n in StoredPrompt.__dataclass_fields__})


def prompt_named(s: Session, name: str, language: str) -> PromptRow | None:
    return s.scalar(select(PromptRow).where(PromptRow.name == name,
                                            PromptRow.language == language))


def prompts(s: Session, language: str | None) -> list[StoredPrompt]:
    query = select(PromptRow).order_by(PromptRow.name, PromptRow.language)
    if language is not None:
        query = query.where(PromptRow.language == language)
    return [to_prompt(r) for r in s.scalars(query)]


# ---------------------------------------------------------------------- statistics

EventKey = tuple[float, int]  # (ts, id): where a chunk of events ends


def ivr_events(s: Session, since: float, until: float, after: EventKey | None,
               limit: int) -> list[tuple[int, float, str | None, str, dict[str, Any]]]:
    """Up to ``limit`` ``ivr.*`` events of ``call_events`` with ``since <= ts < until``
    after ``after``, in (ts, id) order: (id, ts, call_id, type, data).  The statistics
    read a range chunk by chunk from the last key, on the ``ts`` index."""
    query = (select(CallEventRow.id, CallEventRow.ts, CallEventRow.call_id, CallEventRow.type,
                    CallEventRow.data)
             .where(CallEventRow.ts >= since, CallEventRow.ts < until,
                    CallEventRow.type.startswith("ivr.", autoescape=True)))
    if after is not None:
        ts, id_ = after
        query = query.where(or_(CallEventRow.ts > ts,
                                and_(CallEventRow.ts == ts, CallEventRow.id > id_)))
    rows = s.execute(query.order_by(CallEventRow.ts, CallEventRow.id).limit(limit))
    return [(i, ts, call_id, type_, data) for i, ts, call_id, type_, data in rows]
