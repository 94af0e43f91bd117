"""The knowledge base API's request and response bodies."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .records import (MAX_BODY, MAX_CATEGORY, MAX_COMMENT, MAX_KEYWORDS,
                      MAX_TITLE, Article, AuditEntry, Category, Diff, File, Version)
from .render import render
from .service import SearchHit

MAX_ID = 2**31 - 1
MAX_TIME = 1e11              # epoch seconds (year 5138)
Visibility = Literal["internal", "public"]
BODY_HTML = ("the body rendered (kefu.kb.render: safe to show as it is; images and file "
             "links carry data-kb-file); null in lists and search hits")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CategoryIn(Strict):
    name: str = Field(min_length=1, max_length=MAX_CATEGORY)
    parent_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    position: int = Field(default=0, ge=0, le=MAX_ID)


class CategoryPatch(Strict):
    """Rename and/or move: ``parent_id`` null moves to the top level; absent keeps it."""
    name: str | None = Field(default=None, min_length=1, max_length=MAX_CATEGORY)
    parent_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    position: int | None = Field(default=None, ge=0, le=MAX_ID)


class CategoryOut(BaseModel):
    id: int
    name: str
    parent_id: int | None
    position: int
    articles: int = Field(description="published articles directly in it")
    children: list[CategoryOut]

    @classmethod
    def of(cls, c: Category) -> CategoryOut:
        return cls(id=c.id, name=c.name, parent_id=c.parent_id, position=c.position,
                   articles=c.articles, children=[cls.of(k) for k in c.children])


class ArticleIn(Strict):
    category_id: int = Field(ge=1, le=MAX_ID)
    title: str = Field(min_length=1, max_length=MAX_TITLE)
    body: str = Field(default="", max_length=MAX_BODY, description="Markdown")
    keywords: list[str] = Field(default=[], max_length=MAX_KEYWORDS)
    visibility: Visibility = "internal"
    review_date: dt.date | None = None
    submit: bool = Field(default=False, description="straight to the approvers")


class ArticlePatch(Strict):
    """A new version: what is absent is kept from the newest version (``review_date``
    null clears it)."""
    title: str | None = Field(default=None, min_length=1, max_length=MAX_TITLE)
    body: str | None = Field(default=None, max_length=MAX_BODY)
    keywords: list[str] | None = Field(default=None, max_length=MAX_KEYWORDS)
    visibility: Visibility | None = None
    review_date: dt.date | None = None
    submit: bool = False


class DecisionIn(Strict):
    comment: str = Field(default="", max_length=MAX_COMMENT)
    publish_at: float | None = Field(default=None, ge=0, le=MAX_TIME,
                                     description="epoch seconds; absent or past: now")


class RejectIn(Strict):
    comment: str = Field(min_length=1, max_length=MAX_COMMENT)


class CommentIn(Strict):
    comment: str = Field(default="", max_length=MAX_COMMENT)


class MoveIn(Strict):
    category_id: int = Field(ge=1, le=MAX_ID)


class VersionOut(BaseModel):
    number: int
    title: str
    body: str
    keywords: list[str]
    visibility: Visibility
    review_date: dt.date | None
    state: Literal["draft", "pending", "scheduled", "published", "rejected", "superseded"]
    author: str
    created_at: float
    submitted_at: float | None
    decided_by: str
    decided_at: float | None
    comment: str
    publish_at: float | None
    published_at: float | None
    body_html: str | None = Field(default=None, description=BODY_HTML)

    @classmethod
    def of(cls, v: Version, files: Sequence[File] | None = None) -> VersionOut:
        """``files``: the article's, to render the body with (None: no ``body_html``)."""
        data = {k: x for k, x in vars(v).items() if k not in ("id", "article_id")}
        html = None if files is None else render(v.body, files)
        return cls.model_validate({**data, "keywords": list(v.keywords), "body_html": html})


class FileOut(BaseModel):
    id: int
    kind: Literal["image", "attachment"]
    name: str
    mime: str
    size: int
    by: str
    at: float

    @classmethod
    def of(cls, f: File) -> FileOut:
        return cls.model_validate({k: x for k, x in vars(f).items()
                                   if k not in ("path", "article_id")})


class ArticleOut(BaseModel):
    id: int
    category_id: int
    created_by: str
    created_at: float
    live: VersionOut | None = Field(description="what readers read; null: not published")
    working: VersionOut | None = Field(
        description="the newest draft, pending, scheduled or rejected version after the "
                    "live one (writers and approvers only)")
    stale: bool = Field(description="the live version's review date has passed")
    files: list[FileOut]

    @classmethod
    def of(cls, a: Article, html: bool = False) -> ArticleOut:
        """``html``: with the versions' ``body_html`` (one article, not a list)."""
        files = a.files if html else None
        return cls(id=a.id, category_id=a.category_id, created_by=a.created_by,
                   created_at=a.created_at,
                   live=None if a.live is None else VersionOut.of(a.live, files),
                   working=None if a.working is None else VersionOut.of(a.working, files),
                   stale=a.stale, files=[FileOut.of(f) for f in a.files])


class ArticlePage(BaseModel):
    items: list[ArticleOut]
    total: int


class AuditOut(BaseModel):
    id: int
    at: float
    actor: str
    action: str
    version: int | None
    category_id: int | None
    comment: str

    @classmethod
    def of(cls, e: AuditEntry) -> AuditOut:
        return cls(id=e.id, at=e.at, actor=e.actor, action=e.action, version=e.version,
                   category_id=e.category_id, comment=e.comment)


class DiffRow(BaseModel):
    op: Literal["equal", "replace", "delete", "insert"]
    left: str
    right: str


class DiffOut(BaseModel):
    a: int
    b: int
    mode: Literal["unified", "side"]
    unified: str
    rows: list[DiffRow]

    @classmethod
    def of(cls, d: Diff) -> DiffOut:
        return cls.model_validate({"a": d.a, "b": d.b, "mode": d.mode, "unified": d.unified,
                                   "rows": [{"op": o, "left": x, "right": y}
                                            for o, x, y in d.rows]})


class PublicArticleOut(BaseModel):
    """A public published article as the help centre lists it: its images only."""
    id: int
    category_id: int
    title: str
    body: str
    keywords: list[str]
    published_at: float | None
    images: list[FileOut]

    @classmethod
    def of(cls, a: Article) -> PublicArticleOut:
        assert a.live is not None
        return cls(id=a.id, category_id=a.category_id, title=a.live.title, body=a.live.body,
                   keywords=list(a.live.keywords), published_at=a.live.published_at,
                   images=[FileOut.of(f) for f in a.files if f.kind == "image"])


class PublicArticleShown(PublicArticleOut):
    """One public article as the help centre shows it: with its body rendered."""
    body_html: str = Field(description=BODY_HTML.split(";")[0].replace(
        "carry data-kb-file", "at their public address; no attachments"))

    @classmethod
    def shown(cls, a: Article) -> PublicArticleShown:
        assert a.live is not None
        images = [f for f in a.files if f.kind == "image"]
        return cls(**PublicArticleOut.of(a).model_dump(),
                   body_html=render(a.live.body, images, public=True))


class PublicArticlePage(BaseModel):
    items: list[PublicArticleOut]
    total: int


# --- search, statistics, related, vocabulary ------------------------------------------------
HTML_DESC = "HTML: the text escaped, the words that matched in <mark>"


class SearchHitOut(ArticleOut):
    score: float
    title_html: str = Field(description=HTML_DESC)
    snippet_html: str = Field(description=HTML_DESC + " (a window of the body)")

    @classmethod
    def hit(cls, h: SearchHit) -> SearchHitOut:
        return cls(**ArticleOut.of(h.article).model_dump(), score=h.score,
                   title_html=h.title_html, snippet_html=h.snippet_html)


class PublicSearchHitOut(PublicArticleOut):
    title_html: str = Field(description=HTML_DESC)
    snippet_html: str = Field(description=HTML_DESC)

    @classmethod
    def hit(cls, h: SearchHit) -> PublicSearchHitOut:
        return cls(**PublicArticleOut.of(h.article).model_dump(), title_html=h.title_html,
                   snippet_html=h.snippet_html)


class ViewIn(Strict):
    call_id: str = Field(default="", max_length=64, description="the call it was read in")
    session: str = Field(default="", max_length=64, description="the desk or web session")


class ViewOut(BaseModel):
    views: int


class VoteIn(Strict):
    helpful: bool


class QueryCountOut(BaseModel):
    query: str
    searches: int
    last_at: float


class ArticleCountOut(BaseModel):
    article_id: int
    title: str
    count: float = Field(description="views (hot list: views + searches it answered first)")


class VoteCountOut(BaseModel):
    article_id: int
    version: int
    title: str
    helpful: int
    not_helpful: int


class GapDraftIn(Strict):
    query: str = Field(min_length=1, max_length=200)
    category_id: int = Field(ge=1, le=MAX_ID)


class RelatedOut(BaseModel):
    article_id: int
    title: str
    score: float = Field(description="content × 0.5 + co-viewing × 0.5, each 0..1")
    content: float
    coview: float


class SynonymsIO(Strict):
    groups: list[list[str]] = Field(max_length=1000)


class PreviewIn(Strict):
    markdown: str = Field(max_length=MAX_BODY)
    article_id: int | None = Field(default=None, ge=1, le=MAX_ID,
                                   description="whose files the images and links may name")


class PreviewOut(BaseModel):
    html: str = Field(description=BODY_HTML.split(";")[0])


class WordsIO(Strict):
    words: list[str] = Field(max_length=2000)
