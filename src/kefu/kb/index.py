"""The seam where the search index plugs in, and the adapter that makes ``kefu.kb.search``
safe to share.

The service feeds the index the live version of each article: ``update`` when a version
goes live, ``remove`` when it goes off; ``start`` on start hands it every live article
with the admins' vocabulary.  :class:`LiveIndex` (the default) owns a
:class:`~kefu.kb.search.SearchIndex`: one lock serialises every call into it (it is not
thread-safe), and since building it is slow (~100 articles/s: jieba and pypinyin are pure
Python), ``start`` builds a fresh one in a background thread while a :class:`ScanIndex`
(instant, plain substring match, no marks) answers; the changes that come meanwhile are
queued and replayed on the fresh index before it is swapped in.  ``building`` says which
one answered.  :class:`ScanIndex` alone is the tests' stand-in.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from .records import KbDocument
from .search import Document, SearchIndex, mark, plain, preload

log = logging.getLogger(__name__)
SNIPPET = 120                   # characters of a fallback snippet


@dataclass(frozen=True)
class Hit:
    id: int
    score: float
    title_html: str = ""        # escaped; the matched words in <mark>
    snippet_html: str = ""


@dataclass(frozen=True)
class Found:
    total: int                  # articles matched (after the filters)
    hits: list[Hit]
    building: bool = False      # the real index was still building: a plain scan answered


class ArticleIndex(Protocol):
    @property
    def building(self) -> bool: ...

    def update(self, doc: KbDocument) -> None: ...

    def remove(self, article_id: int) -> None: ...

    def start(self, docs: Sequence[KbDocument], synonyms: Sequence[Sequence[str]] = (),
              words: Sequence[str] = ()) -> None: ...

    def vocabulary(self, synonyms: Sequence[Sequence[str]], words: Sequence[str]) -> None: ...

    def set_views(self, article_id: int, views: int) -> None: ...

    def find(self, query: str, *, limit: int = 20, categories: Iterable[int] | None = None,
             public_only: bool = False, prefix: bool = False) -> Found: ...

    def similar(self, article_id: int, limit: int) -> list[Hit]: ...


class ScanIndex:
    """Every document in a dict; a query's words must all occur in the title, keywords or
    body (case-folded); the title counts most.  Newest first among equals."""

    building = False

    def __init__(self) -> None:
        self.docs: dict[int, KbDocument] = {}

    def add(self, doc: KbDocument) -> None:
        self.docs[doc.id] = doc

    update = add

    def remove(self, article_id: int) -> None:
        self.docs.pop(article_id, None)

    def start(self, docs: Sequence[KbDocument], synonyms: Sequence[Sequence[str]] = (),
              words: Sequence[str] = ()) -> None:
        for d in docs:
            self.add(d)

    def vocabulary(self, synonyms: Sequence[Sequence[str]], words: Sequence[str]) -> None:
        """A plain scan has no use for them."""

    def set_views(self, article_id: int, views: int) -> None:
        """Nor for popularity."""

    def find(self, query: str, *, limit: int = 20, categories: Iterable[int] | None = None,
             public_only: bool = False, prefix: bool = False) -> Found:
        words = query.casefold().split()
        cats = None if categories is None else set(categories)
        hits = []
        for d in self.docs.values():
            if (cats is not None and d.category not in cats) or \
                    (public_only and d.visibility != "public"):
                continue
            title, rest = d.title.casefold(), " ".join((*d.keywords, d.body)).casefold()
            if words and all(w in title or w in rest for w in words):
                hits.append((sum(2.0 if w in title else 1.0 for w in words), d.updated_at, d.id))
        hits.sort(reverse=True)
        return Found(len(hits), [self._hit(i, s) for s, _, i in hits[:limit]])

    def _hit(self, article_id: int, score: float) -> Hit:
        d = self.docs[article_id]
        return Hit(article_id, score, html.escape(d.title), html.escape(plain(d.body)[:SNIPPET]))

    def similar(self, article_id: int, limit: int) -> list[Hit]:
        """No terms to compare: nothing."""
        return []


class LiveIndex:
    """A :class:`SearchIndex` behind one lock, built in the background (see the module)."""

    def __init__(self, factory: Callable[[], SearchIndex] = SearchIndex) -> None:
        self._factory = factory
        self._lock = threading.Lock()
        self._real = factory()
        self._scan = ScanIndex()
        self._queued: list[Callable[[SearchIndex], object]] | None = None   # None: not building
        self.thread: threading.Thread | None = None

    @property
    def building(self) -> bool:
        return self._queued is not None

    def start(self, docs: Sequence[KbDocument], synonyms: Sequence[Sequence[str]] = (),
              words: Sequence[str] = ()) -> None:
        """Answer by scan now; build the real index in a thread (``thread``), swap it in."""
        preload()
        scan = ScanIndex()
        scan.start(docs)
        with self._lock:
            self._scan, self._queued = scan, []
        groups, names = [list(g) for g in synonyms], list(words)
        self.thread = threading.Thread(target=self._build, args=(list(docs), groups, names),
                                       name="kb-index", daemon=True)
        self.thread.start()

    def _build(self, docs: list[KbDocument], synonyms: list[list[str]],
               words: list[str]) -> None:
        fresh = self._factory()
        try:
            _vocabulary(fresh, synonyms, words)
            for d in docs:
                fresh.add(_document(d))
        except Exception:
            log.exception("kb: building the search index failed; a plain scan keeps answering")
            return
        with self._lock:
            for change in self._queued or ():
                _safely(change, fresh)
            self._real, self._queued = fresh, None
        log.info("kb: search index built (%d articles)", len(fresh))

    def _apply(self, change: Callable[[SearchIndex], object]) -> None:
        with self._lock:
            if self._queued is not None:
                self._queued.append(change)
            else:
                change(self._real)

    def update(self, doc: KbDocument) -> None:
        self._scan.update(doc)
        self._apply(lambda ix: ix.update(_document(doc)))

    def remove(self, article_id: int) -> None:
        self._scan.remove(article_id)
        self._apply(lambda ix: ix.remove(article_id))

    def set_views(self, article_id: int, views: int) -> None:
        self._apply(lambda ix: ix.set_views(article_id, views) if article_id in ix else None)

    def vocabulary(self, synonyms: Sequence[Sequence[str]], words: Sequence[str]) -> None:
        """The admins' synonyms and product names, applied at once (the documents holding a
        new word are re-indexed).  ValueError for a synonym that is not one word."""
        groups, names = [list(g) for g in synonyms], list(words)
        self._apply(lambda ix: _vocabulary(ix, groups, names))

    def find(self, query: str, *, limit: int = 20, categories: Iterable[int] | None = None,
             public_only: bool = False, prefix: bool = False) -> Found:
        cats = None if categories is None else list(categories)
        with self._lock:
            if self._queued is not None:
                found = self._scan.find(query, limit=limit, categories=cats,
                                        public_only=public_only)
                return Found(found.total, found.hits, building=True)
            res = self._real.search(query, limit=limit, categories=cats,   # type: ignore[arg-type]
                                    public_only=public_only, prefix=prefix)
        return Found(res.total, [Hit(int(h.id), h.score, mark(h.title, h.title_spans),  # type: ignore[call-overload]
                                     mark(h.snippet, h.snippet_spans)) for h in res.hits])

    def similar(self, article_id: int, limit: int) -> list[Hit]:
        """Articles like this one: its title and keywords as a query, BM25 over the index's
        terms (itself left out); nothing while building."""
        with self._lock:
            if self._queued is not None or article_id not in self._real:
                return []
            doc = self._scan.docs.get(article_id)
            if doc is None:
                return []
            res = self._real.search(" ".join((doc.title, *doc.keywords)), limit=limit + 1)
        return [Hit(int(h.id), h.score) for h in res.hits  # type: ignore[call-overload]
                if h.id != article_id][:limit]


def _document(d: KbDocument) -> Document:
    return Document(id=d.id, title=d.title, body=d.body, keywords=d.keywords,
                    category=d.category,  # type: ignore[arg-type]
                    updated_at=dt.datetime.fromtimestamp(d.updated_at, dt.UTC), views=d.views,
                    visibility="public" if d.visibility == "public" else "internal")


def _vocabulary(ix: SearchIndex, synonyms: list[list[str]], words: list[str]) -> None:
    """Words, then synonyms; a group the index refuses is logged and left out, so one bad
    row never stops a build."""
    ix.add_words(words)
    try:
        ix.set_synonyms(synonyms)
    except ValueError:
        good = []
        for g in synonyms:
            try:
                ix.set_synonyms([g])
                good.append(g)
            except ValueError as e:
                log.warning("kb: synonym group %s left out: %s", g, e)
        ix.set_synonyms(good)


def _safely(change: Callable[[SearchIndex], object], ix: SearchIndex) -> None:
    try:
        change(ix)
    except Exception:
        log.exception("kb: a queued index change failed")
