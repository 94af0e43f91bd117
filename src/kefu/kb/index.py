"""The seam where the search index plugs in (``kefu.kb.search``, built beside this).

The service feeds the index the live version of each article: ``add`` when one is first
published, ``update`` when a new version goes live, ``remove`` when it is unpublished;
``reindex`` on start hands it every live article.  :class:`ScanIndex` is the stand-in:
a case-folded substring scan, correct and slow; the real index replaces it in ``app.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from .records import KbDocument


@dataclass(frozen=True)
class Hit:
    id: int
    score: float


class ArticleIndex(Protocol):
    def add(self, doc: KbDocument) -> None: ...

    def update(self, doc: KbDocument) -> None: ...

    def remove(self, article_id: int) -> None: ...

    def search(self, query: str, *, limit: int = 20, categories: Iterable[int] | None = None,
               visibility: Iterable[str] | None = None) -> list[Hit]: ...


class ScanIndex:
    """Every document in a dict; a query's words must all occur in the title, keywords or
    body (case-folded); the title counts most.  Newest first among equals."""

    def __init__(self) -> None:
        self.docs: dict[int, KbDocument] = {}

    def add(self, doc: KbDocument) -> None:
        self.docs[doc.id] = doc

    update = add

    def remove(self, article_id: int) -> None:
        self.docs.pop(article_id, None)

    def search(self, query: str, *, limit: int = 20, categories: Iterable[int] | None = None,
               visibility: Iterable[str] | None = None) -> list[Hit]:
        words = query.casefold().split()
        cats = None if categories is None else set(categories)
        vis = None if visibility is None else set(visibility)
        hits = []
        for d in self.docs.values():
            if (cats is not None and d.category not in cats) or \
                    (vis is not None and d.visibility not in vis):
                continue
            title, rest = d.title.casefold(), " ".join((*d.keywords, d.body)).casefold()
            if words and all(w in title or w in rest for w in words):
                hits.append((sum(2.0 if w in title else 1.0 for w in words), d.updated_at, d.id))
        hits.sort(reverse=True)
        return [Hit(id=i, score=s) for s, _, i in hits[:limit]]
