"""Guided question trees (问题推测), pure: the tree as nodes and edges, and its check.

A node is a question (its answers are the edges leaving it, in list order) or a solution
(an article id, optionally with a text).  The root is the one node nothing leads to.  A
sub-node may be reused by several answers (a DAG: two questions often end in the same
solution, and copying it would let the copies drift apart); a loop is refused, so a walk
always ends.  :func:`problems` names every problem with its node at once; whether a
solution's article exists and is published is the service's question (it needs the store).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KINDS = ("question", "solution")
MAX_NODES = 200
MAX_ANSWERS = 12              # answers of one question
MAX_DEPTH = 20                # questions on the longest path from the root
MAX_TEXT = 1_000              # a question's or a solution's text, in characters
MAX_LABEL = 100               # an answer's label
MAX_TITLE = 200
NODE_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")


@dataclass(frozen=True)
class Node:
    id: str
    kind: str                          # one of KINDS
    text: str = ""                     # the question; for a solution, optional words with it
    article_id: int | None = None      # a solution's article


@dataclass(frozen=True)
class Edge:
    """An answer: ``label`` on question ``source`` leads to node ``target``."""

    source: str
    target: str
    label: str


@dataclass(frozen=True)
class Shape:
    """What an editor saves: the nodes and the answers between them."""

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]

    def node(self, node_id: str) -> Node | None:
        return next((n for n in self.nodes if n.id == node_id), None)

    def answers(self, node_id: str) -> tuple[Edge, ...]:
        return tuple(e for e in self.edges if e.source == node_id)

    def root(self) -> Node | None:
        """The one node nothing leads to (None if there is not exactly one)."""
        roots = _roots(self)
        return self.node(roots[0]) if len(roots) == 1 else None

    def articles(self) -> set[int]:
        return {n.article_id for n in self.nodes if n.article_id is not None}


@dataclass(frozen=True)
class Problem:
    node: str                          # the node's id ("" for the tree as a whole)
    message: str


def _roots(shape: Shape) -> list[str]:
    targets = {e.target for e in shape.edges}
    return [n.id for n in shape.nodes if n.id not in targets]


def problems(shape: Shape) -> list[Problem]:
    """Every problem of ``shape``, each naming its node; empty: the tree can be walked."""
    out: list[Problem] = []
    if not shape.nodes:
        return [Problem("", "a tree needs at least one node")]
    if len(shape.nodes) > MAX_NODES:
        out.append(Problem("", f"{len(shape.nodes)} nodes; at most {MAX_NODES}"))
    ids: set[str] = set()
    for n in shape.nodes:
        if not NODE_ID.fullmatch(n.id):
            out.append(Problem(n.id, "a node id is 1-32 letters, digits, '-' or '_'"))
        if n.id in ids:
            out.append(Problem(n.id, "two nodes have this id"))
        ids.add(n.id)
        out += _node_problems(n)
    for e in shape.edges:
        for end in (e.source, e.target):
            if end not in ids:
                out.append(Problem(end, f"answer {e.label!r} names a node that does not exist"))
    for n in shape.nodes:
        out += _answer_problems(n, shape.answers(n.id))
    if out:
        return out                     # the graph checks below need sound nodes and edges
    roots = _roots(shape)
    if not roots:
        return [Problem("", "no root: every node is an answer's target (a loop)")]
    out += [Problem(r, "a second root: no answer leads here") for r in roots[1:]]
    loop = _loop(shape)
    if loop:
        return out + [Problem(loop[0], "a loop: " + " → ".join(loop))]
    reached = _reach(shape, roots[0])
    out += [Problem(n.id, "unreachable from the root") for n in shape.nodes
            if n.id not in reached and n.id not in roots[1:]]
    depth = _depth(shape, roots[0])
    if depth > MAX_DEPTH:
        out.append(Problem(roots[0], f"{depth} questions deep; at most {MAX_DEPTH}"))
    return out


def _node_problems(n: Node) -> list[Problem]:
    out = []
    if n.kind not in KINDS:
        out.append(Problem(n.id, f"kind {n.kind!r}: one of {', '.join(KINDS)}"))
    if len(n.text) > MAX_TEXT:
        out.append(Problem(n.id, f"text of {len(n.text)} characters; at most {MAX_TEXT}"))
    if n.kind == "question":
        if not n.text.strip():
            out.append(Problem(n.id, "a question needs its text"))
        if n.article_id is not None:
            out.append(Problem(n.id, "a question has no article (a solution does)"))
    if n.kind == "solution" and n.article_id is None:
        out.append(Problem(n.id, "a solution needs an article"))
    return out


def _answer_problems(n: Node, answers: tuple[Edge, ...]) -> list[Problem]:
    out = []
    if n.kind == "solution" and answers:
        out.append(Problem(n.id, "a solution ends the walk: it has no answers"))
    if n.kind == "question" and not answers:
        out.append(Problem(n.id, "a dead end: a question with no answers"))
    if len(answers) > MAX_ANSWERS:
        out.append(Problem(n.id, f"{len(answers)} answers; at most {MAX_ANSWERS}"))
    labels = [e.label.strip() for e in answers]
    for label in labels:
        if not label or len(label) > MAX_LABEL:
            out.append(Problem(n.id, f"an answer's label is 1-{MAX_LABEL} characters"))
    if len(set(labels)) < len(labels):
        out.append(Problem(n.id, "two answers have the same label"))
    return out


def _loop(shape: Shape) -> list[str]:
    """The first cycle met by a depth-first walk from every node, as the ids on it with
    its first repeated at the end; [] when there is none."""
    done: set[str] = set()
    for start in (n.id for n in shape.nodes):
        if start in done:
            continue
        path: list[str] = []
        stack = [(start, iter(shape.answers(start)))]
        path.append(start)
        while stack:
            node, it = stack[-1]
            edge = next(it, None)
            if edge is None:
                stack.pop()
                path.pop()
                done.add(node)
            elif edge.target in path:
                return path[path.index(edge.target):] + [edge.target]
            elif edge.target not in done:
                stack.append((edge.target, iter(shape.answers(edge.target))))
                path.append(edge.target)
    return []


def _reach(shape: Shape, root: str) -> set[str]:
    seen, todo = {root}, [root]
    while todo:
        for e in shape.answers(todo.pop()):
            if e.target not in seen:
                seen.add(e.target)
                todo.append(e.target)
    return seen


def _depth(shape: Shape, root: str) -> int:
    """Questions on the longest path from ``root`` (the shape has no loop)."""
    memo: dict[str, int] = {}

    def deep(node: str) -> int:
        if node not in memo:
            n = shape.node(node)
            below = max((deep(e.target) for e in shape.answers(node)), default=0)
            memo[node] = below + (1 if n is not None and n.kind == "question" else 0)
        return memo[node]
    return deep(root)
