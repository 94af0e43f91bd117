"""The guided trees' queries and conversions (only the slice imports this)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import KbArticleRow, KbVersionRow
from .trees import Edge, Node, Shape
from .trees_models import KbTreeRow, KbWalkRow


def shape_of(doc: dict[str, Any]) -> Shape:
    return Shape(nodes=tuple(Node(id=n["id"], kind=n["kind"], text=n.get("text", ""),
                                  article_id=n.get("article_id")) for n in doc["nodes"]),
                 edges=tuple(Edge(source=e["source"], target=e["target"], label=e["label"])
                             for e in doc["edges"]))


def doc_of(shape: Shape) -> dict[str, Any]:
    return {"nodes": [{"id": n.id, "kind": n.kind, "text": n.text, "article_id": n.article_id}
                      for n in shape.nodes],
            "edges": [{"source": e.source, "target": e.target, "label": e.label}
                      for e in shape.edges]}


def live_titles(s: Session, article_ids: Iterable[int]) -> dict[int, str]:
    """The published title of each of ``article_ids`` that exists and is published."""
    ids = sorted(set(article_ids))
    if not ids:
        return {}
    q = (select(KbArticleRow.id, KbVersionRow.title)
         .join(KbVersionRow, KbVersionRow.id == KbArticleRow.live_id)
         .where(KbArticleRow.id.in_(ids)))
    return {i: t for i, t in s.execute(q).all()}


def trees(s: Session, category_id: int | None, enabled_only: bool) -> list[KbTreeRow]:
    q = select(KbTreeRow).order_by(KbTreeRow.title, KbTreeRow.id)
    if category_id is not None:
        q = q.where(KbTreeRow.category_id == category_id)
    if enabled_only:
        q = q.where(KbTreeRow.enabled.is_(True))
    return list(s.scalars(q))


def open_walks(s: Session, call_id: str, agent: str) -> list[KbWalkRow]:
    return list(s.scalars(select(KbWalkRow).where(KbWalkRow.call_id == call_id,
                                                  KbWalkRow.agent == agent,
                                                  KbWalkRow.state == "open")))


def walks_of_call(s: Session, call_id: str) -> list[KbWalkRow]:
    return list(s.scalars(select(KbWalkRow).where(KbWalkRow.call_id == call_id)
                          .order_by(KbWalkRow.id)))
