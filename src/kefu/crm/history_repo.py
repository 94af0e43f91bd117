"""The queries of the customers' one history (:mod:`kefu.crm.history`) and of the call
notes' statistics; each takes the caller's session, as :mod:`kefu.crm.repo`'s do."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from kefu.store.models import CallRow
from kefu.store.periods import local_day

from .models import ContactNoteRow, TimelineRow

STATS_BY = ("type", "agent", "queue", "day", "week", "month")


@dataclass
class NoteStat:
    """One row of the note statistics: its key (a type, agent, queue or period) and how
    many notes of each type it holds."""

    key: str
    total: int = 0
    types: dict[str, int] = field(default_factory=dict)


def customers_with(s: Session, customer_ids: Sequence[int], kind: str, ref: str) -> set[int]:
    """Which of these customers already have a ``(kind, ref)`` line (the kind-ref index)."""
    if not customer_ids:
        return set()
    return set(s.scalars(select(TimelineRow.customer_id)
                         .where(TimelineRow.kind == kind, TimelineRow.ref == ref,
                                TimelineRow.customer_id.in_(customer_ids))))


def survey_scores(s: Session, call_ids: Sequence[str]) -> dict[str, int]:
    """The calls' post-call survey scores, from their CDRs (the calls without one left out)."""
    if not call_ids:
        return {}
    rows = s.execute(select(CallRow.call_id, CallRow.survey_score)
                     .where(CallRow.call_id.in_(call_ids), CallRow.survey_score.is_not(None)))
    return {call_id: score for call_id, score in rows if score is not None}


def newest_at(s: Session, kind: str) -> float | None:
    return s.scalar(select(func.max(TimelineRow.at)).where(TimelineRow.kind == kind))


def note_counts(s: Session, since: float | None, until: float | None, by: str,
                utc_offset: float) -> list[tuple[str | int, str, int]]:
    """``(key, type, count)`` of the notes written in ``[since, until)``, grouped in SQL by
    ``by``'s column, or for the periods by local day number (days since 1970-01-01 in the
    zone ``utc_offset`` seconds east of UTC: weeks and months are made of days)."""
    key: ColumnElement
    if by in ("type", "agent", "queue"):
        key = getattr(ContactNoteRow, by)
    else:
        key = local_day(ContactNoteRow.created_at, utc_offset, s.get_bind().dialect.name)
    q = select(key.label("key"), ContactNoteRow.type, func.count()).group_by(
        key, ContactNoteRow.type)
    if since is not None:
        q = q.where(ContactNoteRow.created_at >= since)
    if until is not None:
        q = q.where(ContactNoteRow.created_at < until)
    return [(k, t, n) for k, t, n in s.execute(q)]


def note_results(s: Session, since: float, until: float) -> list[tuple[str, str, str, int]]:
    """``(queue, type, result, count)`` of the call notes (notes on a call) written in
    ``[since, until)``, counted in SQL."""
    N = ContactNoteRow
    rows = s.execute(select(N.queue, N.type, N.result, func.count())
                     .where(N.call_id.is_not(None), N.created_at >= since, N.created_at < until)
                     .group_by(N.queue, N.type, N.result))
    return [(q, t, r, n) for q, t, r, n in rows]
