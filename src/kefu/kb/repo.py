"""The knowledge base's queries and row conversions (only the slice imports this)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .models import KbArticleRow, KbAuditRow, KbCategoryRow, KbFileRow, KbVersionRow
from .records import OPEN, AuditEntry, File, Version

V = KbVersionRow


def to_version(r: KbVersionRow) -> Version:
    return Version(id=r.id, article_id=r.article_id, number=r.number, title=r.title,
                   body=r.body, keywords=tuple(r.keywords), visibility=r.visibility,
                   review_date=r.review_date, state=r.state, author=r.author,
                   created_at=r.created_at, submitted_at=r.submitted_at,
                   decided_by=r.decided_by, decided_at=r.decided_at, comment=r.comment,
                   publish_at=r.publish_at, published_at=r.published_at)


def to_file(r: KbFileRow) -> File:
    return File(id=r.id, article_id=r.article_id, kind=r.kind, name=r.name, mime=r.mime,
                size=r.size, by=r.by, at=r.at, path=r.path)


def audit(s: Session, at: float, actor: str, action: str, *, article_id: int | None = None,
          version: int | None = None, category_id: int | None = None,
          comment: str = "") -> None:
    """Append one audit line (the only write the table ever sees)."""
    s.add(KbAuditRow(at=at, actor=actor, action=action, article_id=article_id,
                     version=version, category_id=category_id, comment=comment))


def audit_of(s: Session, article_id: int) -> tuple[AuditEntry, ...]:
    q = select(KbAuditRow).where(KbAuditRow.article_id == article_id).order_by(KbAuditRow.id)
    return tuple(AuditEntry(id=r.id, at=r.at, actor=r.actor, action=r.action,
                            article_id=r.article_id, version=r.version,
                            category_id=r.category_id, comment=r.comment)
                 for r in s.scalars(q))


def categories(s: Session) -> list[KbCategoryRow]:
    return list(s.scalars(select(KbCategoryRow).order_by(KbCategoryRow.position,
                                                         KbCategoryRow.id)))


def published_counts(s: Session, public: bool = False) -> dict[int, int]:
    """Published articles per category (``public``: the public ones only)."""
    q = (select(KbArticleRow.category_id, func.count())
         .join(V, V.id == KbArticleRow.live_id).group_by(KbArticleRow.category_id))
    if public:
        q = q.where(V.visibility == "public")
    return {c: n for c, n in s.execute(q).all()}


def articles_in(s: Session, category_id: int) -> int:
    q = select(func.count()).select_from(KbArticleRow).where(
        KbArticleRow.category_id == category_id)
    return s.scalar(q) or 0


def open_version(s: Session, article_id: int) -> KbVersionRow | None:
    q = select(V).where(V.article_id == article_id, V.state.in_(OPEN))
    return s.scalars(q.order_by(V.number.desc())).first()


def version(s: Session, article_id: int, number: int) -> KbVersionRow | None:
    return s.scalars(select(V).where(V.article_id == article_id, V.number == number)).first()


def versions(s: Session, article_id: int) -> list[KbVersionRow]:
    return list(s.scalars(select(V).where(V.article_id == article_id).order_by(V.number)))


def newest(s: Session, article_id: int) -> KbVersionRow | None:
    return s.scalars(select(V).where(V.article_id == article_id)
                     .order_by(V.number.desc())).first()


def last_number(s: Session, article_id: int) -> int:
    return s.scalar(select(func.max(V.number)).where(V.article_id == article_id)) or 0


def due(s: Session, now: float) -> list[KbVersionRow]:
    """Scheduled versions whose publish time has come, oldest first."""
    q = select(V).where(V.state == "scheduled", V.publish_at <= now)
    return list(s.scalars(q.order_by(V.publish_at, V.id).with_for_update()))


def files(s: Session, article_id: int) -> tuple[File, ...]:
    q = select(KbFileRow).where(KbFileRow.article_id == article_id).order_by(KbFileRow.id)
    return tuple(to_file(r) for r in s.scalars(q))
