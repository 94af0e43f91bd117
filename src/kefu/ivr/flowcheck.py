"""Reading, checking and writing flows: every problem names its node.

Decisions:
- Every node must be reachable from ``start``: a node nothing leads to is a mistake.
- Loops are allowed only through a node that waits for the caller (menu, collect, survey,
  voicemail): a menu the caller walks back to is a menu, a loop of play/set/branch/lookup
  nodes would spin (or play the same thing) forever, and is refused.
- A variable used in ``${…}`` or a condition must be built in (:data:`BUILTINS`), declared
  under ``variables``, or set by some node (``set``, ``into``, a subflow's ``outputs``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from typing import Any

import yaml
from pydantic import ValidationError

from kefu.values import DIAL

from .flow import BUILTINS, NAME, Branch, Flow, Say, Subflow, Transfer, template_vars
from .readout import ReadoutError, read


class FlowError(ValueError):
    """A flow that is not valid; ``problems`` lists each, naming its node."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def parse(text: str) -> Any:
    """YAML or JSON (JSON is YAML) text into plain data."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        where = getattr(e, "problem_mark", None)
        at = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        raise FlowError([f"not valid YAML or JSON{at}: {getattr(e, 'problem', e)}"]) from None


def _where(loc: tuple[int | str, ...]) -> tuple[str, str]:
    """(prefix naming the node or the top-level key, the path inside it)."""
    if len(loc) >= 2 and loc[0] == "nodes":
        rest = loc[3:] if len(loc) > 2 else ()  # loc[2] is the node's type tag
        return f"node `{loc[1]}`", ".".join(str(p) for p in rest)
    return ".".join(str(p) for p in loc) or "flow", ""


def _messages(error: ValidationError) -> list[str]:
    out = []
    for e in error.errors():
        node, path = _where(tuple(e["loc"]))
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] in ("union_tag_invalid", "union_tag_not_found"):
            msg, path = "type missing or unknown (" + e["ctx"]["expected_tags"] + ")", ""
        out.append(f"{node}: {path + ': ' if path else ''}{msg}")
    return out


def load(source: str | Mapping[str, Any], *, flows: Collection[str] | None = None) -> Flow:
    """A checked flow from YAML/JSON text or data; ``flows``: the names a subflow or
    ``flow:`` transfer may use (unchecked when None). Raises :class:`FlowError`."""
    data = parse(source) if isinstance(source, str) else source
    if not isinstance(data, Mapping):
        raise FlowError(["a flow is a mapping with name, start and nodes"])
    try:
        flow = Flow.model_validate(data)
    except ValidationError as e:
        raise FlowError(_messages(e)) from None
    problems = check(flow, flows=flows)
    if problems:
        raise FlowError(problems)
    return flow


def dump(flow: Flow, fmt: str = "yaml") -> str:
    """The flow as an admin writes it (aliases, defaults left out): ``load(dump(f)) == f``."""
    data = flow.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    data.setdefault("start", flow.start)
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def check(flow: Flow, *, flows: Collection[str] | None = None) -> list[str]:
    """Every problem spanning nodes, each naming its node."""
    problems: list[str] = []
    nodes = flow.nodes
    if flow.start not in nodes:
        problems.append(f"start: node `{flow.start}` does not exist")
    for name, node in nodes.items():
        for what, target in node.targets():
            if target not in nodes:
                problems.append(f"node `{name}`: {what} goes to `{target}`, which does not exist")
    if flow.start in nodes:
        reached = _reachable(flow)
        problems += [f"node `{n}` is never reached from start `{flow.start}`"
                     for n in nodes if n not in reached]
    problems += _spins(flow)
    problems += _variables(flow)
    for name, node in nodes.items():
        problems += [f"node `{name}`: {p}" for p in _node_problems(flow, node, flows)]
    return problems


def _edges(flow: Flow, name: str) -> list[str]:
    return [t for _, t in flow.nodes[name].targets() if t in flow.nodes]


def _reachable(flow: Flow) -> set[str]:
    seen, todo = {flow.start}, [flow.start]
    while todo:
        for t in _edges(flow, todo.pop()):
            if t not in seen:
                seen.add(t)
                todo.append(t)
    return seen


def _spins(flow: Flow) -> list[str]:
    """Loops among nodes that never wait for the caller, each reported once."""
    passive = {n for n, node in flow.nodes.items() if not node.INPUT}
    found: list[list[str]] = []
    seen: set[frozenset[str]] = set()
    state: dict[str, int] = {}  # 1 on the path, 2 done

    def visit(n: str, path: list[str]) -> None:
        state[n] = 1
        path.append(n)
        for t in _edges(flow, n):
            if t not in passive:
                continue
            if state.get(t) == 1:
                loop = path[path.index(t):]
                if frozenset(loop) not in seen:
                    seen.add(frozenset(loop))
                    found.append(loop + [t])
            elif t not in state:
                visit(t, path)
        path.pop()
        state[n] = 2

    for n in flow.nodes:
        if n in passive and n not in state:
            visit(n, [])
    return [f"node `{loop[0]}`: " + " → ".join(f"`{n}`" for n in loop)
            + " loops without waiting for the caller (put a menu, collect or survey in the loop)"
            for loop in found]


def _variables(flow: Flow) -> list[str]:
    defined = set(BUILTINS) | set(flow.variables)
    for node in flow.nodes.values():
        defined |= node.writes()
    problems = [f"error prompt: variable `{v}` is never set"
                for v in sorted(flow.error_prompt.reads() - defined)]
    for name, node in flow.nodes.items():
        for v in sorted(node.reads() - defined):
            problems.append(f"node `{name}`: variable `{v}` is never set "
                            "(not built in, declared under variables, or set by a node)")
    return problems


def _node_problems(flow: Flow, node: object, flows: Collection[str] | None) -> list[str]:
    """What one node gets wrong about the world outside it: calendars, other flows,
    numbers, literal read-out values."""
    out: list[str] = []
    if isinstance(node, Branch):
        for i, case in enumerate(node.cases, 1):
            out += [f"case {i}: calendar `{c}` does not exist"
                    for c in sorted(case.if_.calendars() - set(flow.calendars))]
    if isinstance(node, Subflow):
        if node.flow == flow.name:
            out.append(f"subflow `{node.flow}` is this flow itself")
        elif flows is not None and node.flow not in flows:
            out.append(f"subflow `{node.flow}` does not exist")
    if isinstance(node, Transfer) and not template_vars(node.to):
        target = node.to.removeprefix("flow:")
        if node.to.startswith("flow:"):
            if not re.fullmatch(NAME, target):
                out.append(f"transfer to `{node.to}`: not a flow name")
            elif flows is not None and target not in flows:
                out.append(f"transfer to flow `{target}`, which does not exist")
        elif not DIAL.is_valid(node.to):
            out.append(f"transfer to: {DIAL.problem(node.to)}")
    if isinstance(node, Say) and not template_vars(node.value):
        try:
            read(flow.language, node.kind, node.value)
        except ReadoutError as e:
            out.append(f"value: {e}")
    return out
