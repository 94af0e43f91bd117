"""A ticket type's workflow: its states, the transitions between them, who may take each
and what each needs.  Pure: the service stores the definition as JSON and asks here.

A definition is checked whole before it is stored (:func:`check`), each problem named, so
an admin's typo is a 422 and never a ticket stuck in a state no transition leaves.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kefu.store.errors import Invalid
from kefu.users.service import ROLES

from .records import MAX_LABEL, MAX_NAME, MAX_STATES, TICKET_FIELDS, Transition

NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class StateDef(_Strict):
    name: str = Field(max_length=MAX_NAME)
    label_zh: str = Field(min_length=1, max_length=MAX_LABEL)
    label_en: str = Field(min_length=1, max_length=MAX_LABEL)
    kind: Literal["open", "waiting", "closed"] = "open"
    visit: bool = False                   # entering it schedules a return visit (回访)


class TransitionDef(_Strict):
    name: str = Field(max_length=MAX_NAME)
    label_zh: str = Field(min_length=1, max_length=MAX_LABEL)
    label_en: str = Field(min_length=1, max_length=MAX_LABEL)
    from_: list[str] = Field(alias="from", min_length=1)
    to: str
    roles: list[str] = Field(min_length=1)
    required: list[str] = []


class Workflow(_Strict):
    states: list[StateDef] = Field(min_length=1, max_length=MAX_STATES)
    initial: str
    transitions: list[TransitionDef] = Field(min_length=1, max_length=200)

    def state(self, name: str) -> StateDef | None:
        return next((s for s in self.states if s.name == name), None)

    def transition(self, name: str) -> TransitionDef | None:
        return next((t for t in self.transitions if t.name == name), None)

    def dump(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True)


def check(definition: object, custom_fields: tuple[str, ...] = ()) -> Workflow:
    """The definition as a :class:`Workflow`; :class:`Invalid` naming every problem."""
    try:
        wf = Workflow.model_validate(definition)
    except ValidationError as e:
        raise Invalid("workflow: " + "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors())
        ) from None
    problems: list[str] = []
    names = [s.name for s in wf.states]
    for name in names + [t.name for t in wf.transitions]:
        if not NAME.fullmatch(name):
            problems.append(f"name {name!r} must be lower case letters, digits and _")
    for dup in {n for n in names if names.count(n) > 1}:
        problems.append(f"state {dup!r} is defined twice")
    tnames = [t.name for t in wf.transitions]
    for dup in {n for n in tnames if tnames.count(n) > 1}:
        problems.append(f"transition {dup!r} is defined twice")
    initial = wf.state(wf.initial)
    if initial is None:
        problems.append(f"initial state {wf.initial!r} is not a state")
    elif initial.kind == "closed":
        problems.append("the initial state must not be closed")
    if not any(s.kind == "closed" for s in wf.states):
        problems.append("no state is closed: a ticket could never be resolved")
    wanted = set(TICKET_FIELDS) | set(custom_fields)
    for t in wf.transitions:
        for state in [*t.from_, t.to]:
            if state not in names:
                problems.append(f"transition {t.name!r} names unknown state {state!r}")
        for role in t.roles:
            if role not in ROLES:
                problems.append(f"transition {t.name!r} names unknown role {role!r}")
        for f in t.required:
            if f not in wanted:
                problems.append(f"transition {t.name!r} requires unknown field {f!r}")
    reached = {wf.initial} | {t.to for t in wf.transitions}
    for s in wf.states:
        if s.name not in reached:
            problems.append(f"state {s.name!r} cannot be reached")
        if s.kind != "closed" and not any(s.name in t.from_ for t in wf.transitions):
            problems.append(f"state {s.name!r} is not closed but no transition leaves it")
    if problems:
        raise Invalid("workflow: " + "; ".join(sorted(set(problems))))
    return wf


def allowed(wf: Workflow, state: str, role: str) -> list[Transition]:
    """The transitions a user of ``role`` may take from ``state``, in definition order."""
    return [Transition(t.name, t.label_zh, t.label_en, t.to, tuple(t.required))
            for t in wf.transitions if state in t.from_ and role in t.roles]


def refusal(wf: Workflow, state: str, role: str, name: str) -> tuple[str, str] | None:
    """Why ``name`` may not be taken now: ("forbidden" | "conflict" | "invalid", reason),
    or None when it may."""
    t = wf.transition(name)
    if t is None:
        return "invalid", f"no transition {name!r} in this workflow"
    if state not in t.from_:
        return "conflict", f"{name!r} cannot be taken from state {state!r}"
    if role not in t.roles:
        return "forbidden", f"{name!r} may be taken by {', '.join(t.roles)} only; you are {role}"
    return None


def missing(t: TransitionDef, values: dict[str, Any]) -> list[str]:
    """The transition's required fields that are blank in ``values`` (the ticket after
    the transition, with the request's comment)."""
    return [f for f in t.required if values.get(f) in (None, "", [])]
