"""Guided question trees (问题推测): the editor's store and the agents' walks.

Who may: ``[kb] approvers`` (the :class:`Kb` service's rule) create, edit and delete trees
and see disabled ones; every role reads enabled trees.  Every save is checked whole
(:func:`kefu.kb.trees.problems`, plus: each solution's article exists and is published)
and refused with every problem named (:class:`TreeInvalid`), nothing written.

A walk is one agent's path through a tree during a call, kept on the server: it keeps the
tree as it was when it started, so an edit mid-call cannot break it.  ``finish`` writes the
path (question → answer … → the solution article's title) to the call's notes through the
CRM service; a walk left for a new one on the same call, or abandoned, keeps its path.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from kefu.crm.service import Crm
from kefu.store.checks import check_text
from kefu.store.db import Database
from kefu.store.errors import Conflict, Invalid, NotFound
from kefu.users.service import User

from . import trees_repo as repo
from .models import KbCategoryRow
from .records import Denied
from .service import Kb
from .trees import MAX_TITLE, Node, Problem, Shape, problems
from .trees_models import KbTreeRow, KbWalkRow

__all__ = ["Guides", "Problem", "Shape", "Step", "Tree", "TreeInvalid", "Walk"]

log = logging.getLogger(__name__)


class TreeInvalid(Invalid):
    """A tree that cannot be saved; ``problems`` names each with its node."""

    def __init__(self, found: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.node or 'tree'}: {p.message}" for p in found))
        self.problems = found


@dataclass(frozen=True)
class Tree:
    id: int
    category_id: int
    title: str
    enabled: bool
    shape: Shape
    version: int
    created_by: str
    created_at: float
    updated_by: str
    updated_at: float


@dataclass(frozen=True)
class Step:
    node: str
    question: str
    answer: str


@dataclass(frozen=True)
class Walk:
    id: int
    tree_id: int
    tree_version: int
    title: str
    call_id: str
    agent: str
    state: str                      # open | finished | abandoned
    path: tuple[Step, ...]
    at: Node                        # where the walk is now
    answers: tuple[str, ...]        # the labels that may be taken from ``at``
    started_at: float
    updated_at: float
    note_id: int | None
    notes: str                      # the path as written to the call's note (on finish)


class Guides:
    """Trees and walks over the shared :class:`Database`; roles by ``kb``'s rule, notes
    through ``crm``."""

    def __init__(self, db: Database, kb: Kb, crm: Crm, *,
                 clock: Callable[[], float] = time.time) -> None:
        self._db, self._kb, self._crm, self.clock = db, kb, crm, clock

    # --- trees ---------------------------------------------------------------------------
    def require_editor(self, user: User) -> None:
        if not self._kb.can_approve(user):
            raise Denied(f"editing question trees needs a role of [kb] approvers "
                         f"({', '.join(self._kb.settings.approvers)}); you are {user.role}")

    def trees(self, user: User, category_id: int | None = None) -> list[Tree]:
        """Enabled trees; editors see disabled ones too."""
        with self._db.tx(write=False) as s:
            rows = repo.trees(s, category_id, not self._kb.can_approve(user))
            return [_tree(r) for r in rows]

    def tree(self, user: User, tree_id: int) -> Tree:
        with self._db.tx(write=False) as s:
            row = s.get(KbTreeRow, tree_id)
            if row is None or not (row.enabled or self._kb.can_approve(user)):
                raise NotFound(f"tree {tree_id} does not exist")
            return _tree(row)

    def create(self, user: User, *, category_id: int, title: str, shape: Shape,
               enabled: bool = False) -> Tree:
        self.require_editor(user)
        check_text("title", title, MAX_TITLE, required=True)
        now = self.clock()
        with self._db.tx() as s:
            self._check(s, category_id, shape)
            row = KbTreeRow(category_id=category_id, title=title.strip(), enabled=enabled,
                            shape=repo.doc_of(shape), version=1, created_by=user.username,
                            created_at=now, updated_by=user.username, updated_at=now)
            s.add(row)
            s.flush()
            return _tree(row)

    def update(self, user: User, tree_id: int, *, version: int | None = None,
               title: str | None = None, category_id: int | None = None,
               shape: Shape | None = None, enabled: bool | None = None) -> Tree:
        """``version``: the one the editor started from (a 409 if someone saved since)."""
        self.require_editor(user)
        if title is not None:
            check_text("title", title, MAX_TITLE, required=True)
        with self._db.tx() as s:
            row = self._row(s, tree_id)
            if version is not None and version != row.version:
                raise Conflict(f"tree {tree_id} is at version {row.version}, not {version}: "
                               "someone saved it since; reload")
            self._check(s, row.category_id if category_id is None else category_id,
                        repo.shape_of(row.shape) if shape is None else shape)
            if title is not None:
                row.title = title.strip()
            if category_id is not None:
                row.category_id = category_id
            if shape is not None:
                row.shape = repo.doc_of(shape)
            if enabled is not None:
                row.enabled = enabled
            row.version += 1
            row.updated_by, row.updated_at = user.username, self.clock()
            return _tree(row)

    def delete(self, user: User, tree_id: int) -> None:
        """The tree goes; walks through it keep their copy of it and their paths."""
        self.require_editor(user)
        with self._db.tx() as s:
            s.delete(self._row(s, tree_id))

    def check(self, shape: Shape) -> list[Problem]:
        """Every problem of ``shape``, the articles included (the editor's check button)."""
        with self._db.tx(write=False) as s:
            return self._problems(s, shape)

    def _problems(self, s: Session, shape: Shape) -> list[Problem]:
        found = problems(shape)
        live = repo.live_titles(s, shape.articles())
        found += [Problem(n.id, f"article {n.article_id} does not exist or is not published")
                  for n in shape.nodes if n.article_id is not None and n.article_id not in live]
        return found

    def _check(self, s: Session, category_id: int, shape: Shape) -> None:
        if s.get(KbCategoryRow, category_id) is None:
            raise NotFound(f"category {category_id} does not exist")
        if found := self._problems(s, shape):
            err = TreeInvalid(found)
            log.info("kb trees: a save refused: %s", err)
            raise err

    @staticmethod
    def _row(s: Session, tree_id: int) -> KbTreeRow:
        row = s.get(KbTreeRow, tree_id)
        if row is None:
            raise NotFound(f"tree {tree_id} does not exist")
        return row

    # --- walks ---------------------------------------------------------------------------
    def start(self, user: User, tree_id: int, call_id: str, number: str) -> Walk:
        """A walk at the tree's root; the agent's open walk on the same call is abandoned
        (kept with its path).  ``number``: the caller's, which the call's note goes to."""
        check_text("call_id", call_id, 128, required=True)
        number = self._crm.phone(number).number      # Invalid for a number that is none
        now = self.clock()
        with self._db.tx() as s:
            tree = s.get(KbTreeRow, tree_id)
            if tree is None or not tree.enabled:
                raise NotFound(f"tree {tree_id} does not exist or is not enabled")
            for old in repo.open_walks(s, call_id, user.username):
                old.state, old.updated_at = "abandoned", now
            row = KbWalkRow(tree_id=tree.id, tree_version=tree.version, title=tree.title,
                            shape=tree.shape, call_id=call_id, number=number,
                            agent=user.username, state="open", path=[], started_at=now,
                            updated_at=now, note_id=None, notes="")
            s.add(row)
            s.flush()
            return _walk(row)

    def walk(self, user: User, walk_id: int) -> Walk:
        with self._db.tx(write=False) as s:
            return _walk(self._walk_row(s, walk_id, user))

    def walks(self, call_id: str) -> list[Walk]:
        """Every walk on a call, oldest first (finished and abandoned ones included)."""
        with self._db.tx(write=False) as s:
            return [_walk(r) for r in repo.walks_of_call(s, call_id)]

    def answer(self, user: User, walk_id: int, node: str, answer: str) -> Walk:
        """Take ``answer`` at ``node``, which must be where the walk is (a stale click from
        another screen is a 409, not a jump)."""
        with self._db.tx() as s:
            row = self._open(s, walk_id, user)
            shape = repo.shape_of(row.shape)
            at = _position(shape, row.path)
            if node != at.id:
                raise Conflict(f"walk {walk_id} is at {at.id}, not {node}")
            if at.kind != "question":
                raise Conflict(f"walk {walk_id} reached a solution: finish it or go back")
            if answer not in {e.label for e in shape.answers(at.id)}:
                raise Invalid(f"{at.id} has no answer {answer!r}")
            row.path = [*row.path, {"node": at.id, "answer": answer}]
            row.updated_at = self.clock()
            return _walk(row)

    def back(self, user: User, walk_id: int) -> Walk:
        with self._db.tx() as s:
            row = self._open(s, walk_id, user)
            if not row.path:
                raise Conflict(f"walk {walk_id} is at the root: nothing to go back to")
            row.path = row.path[:-1]
            row.updated_at = self.clock()
            return _walk(row)

    def abandon(self, user: User, walk_id: int) -> Walk:
        with self._db.tx() as s:
            row = self._open(s, walk_id, user)
            row.state, row.updated_at = "abandoned", self.clock()
            return _walk(row)

    def finish(self, user: User, walk_id: int, *, type: str = "inquiry",
               result: str = "resolved") -> Walk:
        """The path to the call's notes (the CRM's wrap-up note on ``call_id``, under the
        caller's number; its type and result as the wrap-up form's), then the walk is
        finished.  A refused note leaves the walk open."""
        with self._db.tx(write=False) as s:
            row = self._open(s, walk_id, user)
            shape = repo.shape_of(row.shape)
            at = _position(shape, row.path)
            titles = repo.live_titles(s, [at.article_id] if at.article_id else [])
            text = _note(row.title, shape, row.path, at, titles)
            call_id, number = row.call_id, row.number
        note, _customer, _created = self._crm.add_call_note(
            call_id, number, agent=user.username, type=type, result=result, notes=text)
        with self._db.tx() as s:
            row = self._open(s, walk_id, user)
            row.state, row.note_id, row.notes = "finished", note.id, text
            row.updated_at = self.clock()
            return _walk(row)

    def _walk_row(self, s: Session, walk_id: int, user: User) -> KbWalkRow:
        row = s.get(KbWalkRow, walk_id)
        if row is None:
            raise NotFound(f"walk {walk_id} does not exist")
        if row.agent != user.username:
            raise Denied(f"walk {walk_id} is {row.agent}'s")
        return row

    def _open(self, s: Session, walk_id: int, user: User) -> KbWalkRow:
        row = self._walk_row(s, walk_id, user)
        if row.state != "open":
            raise Conflict(f"walk {walk_id} is {row.state}")
        return row


def _position(shape: Shape, path: list[dict[str, str]]) -> Node:
    """The node a path from the root leads to (the shape was checked when saved)."""
    root = shape.root()
    assert root is not None
    at = root
    for step in path:
        edge = next(e for e in shape.answers(step["node"]) if e.label == step["answer"])
        nxt = shape.node(edge.target)
        assert nxt is not None
        at = nxt
    return at


def _note(title: str, shape: Shape, path: list[dict[str, str]], at: Node,
          titles: dict[int, str]) -> str:
    """问题推测「title」 then one line per step, ``question → answer``, and the solution."""
    lines = [f"问题推测「{title}」"]
    for i, step in enumerate(path, 1):
        node = shape.node(step["node"])
        lines.append(f"{i}. {node.text if node else step['node']} → {step['answer']}")
    if at.kind == "solution" and at.article_id is not None:
        name = titles.get(at.article_id, "（已下线）")
        lines.append(f"解决方案: {name} (#{at.article_id})" + (f" {at.text}" if at.text else ""))
    else:
        lines.append(f"未到解决方案, 停在: {at.text}")
    return "\n".join(lines)


def _tree(r: KbTreeRow) -> Tree:
    return Tree(id=r.id, category_id=r.category_id, title=r.title, enabled=r.enabled,
                shape=repo.shape_of(r.shape), version=r.version, created_by=r.created_by,
                created_at=r.created_at, updated_by=r.updated_by, updated_at=r.updated_at)


def _walk(r: KbWalkRow) -> Walk:
    shape = repo.shape_of(r.shape)
    at = _position(shape, r.path)
    steps = []
    for step in r.path:
        node = shape.node(step["node"])
        steps.append(Step(node=step["node"], question=node.text if node else "",
                          answer=step["answer"]))
    return Walk(id=r.id, tree_id=r.tree_id, tree_version=r.tree_version, title=r.title,
                call_id=r.call_id, agent=r.agent, state=r.state, path=tuple(steps), at=at,
                answers=tuple(e.label for e in shape.answers(at.id)),
                started_at=r.started_at, updated_at=r.updated_at, note_id=r.note_id,
                notes=r.notes)
