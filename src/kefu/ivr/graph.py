"""A flow as a diagram's graph: its nodes and the labelled arrows between them.

The browser draws the diagram beside the editor from this (``POST …/check`` answers it
with the problems), so the flow is parsed by one parser, the server's, and the arrows are
the ones :meth:`kefu.ivr.flow.Node.targets` gives the checker: what the diagram shows is
what is checked.  A target that does not exist is still drawn, as a node of type
``missing``, so the admin sees where the broken arrow points.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from .flow import Branch, Condition, Flow, Node
from .flowcheck import FlowError, parse

# an input node's fallback is taken after its retries ran out: no key, or wrong keys
_AFTER_RETRIES = "timeout / invalid"
_FALLBACK = {"queue": "refused", "transfer": "unreachable"}


@dataclass(frozen=True)
class GraphNode:
    id: str
    type: str            # the node's type, or "missing" for a target that does not exist
    label: str           # its caption in the diagram (the node's ``label`` or its name)


@dataclass(frozen=True)
class GraphEdge:
    source: str
    target: str
    kind: str            # next, digit, case, else, fallback, error
    label: str           # the digit, the condition, "timeout / invalid", "error" … ("" for next)


@dataclass(frozen=True)
class Graph:
    start: str
    nodes: list[GraphNode]
    edges: list[GraphEdge]


def condition_text(c: Condition) -> str:
    """A condition as a short caption: ``tier = vip``, ``open(office)``, ``a and not b``."""
    if c.open is not None:
        return f"open({c.open})"
    if c.all is not None:
        return " and ".join(_inner(x) for x in c.all)
    if c.any is not None:
        return " or ".join(_inner(x) for x in c.any)
    if c.not_ is not None:
        return f"not {_inner(c.not_)}"
    ops: list[tuple[str, Any]] = [("=", c.eq), ("≠", c.ne), ("starts", c.prefix), ("~", c.matches),
                                  (">", c.gt), ("<", c.lt)]
    for sign, value in ops:
        if value is not None:
            return f"{c.var} {sign} {value:g}" if isinstance(value, float) else f"{c.var} {sign} {value}"
    if c.in_ is not None:
        return f"{c.var} in {', '.join(c.in_)}"
    return f"{c.var} {'empty' if c.empty else 'not empty'}"


def _inner(c: Condition) -> str:
    text = condition_text(c)
    return f"({text})" if c.all is not None or c.any is not None else text


def _edges(name: str, node: Node) -> list[GraphEdge]:
    out = []
    kind = getattr(node, "type", "")
    for what, target in node.targets():
        if what.startswith("digit "):
            out.append(GraphEdge(name, target, "digit", what.removeprefix("digit ")))
        elif what.startswith("case ") and isinstance(node, Branch):
            case = node.cases[int(what.removeprefix("case ")) - 1]
            out.append(GraphEdge(name, target, "case", condition_text(case.if_)))
        elif what == "else":
            out.append(GraphEdge(name, target, "else", "else"))
        elif what == "fallback":
            out.append(GraphEdge(name, target, "fallback", _FALLBACK.get(kind, _AFTER_RETRIES)))
        elif what == "the error branch":
            out.append(GraphEdge(name, target, "error", "error"))
        else:
            out.append(GraphEdge(name, target, "next", ""))
    return out


def graph(flow: Flow) -> Graph:
    """The nodes in the order written, then every missing target once; the arrows in
    each node's order."""
    nodes = [GraphNode(n, getattr(node, "type", ""), node.label or n) for n, node in flow.nodes.items()]
    edges = [e for n, node in flow.nodes.items() for e in _edges(n, node)]
    known = set(flow.nodes)
    for missing in dict.fromkeys([flow.start, *(e.target for e in edges)]):
        if missing not in known:
            nodes.append(GraphNode(missing, "missing", missing))
            known.add(missing)
    return Graph(flow.start, nodes, edges)


def graph_of(text: str) -> Graph | None:
    """The graph of a flow's text, or None when it does not parse into a flow (the
    problems say why); a flow with problems across nodes still has its graph."""
    try:
        data = parse(text)
        return graph(Flow.model_validate(data)) if isinstance(data, dict) else None
    except (FlowError, ValidationError):
        return None
