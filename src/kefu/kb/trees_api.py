"""Guided question trees (问题推测) over HTTP: the knowledge base's second adapter.

``/kb/trees``: every signed-in role reads enabled trees; ``[kb] approvers`` (the service's
rule, a 403 with the reason otherwise) create, edit and delete them and see disabled ones.
A tree travels as nodes and edges; a tree that cannot be saved is a 422 listing every
problem with its node.  ``/kb/walks``: agents, supervisors and admins (who write call
notes) walk an enabled tree during a call; each walk is its agent's own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response, status
from pydantic import BaseModel, Field

from kefu.users.service import ROLES, User
from kefu.web.deps import MAX_INT, require_roles, running

from .guides import Guides, Problem, Tree, TreeInvalid, Walk
from .records import Denied
from .trees import MAX_LABEL, MAX_NODES, MAX_TEXT, MAX_TITLE, Edge, Node, Shape

router = APIRouter(tags=["kb trees"])

GuidesDep = Annotated[Guides, Depends(running("kb_trees", "the knowledge base is off"))]
Signed = Annotated[User, Depends(require_roles(*ROLES))]         # the service checks the rest
Walker = Annotated[User, Depends(require_roles("admin", "supervisor", "agent"))]
Id = Annotated[int, Path(ge=1, le=MAX_INT)]
NodeId = Annotated[str, Field(min_length=1, max_length=32)]


class NodeIO(BaseModel):
    id: NodeId
    kind: Literal["question", "solution"]
    text: str = Field("", max_length=MAX_TEXT)
    article_id: int | None = Field(None, ge=1, le=MAX_INT)


class EdgeIO(BaseModel):
    source: NodeId
    target: NodeId
    label: str = Field(min_length=1, max_length=MAX_LABEL)


class ShapeIO(BaseModel):
    nodes: list[NodeIO] = Field(max_length=MAX_NODES)
    edges: list[EdgeIO] = Field(max_length=MAX_NODES * 12)

    def shape(self) -> Shape:
        return Shape(nodes=tuple(Node(**n.model_dump()) for n in self.nodes),
                     edges=tuple(Edge(**e.model_dump()) for e in self.edges))

    @classmethod
    def of(cls, s: Shape) -> ShapeIO:
        return cls(nodes=[NodeIO(id=n.id, kind=n.kind, text=n.text,  # type: ignore[arg-type]
                                 article_id=n.article_id) for n in s.nodes],
                   edges=[EdgeIO(source=e.source, target=e.target, label=e.label)
                          for e in s.edges])


class TreeIn(BaseModel):
    category_id: int = Field(ge=1, le=MAX_INT)
    title: str = Field(min_length=1, max_length=MAX_TITLE)
    enabled: bool = False
    shape: ShapeIO


class TreePatch(BaseModel):
    version: int | None = Field(None, ge=1, le=MAX_INT, description="the version edited")
    category_id: int | None = Field(None, ge=1, le=MAX_INT)
    title: str | None = Field(None, min_length=1, max_length=MAX_TITLE)
    enabled: bool | None = None
    shape: ShapeIO | None = None


class TreeOut(BaseModel):
    id: int
    category_id: int
    title: str
    enabled: bool
    shape: ShapeIO
    version: int
    created_by: str
    created_at: float
    updated_by: str
    updated_at: float

    @classmethod
    def of(cls, t: Tree) -> TreeOut:
        return cls(id=t.id, category_id=t.category_id, title=t.title, enabled=t.enabled,
                   shape=ShapeIO.of(t.shape), version=t.version, created_by=t.created_by,
                   created_at=t.created_at, updated_by=t.updated_by, updated_at=t.updated_at)


class ProblemOut(BaseModel):
    node: str
    message: str


class WalkIn(BaseModel):
    tree_id: int = Field(ge=1, le=MAX_INT)
    call_id: str = Field(min_length=1, max_length=128)
    number: str = Field(min_length=1, max_length=32, description="the caller's number")


class AnswerIn(BaseModel):
    node: NodeId
    answer: str = Field(min_length=1, max_length=MAX_LABEL)


class FinishIn(BaseModel):
    type: str = Field(default="inquiry", min_length=1, max_length=32,
                      description="the note's type")
    result: str = Field(default="resolved", min_length=1, max_length=16)


class StepOut(BaseModel):
    node: str
    question: str
    answer: str


class WalkOut(BaseModel):
    id: int
    tree_id: int
    tree_version: int
    title: str
    call_id: str
    agent: str
    state: str
    path: list[StepOut]
    at: NodeIO
    answers: list[str]
    started_at: float
    updated_at: float
    note_id: int | None
    notes: str

    @classmethod
    def of(cls, w: Walk) -> WalkOut:
        return cls(id=w.id, tree_id=w.tree_id, tree_version=w.tree_version, title=w.title,
                   call_id=w.call_id, agent=w.agent, state=w.state,
                   path=[StepOut(node=p.node, question=p.question, answer=p.answer)
                         for p in w.path],
                   at=NodeIO(id=w.at.id, kind=w.at.kind, text=w.at.text,  # type: ignore[arg-type]
                             article_id=w.at.article_id),
                   answers=list(w.answers), started_at=w.started_at, updated_at=w.updated_at,
                   note_id=w.note_id, notes=w.notes)


def _detail(found: list[Problem]) -> list[dict[str, object]]:
    """The one error shape's validation list, one item per problem, naming its node."""
    return [{"loc": ["body", "shape", p.node or "tree"], "msg": p.message,
             "type": "tree_problem", "node": p.node} for p in found]


@contextmanager
def _refusals() -> Iterator[None]:
    try:
        yield
    except Denied as e:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(e)) from None
    except TreeInvalid as e:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, _detail(e.problems)) from None


# --- trees ------------------------------------------------------------------------------------
@router.get("/kb/trees", response_model=list[TreeOut],
            summary="Enabled trees (approvers: every tree)")
def list_trees(guides: GuidesDep, user: Signed,
               category_id: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None
               ) -> list[TreeOut]:
    return [TreeOut.of(t) for t in guides.trees(user, category_id)]


@router.post("/kb/trees", response_model=TreeOut, status_code=status.HTTP_201_CREATED)
def create_tree(body: TreeIn, guides: GuidesDep, user: Signed) -> TreeOut:
    with _refusals():
        return TreeOut.of(guides.create(user, category_id=body.category_id, title=body.title,
                                        shape=body.shape.shape(), enabled=body.enabled))


@router.post("/kb/trees/check", response_model=list[ProblemOut],
             summary="Every problem of a tree, without saving it (empty: it can be saved)")
def check_tree(body: ShapeIO, guides: GuidesDep, user: Signed) -> list[ProblemOut]:
    with _refusals():
        guides.require_editor(user)
    return [ProblemOut(node=p.node, message=p.message) for p in guides.check(body.shape())]


@router.get("/kb/trees/{tree_id}", response_model=TreeOut)
def get_tree(tree_id: Id, guides: GuidesDep, user: Signed) -> TreeOut:
    return TreeOut.of(guides.tree(user, tree_id))


@router.patch("/kb/trees/{tree_id}", response_model=TreeOut)
def update_tree(tree_id: Id, body: TreePatch, guides: GuidesDep, user: Signed) -> TreeOut:
    with _refusals():
        return TreeOut.of(guides.update(
            user, tree_id, version=body.version, title=body.title,
            category_id=body.category_id, enabled=body.enabled,
            shape=body.shape.shape() if body.shape is not None else None))


@router.delete("/kb/trees/{tree_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_tree(tree_id: Id, guides: GuidesDep, user: Signed) -> Response:
    with _refusals():
        guides.delete(user, tree_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- walks ------------------------------------------------------------------------------------
@router.post("/kb/walks", response_model=WalkOut, status_code=status.HTTP_201_CREATED,
             summary="Start walking a tree during a call (the agent's open walk on the call is "
                     "abandoned, its path kept)")
def start_walk(body: WalkIn, guides: GuidesDep, user: Walker) -> WalkOut:
    return WalkOut.of(guides.start(user, body.tree_id, body.call_id, body.number))


@router.get("/kb/walks", response_model=list[WalkOut], summary="A call's walks, oldest first")
def call_walks(guides: GuidesDep, _user: Walker,
               call_id: Annotated[str, Query(min_length=1, max_length=128)]) -> list[WalkOut]:
    return [WalkOut.of(w) for w in guides.walks(call_id)]


@router.get("/kb/walks/{walk_id}", response_model=WalkOut)
def get_walk(walk_id: Id, guides: GuidesDep, user: Walker) -> WalkOut:
    with _refusals():
        return WalkOut.of(guides.walk(user, walk_id))


@router.post("/kb/walks/{walk_id}/answer", response_model=WalkOut)
def answer(walk_id: Id, body: AnswerIn, guides: GuidesDep, user: Walker) -> WalkOut:
    with _refusals():
        return WalkOut.of(guides.answer(user, walk_id, body.node, body.answer))


@router.post("/kb/walks/{walk_id}/back", response_model=WalkOut)
def back(walk_id: Id, guides: GuidesDep, user: Walker) -> WalkOut:
    with _refusals():
        return WalkOut.of(guides.back(user, walk_id))


@router.post("/kb/walks/{walk_id}/finish", response_model=WalkOut,
             summary="Save the path taken to the call's notes and end the walk")
def finish(walk_id: Id, guides: GuidesDep, user: Walker, body: FinishIn | None = None
           ) -> WalkOut:
    body = body or FinishIn()
    with _refusals():
        return WalkOut.of(guides.finish(user, walk_id, type=body.type, result=body.result))


@router.post("/kb/walks/{walk_id}/abandon", response_model=WalkOut,
             summary="End the walk without a note; its path is kept")
def abandon(walk_id: Id, guides: GuidesDep, user: Walker) -> WalkOut:
    with _refusals():
        return WalkOut.of(guides.abandon(user, walk_id))
