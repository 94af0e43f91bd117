"""Related articles (自动关联): content similarity blended with co-viewing.

    score(b) = CONTENT × sim(b) / max sim  +  COVIEW × shared(b) / max shared

``sim`` is the search index's BM25 score of ``b`` for the article's own title and keywords
(``ArticleIndex.similar``); ``shared`` is how many calls or sessions viewed both articles
in the last ``WINDOW_DAYS`` (``stats.coviews``).  Both are normalised to 0..1 by their best,
so each source can lift an article by at most its weight; co-viewing counts as much as
content, since agents reading both during one call is direct evidence.  Computed when
asked, from the live index and the views table: every new view counts at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

CONTENT = 0.5
COVIEW = 0.5
WINDOW_DAYS = 90
CANDIDATES = 20             # content matches considered per article


@dataclass(frozen=True)
class Related:
    article_id: int
    score: float
    content: float          # the normalised parts
    coview: float


def blend(content: Mapping[int, float], coview: Mapping[int, float], limit: int,
          exclude: int | None = None) -> list[Related]:
    """The best ``limit`` by the blended score; ties by id."""
    top_c = max(content.values(), default=0.0)
    top_v = max(coview.values(), default=0.0)
    out = []
    for a in set(content) | set(coview):
        if a == exclude:
            continue
        c = content.get(a, 0.0) / top_c if top_c > 0 else 0.0
        v = coview.get(a, 0.0) / top_v if top_v > 0 else 0.0
        if c > 0 or v > 0:
            out.append(Related(a, CONTENT * c + COVIEW * v, c, v))
    out.sort(key=lambda r: (-r.score, r.article_id))
    return out[:limit]
