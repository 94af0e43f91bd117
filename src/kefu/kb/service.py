"""The knowledge base's public face (知识库): the category tree, articles and their
versions, the review workflow, files, scheduled publishing (:meth:`Kb.tick`) and search
through the pluggable index.

Who may do what is one rule here: every role reads published articles; ``[kb] writers``
also see drafts and history, write drafts and submit them; ``[kb] approvers`` approve,
reject, schedule and unpublish, edit anyone's draft and keep the category tree; the
public (no user) reads public published articles only.  Every edit is a new version;
while an edit is pending the live version stays live.  Every method is one transaction;
the index hears of what went live or off only after its transaction committed.
"""

from __future__ import annotations

import datetime as dt
import difflib
import itertools
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import and_, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kefu.config import KbSettings
from kefu.store.checks import check_choice, check_text
from kefu.store.db import Database
from kefu.store.errors import Conflict, Invalid, NotFound
from kefu.store import uploads
from kefu.store.uploads import TooLarge, Unsupported
from kefu.users.service import User

from . import related as rel
from . import repo, stats
from .search.text import is_cjk
from .index import ArticleIndex, Found, Hit, LiveIndex
from .models import (KbArticleRow, KbCategoryRow, KbFileRow, KbSynonymRow, KbVersionRow,
                     KbWordRow)
from .trees_models import KbTreeRow
from .records import (DIFF_MODES, FILE_KINDS, MAX_BODY, MAX_CATEGORY, MAX_COMMENT, MAX_DEPTH,
                      MAX_KEYWORD, MAX_KEYWORDS, MAX_TITLE, OPEN, VISIBILITIES, Article,
                      AuditEntry, Category, Denied, Diff, File, KbDocument, Version)

__all__ = ["Article", "AuditEntry", "Category", "Denied", "Diff", "File", "Kb", "KbDocument",
           "SearchHit", "TooLarge", "Unsupported", "Version"]

log = logging.getLogger(__name__)

LISTS = ("published", "pending", "scheduled", "mine", "stale")
MANAGERS = ("supervisor", "admin")      # read the statistics, turn gaps into drafts
MAX_WORD = 64                           # a synonym or dictionary word
MAX_WORDS = 2000                        # synonym words, or dictionary words, in all


@dataclass(frozen=True)
class SearchHit:
    """A search's article with its title and snippet as HTML (escaped, <mark>ed)."""

    article: Article
    score: float
    title_html: str
    snippet_html: str

    @property
    def id(self) -> int:
        return self.article.id

Change = tuple[str, int, KbDocument | None]        # ("update" | "remove", article, doc)


def _local_tz() -> dt.tzinfo:
    return dt.datetime.now().astimezone().tzinfo or dt.timezone.utc


class Kb:
    """The knowledge base over the shared :class:`Database`; files under ``files_dir``."""

    def __init__(self, db: Database, settings: KbSettings | None = None, *, files_dir: Path,
                 clock: Callable[[], float] = time.time, tz: dt.tzinfo | None = None,
                 index: ArticleIndex | None = None) -> None:
        self._db = db
        self.settings = settings or KbSettings()
        self.files_dir = files_dir
        self.clock = clock
        self.tz = tz or _local_tz()
        self.index: ArticleIndex = index or LiveIndex()

    # --- who ---------------------------------------------------------------------------------
    def can_write(self, user: User | None) -> bool:
        return user is not None and user.role in self.settings.writers

    def can_approve(self, user: User | None) -> bool:
        return user is not None and user.role in self.settings.approvers

    def _writer(self, user: User, what: str) -> None:
        if not (self.can_write(user) or self.can_approve(user)):
            raise Denied(f"{what} needs a role of [kb] writers "
                         f"({', '.join(self.settings.writers)}); you are {user.role}")

    def _approver(self, user: User, what: str) -> None:
        if not self.can_approve(user):
            raise Denied(f"{what} needs a role of [kb] approvers "
                         f"({', '.join(self.settings.approvers)}); you are {user.role}")

    def _staff(self, user: User | None) -> bool:
        """Sees drafts, pending versions and history."""
        return self.can_write(user) or self.can_approve(user)

    # --- categories --------------------------------------------------------------------------
    def categories(self, public: bool = False) -> list[Category]:
        """The tree: top-level categories with their children, by position then id; each
        with its published articles counted (``public``: the public ones)."""
        with self._db.tx(write=False) as s:
            rows, counts = repo.categories(s), repo.published_counts(s, public)
        kids: dict[int | None, list[KbCategoryRow]] = {}
        for r in rows:
            kids.setdefault(r.parent_id, []).append(r)

        def build(r: KbCategoryRow) -> Category:
            return Category(id=r.id, name=r.name, parent_id=r.parent_id, position=r.position,
                            articles=counts.get(r.id, 0),
                            children=tuple(build(c) for c in kids.get(r.id, [])))
        return [build(r) for r in kids.get(None, [])]

    def create_category(self, user: User, name: str, parent_id: int | None = None,
                        position: int = 0) -> Category:
        self._approver(user, "editing categories")
        name = self._category_name(name)
        now = self.clock()
        with self._db.tx() as s:
            self._check_place(s, None, parent_id, name)
            row = KbCategoryRow(name=name, parent_id=parent_id, position=position,
                                created_at=now)
            s.add(row)
            s.flush()
            repo.audit(s, now, user.username, "category_created", category_id=row.id,
                       comment=name)
            return Category(id=row.id, name=name, parent_id=parent_id, position=position,
                            articles=0)

    def rename_category(self, user: User, category_id: int, name: str) -> None:
        self._approver(user, "editing categories")
        name = self._category_name(name)
        with self._db.tx() as s:
            row = self._category(s, category_id)
            self._check_place(s, row.id, row.parent_id, name)
            old, row.name = row.name, name
            repo.audit(s, self.clock(), user.username, "category_renamed",
                       category_id=row.id, comment=f"{old} → {name}")

    def move_category(self, user: User, category_id: int, parent_id: int | None,
                      position: int | None = None, *, keep_parent: bool = False) -> None:
        """Under another parent (None: top level; ``keep_parent``: only the position
        changes); never under itself or its own subtree."""
        self._approver(user, "editing categories")
        with self._db.tx() as s:
            row = self._category(s, category_id)
            if keep_parent:
                parent_id = row.parent_id
            self._check_place(s, row.id, parent_id, row.name)
            row.parent_id = parent_id
            if position is not None:
                row.position = position
            repo.audit(s, self.clock(), user.username, "category_moved", category_id=row.id,
                       comment=f"parent {parent_id}")

    def delete_category(self, user: User, category_id: int) -> None:
        """Only an empty one: no subcategory, no article (published or not), no guided
        question tree."""
        self._approver(user, "editing categories")
        with self._db.tx() as s:
            row = self._category(s, category_id)
            children = s.scalar(select(func.count()).select_from(KbCategoryRow)
                                .where(KbCategoryRow.parent_id == row.id)) or 0
            articles = repo.articles_in(s, row.id)
            trees = s.scalar(select(func.count()).select_from(KbTreeRow)
                             .where(KbTreeRow.category_id == row.id)) or 0
            if children or articles or trees:
                raise Conflict(f"category {row.id} is not empty ({children} subcategories, "
                               f"{articles} articles, {trees} guided trees): move or delete "
                               f"them first")
            repo.audit(s, self.clock(), user.username, "category_deleted", category_id=row.id,
                       comment=row.name)
            s.delete(row)

    @staticmethod
    def _category_name(name: str) -> str:
        check_text("category name", name, MAX_CATEGORY, required=True)
        return name.strip()

    @staticmethod
    def _category(s: Session, category_id: int) -> KbCategoryRow:
        row = s.get(KbCategoryRow, category_id)
        if row is None:
            raise NotFound(f"category {category_id} not found")
        return row

    def _check_place(self, s: Session, me: int | None, parent_id: int | None,
                     name: str) -> None:
        """The parent exists, is not ``me`` nor below it, the tree stays within
        ``MAX_DEPTH`` levels, and no sibling has this name."""
        depth, at = 1, parent_id
        while at is not None:
            if at == me:
                raise Conflict(f"category {me} cannot move under itself or its own subcategory")
            depth += 1
            at = self._category(s, at).parent_id
        if me is not None:
            depth += self._height(s, me) - 1
        if depth > MAX_DEPTH:
            raise Invalid(f"categories nest at most {MAX_DEPTH} levels deep")
        same = s.scalars(select(KbCategoryRow.id).where(
            KbCategoryRow.parent_id.is_(None) if parent_id is None
            else KbCategoryRow.parent_id == parent_id,
            KbCategoryRow.name == name)).first()
        if same is not None and same != me:
            raise Conflict(f"a category named {name!r} is already there")

    def _height(self, s: Session, category_id: int) -> int:
        kids = s.scalars(select(KbCategoryRow.id).where(KbCategoryRow.parent_id == category_id))
        return 1 + max((self._height(s, k) for k in kids), default=0)

    def _subtree(self, s: Session, category_id: int) -> list[int]:
        self._category(s, category_id)
        out, todo = [], [category_id]
        while todo:
            at = todo.pop()
            out.append(at)
            todo += s.scalars(select(KbCategoryRow.id).where(KbCategoryRow.parent_id == at))
        return out

    # --- writing -----------------------------------------------------------------------------
    def create(self, user: User, *, category_id: int, title: str, body: str = "",
               keywords: Sequence[str] = (), visibility: str = "internal",
               review_date: dt.date | None = None, submit: bool = False) -> Article:
        """A new article: version 1, a draft (pending when ``submit``)."""
        self._writer(user, "writing articles")
        content = _content(title, body, keywords, visibility, review_date)
        now = self.clock()
        with self._db.tx() as s:
            return self._create(s, user, category_id, content, now, submit)

    def _create(self, s: Session, user: User, category_id: int, content: dict[str, object],
                now: float, submit: bool) -> Article:
        self._category(s, category_id)
        art = KbArticleRow(category_id=category_id, live_id=None,
                           created_by=user.username, created_at=now, updated_at=now)
        s.add(art)
        s.flush()
        self._new_version(s, art, 1, content, user, now, submit)
        repo.audit(s, now, user.username, "created", article_id=art.id, version=1)
        if submit:
            repo.audit(s, now, user.username, "submitted", article_id=art.id, version=1)
        return self._article(s, art, user)

    def edit(self, user: User, article_id: int, *, title: str | None = None,
             body: str | None = None, keywords: Sequence[str] | None = None,
             visibility: str | None = None, review_date: dt.date | None = None,
             clear_review_date: bool = False, submit: bool = False) -> Article:
        """A new version from the newest one (what is not given is kept; an article taken
        down starts from its last).  It replaces the article's open draft, pending or
        scheduled version (only its author or an approver may), never the live one: that
        stays live until the new version is approved."""
        self._writer(user, "editing articles")
        now = self.clock()
        with self._db.tx() as s:
            art = self._article_row(s, article_id)
            live = s.get(KbVersionRow, art.live_id) if art.live_id else None
            work = self._working(s, art)
            if work is not None and work.state in OPEN and work.author != user.username \
                    and not self.can_approve(user):
                raise Denied(f"article {article_id} has a {work.state} version by "
                             f"{work.author}; only they or an approver may change it")
            base = work or live or repo.newest(s, art.id)      # taken down: from its last
            assert base is not None                             # an article has a version
            content = _content(
                base.title if title is None else title, base.body if body is None else body,
                base.keywords if keywords is None else keywords,
                base.visibility if visibility is None else visibility,
                None if clear_review_date else review_date or base.review_date)
            if work is not None and work.state in OPEN:
                work.state = "superseded"
            number = repo.last_number(s, art.id) + 1
            self._new_version(s, art, number, content, user, now, submit)
            art.updated_at = now
            repo.audit(s, now, user.username, "edited", article_id=art.id, version=number)
            if submit:
                repo.audit(s, now, user.username, "submitted", article_id=art.id,
                           version=number)
            return self._article(s, art, user)

    def submit(self, user: User, article_id: int) -> Article:
        """The open draft goes to the approvers (its author or an approver)."""
        self._writer(user, "submitting articles")
        now = self.clock()
        with self._db.tx() as s:
            art = self._article_row(s, article_id)
            work = self._working(s, art)
            if work is None or work.state != "draft":
                raise Conflict(f"article {article_id} has no draft to submit")
            if work.author != user.username and not self.can_approve(user):
                raise Denied(f"the draft is {work.author}'s; only they or an approver may "
                             "submit it")
            work.state, work.submitted_at = "pending", now
            repo.audit(s, now, user.username, "submitted", article_id=art.id,
                       version=work.number)
            return self._article(s, art, user)

    def approve(self, user: User, article_id: int, number: int, comment: str = "",
                publish_at: float | None = None) -> Article:
        """A pending version goes live now, or at ``publish_at`` (scheduled until then;
        the current live version stays live meanwhile)."""
        self._approver(user, "approving articles")
        check_text("comment", comment, MAX_COMMENT)
        now = self.clock()
        changes: list[Change] = []
        with self._db.tx() as s:
            art = self._article_row(s, article_id)
            row = self._version_row(s, art.id, number)
            if row.state != "pending":
                raise Conflict(f"version {number} of article {article_id} is {row.state}, "
                               "not pending")
            row.decided_by, row.decided_at, row.comment = user.username, now, comment
            repo.audit(s, now, user.username, "approved", article_id=art.id, version=number,
                       comment=comment)
            if publish_at is not None and publish_at > now:
                row.state, row.publish_at = "scheduled", publish_at
                repo.audit(s, now, user.username, "scheduled", article_id=art.id,
                           version=number, comment=_iso(publish_at, self.tz))
            else:
                changes.append(self._publish(s, art, row, now, user.username))
            out = self._article(s, art, user)
        self._tell_index(changes)
        return out

    def reject(self, user: User, article_id: int, number: int, comment: str) -> Article:
        """A pending or scheduled version is turned down, with the reason."""
        self._approver(user, "rejecting articles")
        check_text("comment", comment, MAX_COMMENT, required=True)
        now = self.clock()
        with self._db.tx() as s:
            art = self._article_row(s, article_id)
            row = self._version_row(s, art.id, number)
            if row.state not in ("pending", "scheduled"):
                raise Conflict(f"version {number} of article {article_id} is {row.state}, "
                               "not pending")
            row.state, row.decided_by, row.decided_at = "rejected", user.username, now
            row.comment, row.publish_at = comment, None
            repo.audit(s, now, user.username, "rejected", article_id=art.id, version=number,
                       comment=comment)
            return self._article(s, art, user)

    def unpublish(self, user: User, article_id: int, comment: str = "") -> Article:
        self._approver(user, "unpublishing articles")
        check_text("comment", comment, MAX_COMMENT)
        now = self.clock()
        with self._db.tx() as s:
            art = self._article_row(s, article_id)
            live = s.get(KbVersionRow, art.live_id) if art.live_id else None
            if live is None:
                raise Conflict(f"article {article_id} is not published")
            live.state, art.live_id, art.updated_at = "superseded", None, now
            repo.audit(s, now, user.username, "unpublished", article_id=art.id,
                       version=live.number, comment=comment)
            out = self._article(s, art, user)
        self._tell_index([("remove", article_id, None)])
        return out

    def move(self, user: User, article_id: int, category_id: int) -> Article:
        """File an article under another category (audited; no new version)."""
        self._writer(user, "moving articles")
        now = self.clock()
        changes: list[Change] = []
        with self._db.tx() as s:
            art = self._article_row(s, article_id)
            self._category(s, category_id)
            old, art.category_id, art.updated_at = art.category_id, category_id, now
            repo.audit(s, now, user.username, "moved", article_id=art.id,
                       category_id=category_id, comment=f"category {old} → {category_id}")
            if art.live_id is not None:
                live = s.get(KbVersionRow, art.live_id)
                assert live is not None
                changes.append(("update", art.id, _doc(art, live, stats.views_of(s, art.id))))
            out = self._article(s, art, user)
        self._tell_index(changes)
        return out

    def tick(self, now: float | None = None) -> list[int]:
        """Publish the scheduled versions whose time has come; the articles' ids."""
        now = self.clock() if now is None else now
        changes: list[Change] = []
        with self._db.tx() as s:
            for row in repo.due(s, now):
                art = self._article_row(s, row.article_id)
                changes.append(self._publish(s, art, row, now, "scheduler"))
        self._tell_index(changes)
        return [c[1] for c in changes]

    def _new_version(self, s: Session, art: KbArticleRow, number: int,
                     content: dict[str, object], user: User, now: float,
                     submit: bool) -> KbVersionRow:
        row = KbVersionRow(article_id=art.id, number=number, **content,
                           state="pending" if submit else "draft", author=user.username,
                           created_at=now, submitted_at=now if submit else None,
                           decided_by="", decided_at=None, comment="", publish_at=None,
                           published_at=None)
        s.add(row)
        try:
            s.flush()
        except IntegrityError:          # two edits at once took the same number
            raise Conflict(f"article {art.id} was edited at the same moment; "
                           "reload and try again") from None
        return row

    def _publish(self, s: Session, art: KbArticleRow, row: KbVersionRow, now: float,
                 actor: str) -> Change:
        first = art.live_id is None
        if not first:
            old = s.get(KbVersionRow, art.live_id)
            assert old is not None
            old.state = "superseded"
        row.state, row.published_at = "published", now
        art.live_id, art.updated_at = row.id, now
        repo.audit(s, now, actor, "published", article_id=art.id, version=row.number)
        return ("update", art.id, _doc(art, row, stats.views_of(s, art.id)))

    def _tell_index(self, changes: Iterable[Change]) -> None:
        """After commit: a failing index is logged, never undoes a publication."""
        for kind, article_id, doc in changes:
            try:
                if kind == "remove":
                    self.index.remove(article_id)
                else:
                    assert doc is not None
                    self.index.update(doc)
            except Exception:
                log.exception("kb: the index failed on article %d", article_id)

    def reindex(self) -> int:
        """Hand the index every live article (with its views) and the admins' vocabulary
        (on start; a :class:`LiveIndex` builds in the background); how many articles."""
        with self._db.tx(write=False) as s:
            q = (select(KbArticleRow, KbVersionRow)
                 .join(KbVersionRow, KbVersionRow.id == KbArticleRow.live_id))
            views = stats.view_counts(s)
            docs = [_doc(a, v, views.get(a.id, 0)) for a, v in s.execute(q).all()]
            synonyms, words = self._vocabulary(s)
        self.index.start(docs, synonyms, words)
        return len(docs)

    # --- reading -----------------------------------------------------------------------------
    def get(self, user: User | None, article_id: int) -> Article:
        """As ``user`` may see it (None: the public: public published articles only)."""
        with self._db.tx(write=False) as s:
            art = s.get(KbArticleRow, article_id)
            out = None if art is None else self._article(s, art, user)
            if out is None or not self._seen(out, user):
                raise NotFound(f"article {article_id} not found")
            return out

    def articles(self, user: User | None, *, view: str = "published",
             category_id: int | None = None, limit: int = 50,
             offset: int = 0) -> tuple[list[Article], int]:
        """``published`` (readers; the public: public ones), ``stale`` (published, past
        their review date), ``pending`` and ``scheduled`` (waiting for approvers), ``mine``
        (the caller's unpublished versions)."""
        check_choice("view", view, LISTS)
        if view in ("pending", "scheduled", "mine", "stale") and not self._staff(user):
            raise Denied(f"the {view} list is for [kb] writers and approvers")
        A, V = KbArticleRow, KbVersionRow
        with self._db.tx(write=False) as s:
            if view in ("published", "stale"):
                q = select(A).join(V, V.id == A.live_id)
                if user is None:
                    q = q.where(V.visibility == "public")
                if view == "stale":
                    q = q.where(V.review_date < self.today())
                q = q.order_by(V.published_at.desc(), A.id.desc())
            else:
                cond = (V.state == view if view != "mine"
                        else and_(V.state.in_((*OPEN, "rejected")),
                                  V.author == (user.username if user else "")))
                ids = select(V.article_id).where(cond)
                q = select(A).where(A.id.in_(ids)).order_by(A.updated_at.desc(), A.id.desc())
            if category_id is not None:
                q = q.where(A.category_id.in_(self._subtree(s, category_id)))
            total = s.scalar(select(func.count()).select_from(q.subquery())) or 0
            rows = s.scalars(q.limit(limit).offset(offset)).all()
            return [self._article(s, r, user) for r in rows], total

    def search(self, user: User | None, query: str, *, category_id: int | None = None,
               limit: int = 20, prefix: bool = False, call_id: str = "") -> list[SearchHit]:
        """Published articles the index finds, best first (the public: public ones), with
        their marked title and snippet.  Logged for the statistics unless ``prefix``
        (search as you type: the partial word is not what was asked)."""
        return self.find(user, query, category_id=category_id, limit=limit, prefix=prefix,
                         call_id=call_id)[0]

    def find(self, user: User | None, query: str, *, category_id: int | None = None,
             limit: int = 20, prefix: bool = False,
             call_id: str = "") -> tuple[list[SearchHit], Found]:
        """:meth:`search` and the index's answer (total, whether it was still building)."""
        check_text("query", query, 200, required=True)
        check_text("call_id", call_id, stats.MAX_KEY)
        with self._db.tx(write=False) as s:
            cats = None if category_id is None else self._subtree(s, category_id)
        found = self.index.find(query, limit=limit, categories=cats,
                                public_only=user is None, prefix=prefix)
        with self._db.tx(write=not prefix) as s:
            out = []
            for h in found.hits:
                art = s.get(KbArticleRow, h.id)
                a = None if art is None else self._article(s, art, user)
                if a is not None and a.live is not None:   # the index may lag a moment
                    out.append(SearchHit(a, h.score, h.title_html, h.snippet_html))
            if not prefix:
                stats.log_search(s, self.clock(), query, found.total,
                                 out[0].id if out else None,
                                 user.username if user else "", call_id)
        return out, found

    def versions(self, user: User, article_id: int) -> list[Version]:
        self._writer(user, "an article's history")
        with self._db.tx(write=False) as s:
            self._article_row(s, article_id)
            return [repo.to_version(r) for r in repo.versions(s, article_id)]

    def version(self, user: User, article_id: int, number: int) -> Version:
        self._writer(user, "an article's history")
        with self._db.tx(write=False) as s:
            return repo.to_version(self._version_row(s, article_id, number))

    def diff(self, user: User, article_id: int, a: int, b: int,
             mode: str = "unified") -> Diff:
        """What changed from version ``a`` to ``b``: difflib's unified text, or side by
        side rows (op, left line, right line) with op equal, replace, delete or insert."""
        check_choice("mode", mode, DIFF_MODES)
        self._writer(user, "an article's history")
        with self._db.tx(write=False) as s:
            va, vb = self._version_row(s, article_id, a), self._version_row(s, article_id, b)
            left, right = _lines(repo.to_version(va)), _lines(repo.to_version(vb))
        if mode == "unified":
            text = "\n".join(difflib.unified_diff(left, right, f"v{a}", f"v{b}", lineterm=""))
            return Diff(article_id, a, b, mode, text)
        rows: list[tuple[str, str, str]] = []
        for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, left, right,
                                                          autojunk=False).get_opcodes():
            for x, y in itertools.zip_longest(left[i1:i2], right[j1:j2]):
                kind = op if x is not None and y is not None else \
                    ("insert" if x is None else "delete")   # a replace's unpaired lines
                rows.append((kind, x or "", y or ""))
        return Diff(article_id, a, b, mode, "", tuple(rows))

    def audit(self, user: User, article_id: int) -> tuple[AuditEntry, ...]:
        """Who did what to the article, when, with which comment (approvals included)."""
        self._writer(user, "an article's history")
        with self._db.tx(write=False) as s:
            self._article_row(s, article_id)
            return repo.audit_of(s, article_id)

    def today(self) -> dt.date:
        return dt.datetime.fromtimestamp(self.clock(), self.tz).date()

    def _article(self, s: Session, art: KbArticleRow, user: User | None) -> Article:
        """The article as ``user`` sees it (:meth:`_seen` says whether they may)."""
        live = s.get(KbVersionRow, art.live_id) if art.live_id else None
        if live is not None and user is None and live.visibility != "public":
            live = None
        work = self._working(s, art) if self._staff(user) else None
        stale = live is not None and live.review_date is not None \
            and live.review_date < self.today()
        return Article(id=art.id, category_id=art.category_id, created_by=art.created_by,
                       created_at=art.created_at,
                       live=None if live is None else repo.to_version(live),
                       working=None if work is None else repo.to_version(work),
                       stale=stale, files=repo.files(s, art.id))

    def _seen(self, a: Article, user: User | None) -> bool:
        """Writers and approvers see every article; readers published ones; the public
        public published ones (``a.live`` is already None for them otherwise)."""
        return a.live is not None or self._staff(user)

    @staticmethod
    def _working(s: Session, art: KbArticleRow) -> KbVersionRow | None:
        """The newest version after the live one that is open or was rejected."""
        live_no = None
        if art.live_id is not None:
            live = s.get(KbVersionRow, art.live_id)
            live_no = live.number if live else None
        V = KbVersionRow
        q = select(V).where(V.article_id == art.id, V.state.in_((*OPEN, "rejected")))
        if live_no is not None:
            q = q.where(V.number > live_no)
        return s.scalars(q.order_by(V.number.desc())).first()

    @staticmethod
    def _article_row(s: Session, article_id: int) -> KbArticleRow:
        art = s.get(KbArticleRow, article_id)
        if art is None:
            raise NotFound(f"article {article_id} not found")
        return art

    @staticmethod
    def _version_row(s: Session, article_id: int, number: int) -> KbVersionRow:
        row = repo.version(s, article_id, number)
        if row is None:
            raise NotFound(f"article {article_id} has no version {number}")
        return row

    # --- use: views, votes, statistics, related, vocabulary ----------------------------------
    def _manager(self, user: User, what: str) -> None:
        if user.role not in MANAGERS:
            raise Denied(f"{what} is for supervisors and admins; you are {user.role}")

    def _admin(self, user: User, what: str) -> None:
        if user.role != "admin":
            raise Denied(f"{what} is for admins; you are {user.role}")

    def view(self, user: User | None, article_id: int, *, call_id: str = "",
             session: str = "") -> int:
        """Count a reading of a published article (``call_id``/``session`` tie the views of
        one call or visit together); its views in all, which the index ranks by."""
        check_text("call_id", call_id, stats.MAX_KEY)
        check_text("session", session, stats.MAX_KEY)
        now = self.clock()
        with self._db.tx() as s:
            art = s.get(KbArticleRow, article_id)
            a = None if art is None else self._article(s, art, user)
            if a is None or a.live is None:
                raise NotFound(f"article {article_id} not found")
            n = stats.log_view(s, now, article_id, user.username if user else "", call_id,
                               session)
        self.index.set_views(article_id, n)
        return n

    def vote(self, user: User, article_id: int, helpful: bool) -> None:
        """Helpful or not, on the live version: one vote per user per version (a second
        replaces the first)."""
        now = self.clock()
        with self._db.tx() as s:
            a = self._article(s, self._article_row(s, article_id), user)
            if a.live is None:
                raise NotFound(f"article {article_id} is not published")
            stats.vote(s, now, article_id, a.live.number, user.username, helpful)

    def _since(self, days: int) -> float:
        if not 1 <= days <= 366:
            raise Invalid("days must be 1 to 366")
        return self.clock() - days * stats.DAY

    def top_searches(self, user: User, *, days: int = 30,
                     limit: int = 20) -> list[stats.QueryCount]:
        self._manager(user, "search statistics")
        with self._db.tx(write=False) as s:
            return stats.top_searches(s, self._since(days), limit)

    def gaps(self, user: User, *, days: int = 30, limit: int = 20) -> list[stats.QueryCount]:
        """Searches that found nothing and no one has turned into a draft yet."""
        self._manager(user, "content gaps")
        with self._db.tx(write=False) as s:
            return stats.top_searches(s, self._since(days), limit, gaps=True)

    def draft_from_gap(self, user: User, query: str, category_id: int) -> Article:
        """One click: a draft titled with the gap's query, and the gap handled."""
        self._manager(user, "turning a gap into a draft")
        self._writer(user, "writing articles")
        content = _content(stats.fold_query(query), "", (), "internal", None)
        now = self.clock()
        with self._db.tx() as s:                     # the draft and the gap handled: one tx
            draft = self._create(s, user, category_id, content, now, False)
            if not stats.handle_gap(s, query, now, draft.id):
                raise NotFound(f"no open content gap for {stats.fold_query(query)!r}")
            return draft

    def most_viewed(self, user: User, *, days: int = 30,
                    limit: int = 20) -> list[stats.ArticleCount]:
        self._manager(user, "view statistics")
        with self._db.tx(write=False) as s:
            return stats.most_viewed(s, self._since(days), limit)

    def votes(self, user: User, *, limit: int = 50) -> list[stats.VoteCount]:
        self._manager(user, "vote statistics")
        with self._db.tx(write=False) as s:
            return stats.votes(s, limit)

    def hot(self, user: User | None, *, days: int = 30,
            limit: int = 10) -> list[stats.ArticleCount]:
        """常问问题: the published articles most viewed or searched lately (every role; the
        public and the IVR: public ones)."""
        with self._db.tx(write=False) as s:
            return stats.hot(s, self._since(days), limit, public_only=user is None)

    def related(self, user: User | None, article_id: int,
                limit: int = 5) -> list[tuple[Article, rel.Related]]:
        """Articles related to this one, by content and co-viewing (``related.py``), as
        ``user`` may see them."""
        self.get(user, article_id)
        content = {h.id: h.score for h in self.index.similar(article_id, rel.CANDIDATES)}
        with self._db.tx(write=False) as s:
            coview = stats.coviews(s, article_id, self.clock() - rel.WINDOW_DAYS * stats.DAY)
            out = []
            for r in rel.blend(content, coview, limit * 2, exclude=article_id):
                art = s.get(KbArticleRow, r.article_id)
                a = None if art is None else self._article(s, art, user)
                if a is not None and a.live is not None:
                    out.append((a, r))
            return out[:limit]

    @staticmethod
    def _vocabulary(s: Session) -> tuple[list[list[str]], list[str]]:
        groups = [list(r.words) for r in s.scalars(select(KbSynonymRow).order_by(KbSynonymRow.id))]
        return groups, list(s.scalars(select(KbWordRow.word).order_by(KbWordRow.word)))

    def vocabulary(self, user: User) -> tuple[list[list[str]], list[str]]:
        """The synonym groups and the dictionary words (product names)."""
        self._admin(user, "the search vocabulary")
        with self._db.tx(write=False) as s:
            return self._vocabulary(s)

    def set_synonyms(self, user: User, groups: Sequence[Sequence[str]]) -> list[list[str]]:
        """Replace every synonym group; applied to the index at once."""
        self._admin(user, "the search vocabulary")
        clean = [_words(g, "synonym") for g in groups]
        if any(len(g) < 2 for g in clean):
            raise Invalid("a synonym group needs two words or more")
        odd = [w for g in clean for w in g if not _one_term(w)]
        if odd:
            raise Invalid("a synonym must be one word of Chinese characters or of Latin "
                          f"letters: {', '.join(odd[:5])}")
        if sum(map(len, clean)) > MAX_WORDS:
            raise Invalid(f"at most {MAX_WORDS} synonym words in all")
        with self._db.tx() as s:
            s.execute(delete(KbSynonymRow))
            s.add_all(KbSynonymRow(words=g) for g in clean)
            groups_now, words = self._vocabulary(s)
        self.index.vocabulary(groups_now, words)
        log.info("kb: %s set %d synonym groups", user.username, len(clean))
        return groups_now

    def set_words(self, user: User, words: Sequence[str]) -> list[str]:
        """Replace the dictionary of site words (product names) the segmenter keeps whole;
        the articles holding a new one are re-indexed."""
        self._admin(user, "the search vocabulary")
        clean = _words(words, "word")
        if len(clean) > MAX_WORDS:
            raise Invalid(f"at most {MAX_WORDS} words")
        with self._db.tx() as s:
            s.execute(delete(KbWordRow))
            s.add_all(KbWordRow(word=w) for w in clean)
            groups, words_now = self._vocabulary(s)
        self.index.vocabulary(groups, words_now)
        log.info("kb: %s set %d dictionary words", user.username, len(clean))
        return words_now

    # --- files -------------------------------------------------------------------------------
    def attach(self, user: User, article_id: int, kind: str, name: str, data: bytes) -> File:
        """Store an image or attachment: checked (size, type by content) before anything is
        written; the file written before its row, and removed if the row is not."""
        self._writer(user, "adding files")
        check_choice("kind", kind, FILE_KINDS)
        cfg = self.settings
        allowed: list[str] = list(cfg.image_types if kind == "image" else cfg.attachment_types)
        limit = cfg.image_max_bytes if kind == "image" else cfg.attachment_max_bytes
        _, mime = uploads.check(data, name, allowed, limit)
        with self._db.tx(write=False) as s:
            self._article_row(s, article_id)
        path = uploads.write(self.files_dir, data)
        now = self.clock()
        try:
            with self._db.tx() as s:
                self._article_row(s, article_id)
                row = KbFileRow(article_id=article_id, kind=kind,
                                name=uploads.display_name(name), mime=mime, size=len(data),
                                path=path, by=user.username, at=now)
                s.add(row)
                s.flush()
                repo.audit(s, now, user.username, "file_added", article_id=article_id,
                           comment=f"{kind} {row.name}")
                return repo.to_file(row)
        except BaseException:
            (self.files_dir / path).unlink(missing_ok=True)
            raise

    def file(self, user: User | None, article_id: int, file_id: int) -> tuple[File, Path]:
        """A file and where it is, if ``user`` may see the article (the public: only the
        images of a public published article)."""
        with self._db.tx(write=False) as s:
            row = s.get(KbFileRow, file_id)
            art = s.get(KbArticleRow, article_id)
            seen = art is not None and self._seen(self._article(s, art, user), user)
            if row is None or row.article_id != article_id or not seen \
                    or (user is None and row.kind != "image"):
                raise NotFound(f"file {file_id} of article {article_id} not found")
            f = repo.to_file(row)
        return f, self.files_dir / f.path


def _content(title: str, body: str, keywords: Sequence[str], visibility: str,
             review_date: dt.date | None) -> dict[str, object]:
    """One version's content checked (Invalid with the reason), before any write."""
    check_text("title", title, MAX_TITLE, required=True)
    check_text("body", body, MAX_BODY)
    check_choice("visibility", visibility, VISIBILITIES)
    if isinstance(keywords, str) or len(keywords) > MAX_KEYWORDS:
        raise Invalid(f"keywords must be a list of at most {MAX_KEYWORDS}")
    for k in keywords:
        check_text("keyword", k, MAX_KEYWORD, required=True)
    if review_date is not None and not isinstance(review_date, dt.date):
        raise Invalid("review_date must be a date")
    return {"title": title.strip(), "body": body,
            "keywords": list(dict.fromkeys(k.strip() for k in keywords)),
            "visibility": visibility, "review_date": review_date}


def _one_term(word: str) -> bool:
    """What the index can hold as one synonym term: all Chinese, or all Latin letters."""
    return all(is_cjk(c) for c in word) or (word.isascii() and word.isalpha())


def _words(words: Sequence[str], what: str) -> list[str]:
    """Stripped, non-empty, unique (in order), each at most ``MAX_WORD`` characters."""
    if isinstance(words, str):
        raise Invalid(f"{what}s must be a list")
    for w in words:
        check_text(what, w, MAX_WORD, required=True)
    return list(dict.fromkeys(" ".join(w.split()) for w in words))


def _doc(art: KbArticleRow, v: KbVersionRow, views: int) -> KbDocument:
    return KbDocument(id=art.id, title=v.title, body=v.body, keywords=tuple(v.keywords),
                      category=art.category_id, updated_at=v.published_at or v.created_at,
                      visibility=v.visibility, views=views)


def _lines(v: Version) -> list[str]:
    """A version as the lines a diff compares: its fields, then the Markdown."""
    head = [f"# {v.title}", f"keywords: {', '.join(v.keywords)}",
            f"visibility: {v.visibility}",
            f"review_date: {v.review_date.isoformat() if v.review_date else ''}", ""]
    return head + v.body.splitlines()


def _iso(at: float, tz: dt.tzinfo) -> str:
    return dt.datetime.fromtimestamp(at, tz).isoformat(timespec="seconds")

