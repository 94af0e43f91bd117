"""The knowledge base (知识库) over HTTP.

``router`` (signed in, every role): every role reads published articles; what else a
caller may do is the service's one rule (``[kb] writers`` draft and submit, ``[kb]
approvers`` approve, reject, schedule, unpublish and keep the category tree): a 403 with
the reason otherwise.  Searches, views and votes are open to every role; the statistics
(``/kb/stats/...``) to supervisors and admins; the vocabulary (``/kb/synonyms``,
``/kb/words``) to admins; ``/kb/hot`` to every role.  ``public_router`` (no login, ``/public/kb``): public published
articles and their images only, for the help centre.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal

from fastapi import (APIRouter, Depends, File, HTTPException, Path, Query, Response,
                     UploadFile, status)
from fastapi.responses import FileResponse

from kefu.users.service import ROLES, User
from kefu.web.deps import MAX_INT, UPLOADED_FILE, require_roles, running


from .records import Denied
from .records import File as KbFile
from .render import render
from .schemas import (ArticleCountOut, ArticleIn, ArticleOut, ArticlePage, ArticlePatch,
                      AuditOut, CategoryIn, CategoryOut, CategoryPatch, CommentIn, DecisionIn,
                      DiffOut, FileOut, GapDraftIn, MoveIn, PreviewIn, PreviewOut,
                      PublicArticleOut, PublicArticlePage, PublicArticleShown,
                      PublicSearchHitOut, QueryCountOut, RejectIn, RelatedOut, SearchHitOut,
                      SynonymsIO, VersionOut, ViewIn, ViewOut, VoteCountOut, VoteIn, WordsIO)
from .service import LISTS, Kb

router = APIRouter(tags=["kb"])
public_router = APIRouter(tags=["kb (public)"])

KbDep = Annotated[Kb, Depends(running("kb", "the knowledge base is off"))]
Signed = Annotated[User, Depends(require_roles(*ROLES))]      # the service checks the rest
Id = Annotated[int, Path(ge=1, le=MAX_INT)]
Number = Annotated[int, Path(ge=1, le=MAX_INT)]
CategoryQ = Annotated[int | None, Query(ge=1, le=MAX_INT)]
Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=MAX_INT)]
SearchQ = Annotated[str, Query(min_length=1, max_length=200)]
Prefix = Annotated[bool, Query(description="search as you type: the last word may be partial "
                                           "(not logged in the statistics)")]
CallQ = Annotated[str, Query(max_length=64, description="the call the search is for")]
Days = Annotated[int, Query(ge=1, le=366)]
BUILDING = "X-Kb-Index-Building"        # "1": the index was still building; a plain scan answered


@contextmanager
def _refusals() -> Iterator[None]:
    """The service's refusals as HTTP answers with their reasons (the store's own errors
    are answered by ``web/app.py``)."""
    try:
        yield
    except Denied as e:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(e)) from None


def _send(f: KbFile, path: FilePath) -> FileResponse:
    if not path.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"file {f.id}'s content is missing")
    return FileResponse(path, media_type=f.mime, filename=f.name,
                        headers={"X-Content-Type-Options": "nosniff",
                                 "Content-Security-Policy": "default-src 'none'"})


# --- categories -------------------------------------------------------------------------------
@router.get("/kb/categories", response_model=list[CategoryOut])
def categories(kb: KbDep, _user: Signed) -> list[CategoryOut]:
    return [CategoryOut.of(c) for c in kb.categories()]


@router.post("/kb/categories", response_model=CategoryOut, status_code=status.HTTP_201_CREATED)
def create_category(body: CategoryIn, kb: KbDep, user: Signed) -> CategoryOut:
    with _refusals():
        return CategoryOut.of(kb.create_category(user, body.name, body.parent_id,
                                                 body.position))


@router.patch("/kb/categories/{category_id}", status_code=status.HTTP_204_NO_CONTENT,
              summary="Rename and/or move (parent_id null: to the top level)")
def change_category(category_id: Id, body: CategoryPatch, kb: KbDep, user: Signed) -> Response:
    with _refusals():
        if body.name is not None:
            kb.rename_category(user, category_id, body.name)
        moved = "parent_id" in body.model_fields_set
        if moved or body.position is not None:
            kb.move_category(user, category_id, body.parent_id, body.position,
                             keep_parent=not moved)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/kb/categories/{category_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Delete an empty category (409 while it holds anything)")
def delete_category(category_id: Id, kb: KbDep, user: Signed) -> Response:
    with _refusals():
        kb.delete_category(user, category_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- articles ---------------------------------------------------------------------------------
@router.get("/kb/articles", response_model=ArticlePage,
            summary="published (everyone), stale, pending, scheduled, mine (writers, approvers)")
def list_articles(kb: KbDep, user: Signed,
                  view: Literal["published", "stale", "pending", "scheduled", "mine"]
                  = "published",
                  category_id: CategoryQ = None, limit: Limit = 50,
                  offset: Offset = 0) -> ArticlePage:
    assert view in LISTS
    with _refusals():
        items, total = kb.articles(user, view=view, category_id=category_id, limit=limit,
                               offset=offset)
    return ArticlePage(items=[ArticleOut.of(a) for a in items], total=total)


@router.get("/kb/search", response_model=list[SearchHitOut],
            summary="Published articles matching q, best first, matches marked; header "
                    f"{BUILDING}: 1 while the index builds (a plain scan answers)")
def search(kb: KbDep, user: Signed, q: SearchQ, response: Response, category_id: CategoryQ = None,
           limit: Limit = 20, prefix: Prefix = False, call_id: CallQ = "") -> list[SearchHitOut]:
    hits, found = kb.find(user, q, category_id=category_id, limit=limit, prefix=prefix,
                          call_id=call_id)
    response.headers[BUILDING] = "1" if found.building else "0"
    return [SearchHitOut.hit(h) for h in hits]


@router.post("/kb/articles", response_model=ArticleOut, status_code=status.HTTP_201_CREATED,
             summary="A new article: version 1, a draft (pending with submit)")
def create_article(body: ArticleIn, kb: KbDep, user: Signed) -> ArticleOut:
    with _refusals():
        return ArticleOut.of(kb.create(user, **body.model_dump()), html=True)


@router.get("/kb/articles/{article_id}", response_model=ArticleOut)
def get_article(article_id: Id, kb: KbDep, user: Signed) -> ArticleOut:
    return ArticleOut.of(kb.get(user, article_id), html=True)


@router.patch("/kb/articles/{article_id}", response_model=ArticleOut,
              summary="Edit: a new version; the live one stays live until it is approved")
def edit_article(article_id: Id, body: ArticlePatch, kb: KbDep, user: Signed) -> ArticleOut:
    given = body.model_fields_set
    with _refusals():
        return ArticleOut.of(kb.edit(
            user, article_id, title=body.title, body=body.body, keywords=body.keywords,
            visibility=body.visibility, review_date=body.review_date,
            clear_review_date="review_date" in given and body.review_date is None,
            submit=body.submit), html=True)


@router.post("/kb/articles/{article_id}/submit", response_model=ArticleOut)
def submit(article_id: Id, kb: KbDep, user: Signed) -> ArticleOut:
    with _refusals():
        return ArticleOut.of(kb.submit(user, article_id), html=True)


@router.post("/kb/articles/{article_id}/versions/{number}/approve", response_model=ArticleOut,
             summary="Approve a pending version: live now, or scheduled at publish_at")
def approve(article_id: Id, number: Number, body: DecisionIn, kb: KbDep,
            user: Signed) -> ArticleOut:
    with _refusals():
        return ArticleOut.of(kb.approve(user, article_id, number, body.comment,
                                        body.publish_at), html=True)


@router.post("/kb/articles/{article_id}/versions/{number}/reject", response_model=ArticleOut)
def reject(article_id: Id, number: Number, body: RejectIn, kb: KbDep,
           user: Signed) -> ArticleOut:
    with _refusals():
        return ArticleOut.of(kb.reject(user, article_id, number, body.comment), html=True)


@router.post("/kb/articles/{article_id}/unpublish", response_model=ArticleOut)
def unpublish(article_id: Id, body: CommentIn, kb: KbDep, user: Signed) -> ArticleOut:
    with _refusals():
        return ArticleOut.of(kb.unpublish(user, article_id, body.comment), html=True)


@router.post("/kb/articles/{article_id}/move", response_model=ArticleOut)
def move(article_id: Id, body: MoveIn, kb: KbDep, user: Signed) -> ArticleOut:
    with _refusals():
        return ArticleOut.of(kb.move(user, article_id, body.category_id), html=True)


@router.get("/kb/articles/{article_id}/versions", response_model=list[VersionOut])
def versions(article_id: Id, kb: KbDep, user: Signed) -> list[VersionOut]:
    with _refusals():
        listed = kb.versions(user, article_id)
        files = kb.get(user, article_id).files
        return [VersionOut.of(v, files) for v in listed]


@router.get("/kb/articles/{article_id}/versions/{number}", response_model=VersionOut)
def version(article_id: Id, number: Number, kb: KbDep, user: Signed) -> VersionOut:
    with _refusals():
        v = kb.version(user, article_id, number)
        return VersionOut.of(v, kb.get(user, article_id).files)


@router.get("/kb/articles/{article_id}/diff", response_model=DiffOut,
            summary="From version a to b: unified text or side-by-side rows")
def diff(article_id: Id, kb: KbDep, user: Signed,
         a: Annotated[int, Query(ge=1, le=MAX_INT)], b: Annotated[int, Query(ge=1, le=MAX_INT)],
         mode: Literal["unified", "side"] = "unified") -> DiffOut:
    with _refusals():
        return DiffOut.of(kb.diff(user, article_id, a, b, mode))


@router.get("/kb/articles/{article_id}/audit", response_model=list[AuditOut])
def audit(article_id: Id, kb: KbDep, user: Signed) -> list[AuditOut]:
    with _refusals():
        return [AuditOut.of(e) for e in kb.audit(user, article_id)]


@router.post("/kb/articles/{article_id}/files", response_model=FileOut,
             status_code=status.HTTP_201_CREATED,
             summary="Upload an image or attachment (413 too large, 415 a type not allowed, "
                     "by its content)")
def upload(article_id: Id, kb: KbDep, user: Signed, file: Annotated[UploadFile, File()],
           kind: Literal["image", "attachment"] = "attachment") -> FileOut:
    cfg = kb.settings
    limit = cfg.image_max_bytes if kind == "image" else cfg.attachment_max_bytes
    data = file.file.read(limit + 1)            # one byte over is enough to refuse
    with _refusals():
        return FileOut.of(kb.attach(user, article_id, kind, file.filename or "", data))


@router.get("/kb/articles/{article_id}/files/{file_id}", response_class=FileResponse,
            responses=UPLOADED_FILE, summary="An article's image or attachment")
def get_file(article_id: Id, file_id: Id, kb: KbDep, user: Signed) -> FileResponse:
    return _send(*kb.file(user, article_id, file_id))


@router.post("/kb/preview", response_model=PreviewOut,
             summary="Markdown as the article would show it (writers, approvers): the editor's "
                     "preview; article_id: whose files it may show")
def preview(body: PreviewIn, kb: KbDep, user: Signed) -> PreviewOut:
    if not (kb.can_write(user) or kb.can_approve(user)):
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            f"the preview is for [kb] writers and approvers; you are {user.role}")
    files = () if body.article_id is None else kb.get(user, body.article_id).files
    return PreviewOut(html=render(body.markdown, files))


# --- use: views, votes, related, statistics, vocabulary ---------------------------------------
@router.post("/kb/articles/{article_id}/views", response_model=ViewOut,
             summary="Count a reading (call_id/session: for related articles)")
def view(article_id: Id, body: ViewIn, kb: KbDep, user: Signed) -> ViewOut:
    return ViewOut(views=kb.view(user, article_id, call_id=body.call_id, session=body.session))


@router.put("/kb/articles/{article_id}/vote", status_code=status.HTTP_204_NO_CONTENT,
            summary="Helpful or not (one vote per user per version; again: replaced)")
def vote(article_id: Id, body: VoteIn, kb: KbDep, user: Signed) -> Response:
    kb.vote(user, article_id, body.helpful)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/kb/articles/{article_id}/related", response_model=list[RelatedOut],
            summary="Related articles: content similarity and co-viewing blended")
def related(article_id: Id, kb: KbDep, user: Signed,
            limit: Annotated[int, Query(ge=1, le=20)] = 5) -> list[RelatedOut]:
    return [RelatedOut(article_id=a.id, title=a.live.title if a.live else "", score=r.score,
                       content=r.content, coview=r.coview)
            for a, r in kb.related(user, article_id, limit)]


@router.get("/kb/hot", response_model=list[ArticleCountOut],
            summary="常问问题: published articles most viewed or searched lately (every role)")
def hot(kb: KbDep, user: Signed, days: Days = 30, limit: Limit = 10) -> list[ArticleCountOut]:
    return [ArticleCountOut.model_validate(c, from_attributes=True)
            for c in kb.hot(user, days=days, limit=limit)]


@router.get("/kb/stats/searches", response_model=list[QueryCountOut],
            summary="Top searches (supervisors, admins)")
def top_searches(kb: KbDep, user: Signed, days: Days = 30,
                 limit: Limit = 20) -> list[QueryCountOut]:
    with _refusals():
        rows = kb.top_searches(user, days=days, limit=limit)
    return [QueryCountOut.model_validate(r, from_attributes=True) for r in rows]


@router.get("/kb/stats/gaps", response_model=list[QueryCountOut],
            summary="Searches that found nothing, not yet made a draft (supervisors, admins)")
def gaps(kb: KbDep, user: Signed, days: Days = 30, limit: Limit = 20) -> list[QueryCountOut]:
    with _refusals():
        rows = kb.gaps(user, days=days, limit=limit)
    return [QueryCountOut.model_validate(r, from_attributes=True) for r in rows]


@router.post("/kb/stats/gaps/draft", response_model=ArticleOut,
             status_code=status.HTTP_201_CREATED,
             summary="Make a draft titled with a gap's query; the gap is handled")
def draft_from_gap(body: GapDraftIn, kb: KbDep, user: Signed) -> ArticleOut:
    with _refusals():
        return ArticleOut.of(kb.draft_from_gap(user, body.query, body.category_id), html=True)


@router.get("/kb/stats/views", response_model=list[ArticleCountOut],
            summary="Most viewed articles (supervisors, admins)")
def most_viewed(kb: KbDep, user: Signed, days: Days = 30,
                limit: Limit = 20) -> list[ArticleCountOut]:
    with _refusals():
        rows = kb.most_viewed(user, days=days, limit=limit)
    return [ArticleCountOut.model_validate(r, from_attributes=True) for r in rows]


@router.get("/kb/stats/votes", response_model=list[VoteCountOut],
            summary="Helpful / not helpful per article version (supervisors, admins)")
def votes(kb: KbDep, user: Signed, limit: Limit = 50) -> list[VoteCountOut]:
    with _refusals():
        rows = kb.votes(user, limit=limit)
    return [VoteCountOut.model_validate(r, from_attributes=True) for r in rows]


@router.get("/kb/synonyms", response_model=SynonymsIO, summary="Synonym groups (admins)")
def get_synonyms(kb: KbDep, user: Signed) -> SynonymsIO:
    with _refusals():
        return SynonymsIO(groups=kb.vocabulary(user)[0])


@router.put("/kb/synonyms", response_model=SynonymsIO,
            summary="Replace the synonym groups (admins); applied at once")
def put_synonyms(body: SynonymsIO, kb: KbDep, user: Signed) -> SynonymsIO:
    with _refusals():
        return SynonymsIO(groups=kb.set_synonyms(user, body.groups))


@router.get("/kb/words", response_model=WordsIO,
            summary="The segmenter's dictionary of product names (admins)")
def get_words(kb: KbDep, user: Signed) -> WordsIO:
    with _refusals():
        return WordsIO(words=kb.vocabulary(user)[1])


@router.put("/kb/words", response_model=WordsIO,
            summary="Replace the product-name dictionary (admins); applied at once")
def put_words(body: WordsIO, kb: KbDep, user: Signed) -> WordsIO:
    with _refusals():
        return WordsIO(words=kb.set_words(user, body.words))


# --- public (no login) ------------------------------------------------------------------------
@public_router.get("/public/kb/categories", response_model=list[CategoryOut])
def public_categories(kb: KbDep) -> list[CategoryOut]:
    return [CategoryOut.of(c) for c in kb.categories(public=True)]


@public_router.get("/public/kb/articles", response_model=PublicArticlePage)
def public_articles(kb: KbDep, category_id: CategoryQ = None, limit: Limit = 50,
                    offset: Offset = 0) -> PublicArticlePage:
    items, total = kb.articles(None, category_id=category_id, limit=limit, offset=offset)
    return PublicArticlePage(items=[PublicArticleOut.of(a) for a in items], total=total)


@public_router.get("/public/kb/search", response_model=list[PublicSearchHitOut])
def public_search(kb: KbDep, q: SearchQ, category_id: CategoryQ = None, limit: Limit = 20,
                  prefix: Prefix = False) -> list[PublicSearchHitOut]:
    return [PublicSearchHitOut.hit(h) for h in kb.search(None, q, category_id=category_id,
                                                         limit=limit, prefix=prefix)]


@public_router.get("/public/kb/hot", response_model=list[ArticleCountOut],
                   summary="常问问题 among the public articles (the help centre, the IVR)")
def public_hot(kb: KbDep, days: Days = 30, limit: Limit = 10) -> list[ArticleCountOut]:
    return [ArticleCountOut.model_validate(c, from_attributes=True)
            for c in kb.hot(None, days=days, limit=limit)]


@public_router.get("/public/kb/articles/{article_id}", response_model=PublicArticleShown)
def public_article(article_id: Id, kb: KbDep) -> PublicArticleShown:
    return PublicArticleShown.shown(kb.get(None, article_id))


@public_router.get("/public/kb/articles/{article_id}/files/{file_id}",
                   response_class=FileResponse, responses=UPLOADED_FILE,
                   summary="An image of a public published article")
def public_file(article_id: Id, file_id: Id, kb: KbDep) -> FileResponse:
    return _send(*kb.file(None, article_id, file_id))
