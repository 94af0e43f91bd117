"""What the knowledge base is used for (统计分析): searches, views and votes written and
counted.  Queries over ``kb_searches``, ``kb_views`` and ``kb_votes`` only (the service
decides who may ask).

A search is logged as it was asked (query folded: whitespace collapsed, case-folded), with
how many articles matched and the best one; a search with no match is a content gap until
a manager turns it into a draft (every logged search of that query is then handled).
Search-as-you-type keystrokes are not logged: only the search the user settled on.
The hot list (常问问题) ranks published articles by views plus searches they answered
first, over the last N days.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.orm import Session

from .models import KbArticleRow, KbSearchRow, KbVersionRow, KbViewRow, KbVoteRow

S, W, T = KbSearchRow, KbViewRow, KbVoteRow
MAX_KEY = 64                     # call_id, session
DAY = 86400.0


@dataclass(frozen=True)
class QueryCount:
    query: str
    searches: int
    last_at: float


@dataclass(frozen=True)
class ArticleCount:
    article_id: int
    title: str
    count: float


@dataclass(frozen=True)
class VoteCount:
    article_id: int
    version: int
    title: str
    helpful: int
    not_helpful: int


def fold_query(query: str) -> str:
    return " ".join(query.casefold().split())


def log_search(s: Session, at: float, query: str, hits: int, top_id: int | None,
               username: str, call_id: str) -> None:
    s.add(KbSearchRow(at=at, query=fold_query(query)[:200], hits=hits, top_id=top_id,
                      username=username, call_id=call_id, handled_at=None, draft_id=None))


def log_view(s: Session, at: float, article_id: int, username: str, call_id: str,
             session: str) -> int:
    """Record a view; the article's views in all (the index's popularity)."""
    s.add(KbViewRow(at=at, article_id=article_id, username=username, call_id=call_id,
                    session=session))
    s.flush()
    return views_of(s, article_id)


def views_of(s: Session, article_id: int) -> int:
    return s.scalar(select(func.count()).select_from(W).where(W.article_id == article_id)) or 0


def view_counts(s: Session) -> dict[int, int]:
    return {a: n for a, n in s.execute(select(W.article_id, func.count()).group_by(W.article_id))}


def vote(s: Session, at: float, article_id: int, version: int, username: str,
         helpful: bool) -> None:
    """One vote per user per version: a second one replaces the first."""
    row = s.scalars(select(T).where(T.article_id == article_id, T.version == version,
                                    T.username == username)).first()
    if row is None:
        s.add(KbVoteRow(article_id=article_id, version=version, username=username,
                        helpful=helpful, at=at))
    else:
        row.helpful, row.at = helpful, at


def top_searches(s: Session, since: float, limit: int, *, gaps: bool = False) -> list[QueryCount]:
    """The most asked queries since ``since`` (``gaps``: only unhandled ones that found
    nothing), most first, then the latest."""
    cond = [S.at >= since]
    if gaps:
        cond += [S.hits == 0, S.handled_at.is_(None)]
    n, last = func.count().label("n"), func.max(S.at).label("last")
    q = (select(S.query, n, last).where(*cond).group_by(S.query)
         .order_by(n.desc(), last.desc(), S.query).limit(limit))
    return [QueryCount(qq, c, at) for qq, c, at in s.execute(q)]


def handle_gap(s: Session, query: str, at: float, draft_id: int) -> int:
    """Mark every unhandled no-result search of ``query`` handled; how many."""
    res = s.execute(update(S).where(S.query == fold_query(query), S.hits == 0,
                                    S.handled_at.is_(None))
                    .values(handled_at=at, draft_id=draft_id))
    return int(res.rowcount or 0)  # type: ignore[attr-defined]


def _titles(s: Session, ids: list[int], public_only: bool = False) -> dict[int, str]:
    """The live titles of the published ones among ``ids``."""
    if not ids:
        return {}
    q = (select(KbArticleRow.id, KbVersionRow.title)
         .join(KbVersionRow, KbVersionRow.id == KbArticleRow.live_id)
         .where(KbArticleRow.id.in_(ids)))
    if public_only:
        q = q.where(KbVersionRow.visibility == "public")
    return dict(s.execute(q).all())


def most_viewed(s: Session, since: float, limit: int) -> list[ArticleCount]:
    n = func.count().label("n")
    rows = s.execute(select(W.article_id, n).where(W.at >= since).group_by(W.article_id)
                     .order_by(n.desc(), W.article_id).limit(limit)).all()
    titles = _titles(s, [a for a, _ in rows])
    return [ArticleCount(a, titles.get(a, ""), c) for a, c in rows]


def votes(s: Session, limit: int) -> list[VoteCount]:
    """Per article version: helpful and not, the most not-helpful first."""
    yes = func.sum(case((T.helpful, 1), else_=0)).label("yes")
    total = func.count().label("total")
    rows = s.execute(select(T.article_id, T.version, yes, total)
                     .group_by(T.article_id, T.version)
                     .order_by((total - yes).desc(), total.desc(), T.article_id, T.version)
                     .limit(limit)).all()
    titles = _titles(s, [a for a, *_ in rows])
    return [VoteCount(a, v, titles.get(a, ""), int(y or 0), int(t) - int(y or 0))
            for a, v, y, t in rows]


def hot(s: Session, since: float, limit: int, public_only: bool = False) -> list[ArticleCount]:
    """Published articles by views + searches they answered first since ``since``; ties
    by id (the older first)."""
    score: Counter[int] = Counter()
    score.update(dict(s.execute(select(W.article_id, func.count()).where(W.at >= since)
                                .group_by(W.article_id)).all()))
    score.update({int(a or 0): n for a, n in s.execute(select(S.top_id, func.count()).where(
        S.at >= since, S.top_id.is_not(None)).group_by(S.top_id)).all()})
    titles = _titles(s, list(score), public_only)
    best = sorted((a for a in score if a in titles), key=lambda a: (-score[a], a))[:limit]
    return [ArticleCount(a, titles[a], score[a]) for a in best]


def coviews(s: Session, article_id: int, since: float, scan: int = 2000) -> Counter[int]:
    """Other articles viewed in the same call or session as ``article_id`` since
    ``since``: how many calls/sessions each shared (``scan``: the newest views looked at)."""
    mine = s.execute(select(W.call_id, W.session).where(
        W.article_id == article_id, W.at >= since, or_(W.call_id != "", W.session != ""))
        .order_by(W.at.desc()).limit(scan)).all()
    calls = {c for c, _ in mine if c}
    sessions = {x for _, x in mine if x}
    if not calls and not sessions:
        return Counter()
    conds = []
    if calls:
        conds.append(W.call_id.in_(calls))
    if sessions:
        conds.append(W.session.in_(sessions))
    rows = s.execute(select(W.article_id, W.call_id, W.session).where(
        and_(W.article_id != article_id, W.at >= since, or_(*conds)))
        .order_by(W.at.desc()).limit(scan * 10)).all()
    shared: dict[int, set[tuple[str, str]]] = {}
    for a, c, x in rows:
        keys = shared.setdefault(a, set())
        if c in calls:
            keys.add(("call", c))
        if x in sessions:
            keys.add(("session", x))
    return Counter({a: len(k) for a, k in shared.items()})
