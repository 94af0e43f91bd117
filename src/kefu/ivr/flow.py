"""The flow format (流程): what an admin writes, in YAML or JSON, and what the engine runs.

A flow is named nodes, each of one ``type``, joined by the node names in their target
fields (``next``, a menu's ``choices``, ``fallback``, ``error``, a branch's ``cases``).
The pydantic models below are the schema (:func:`json_schema` for the editor);
:mod:`kefu.ivr.flowcheck` adds what spans nodes (targets exist, everything reachable, no
loop without input, variables defined). Strings may hold ``${variable}``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal

import sqlalchemy
from pydantic import (BaseModel, ConfigDict, Field, GetJsonSchemaHandler, field_validator,
                      model_validator)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from kefu.values import DTMF_KEY

from kefu.calendar import Calendar
from .phrase import choice_phrase
from .readout import Kind

NAME = r"[A-Za-z_][A-Za-z0-9_]*"
TEMPLATE_VAR = re.compile(r"\$\{(" + NAME + r")\}")
BUILTINS = frozenset({"caller", "called", "call_id", "language", "tier", "customer_id",
                      "customer_name", "customer_owner", "error"})
"""Variables every call has: its numbers, the language, what the customer look-up on entry
found (the tier: VIP levels), and ``error`` (why the last error branch was taken)."""

NodeName = Annotated[str, Field(pattern=f"^{NAME}$", max_length=64)]
VarName = Annotated[str, Field(pattern=f"^{NAME}$", max_length=64)]
Seconds = Annotated[float, Field(gt=0, le=600)]
Retries = Annotated[int, Field(ge=0, le=10)]


def template_vars(text: str | None) -> set[str]:
    return set(TEMPLATE_VAR.findall(text or ""))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Prompt(_Model):
    """A recorded prompt file or text to speak (a plain string is TTS text)."""

    file: str | None = Field(None, description="prompt file name (uploaded, 8 kHz mono)")
    tts: str | None = Field(None, description="text to speak in the call's language; may hold ${var}")

    @model_validator(mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return {"tts": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _one(self) -> Prompt:
        if (self.file is None) == (self.tts is None):
            raise ValueError("a prompt is either file or tts, exactly one")
        return self

    def reads(self) -> set[str]:
        return template_vars(self.tts) | template_vars(self.file)

    @classmethod
    def __get_pydantic_json_schema__(cls, core: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        """The shorthand a plain string allows is in the schema too."""
        return {"anyOf": [handler(core), {"type": "string", "description": "text to speak"}]}


class Condition(_Model):
    """One test, or ``all``/``any``/``not`` of tests. A test is ``var`` with one operator, or
    ``open``: the named calendar's business hours."""

    var: VarName | None = None
    eq: str | None = None
    ne: str | None = None
    in_: list[str] | None = Field(None, alias="in")
    prefix: str | None = None
    matches: str | None = Field(None, description="regular expression, searched")
    gt: float | None = None
    lt: float | None = None
    empty: bool | None = None
    open: str | None = Field(None, description="a calendar's name: true inside its hours")
    all: list[Condition] | None = None
    any: list[Condition] | None = None
    not_: Condition | None = Field(None, alias="not")

    OPERATORS: ClassVar[tuple[str, ...]] = ("eq", "ne", "in_", "prefix", "matches", "gt", "lt", "empty")

    @model_validator(mode="after")
    def _shape(self) -> Condition:
        ops = [o for o in self.OPERATORS if getattr(self, o) is not None]
        forms = [f for f in ("var", "open", "all", "any", "not_") if getattr(self, f) is not None]
        if len(forms) != 1:
            raise ValueError("a condition is one of: var with an operator, open, all, any, not")
        if forms == ["var"] and len(ops) != 1:
            raise ValueError(f"`{self.var}` needs exactly one operator: eq, ne, in, prefix, "
                             "matches, gt, lt, empty")
        if forms != ["var"] and ops:
            raise ValueError("operators go with var")
        if self.matches is not None:
            try:
                re.compile(self.matches)
            except re.error as e:
                raise ValueError(f"matches: bad regular expression: {e}") from None
        return self

    def reads(self) -> set[str]:
        out = {self.var} if self.var else set()
        for c in (self.all or []) + (self.any or []) + ([self.not_] if self.not_ else []):
            out |= c.reads()
        return out

    def calendars(self) -> set[str]:
        out = {self.open} if self.open else set()
        for c in (self.all or []) + (self.any or []) + ([self.not_] if self.not_ else []):
            out |= c.calendars()
        return out


class Node(_Model):
    """What every node has. ``INPUT``: the node waits for the caller (a loop through such a
    node is a menu the caller walks, not a spin)."""

    label: str | None = Field(None, description="caption in the diagram")
    INPUT: ClassVar[bool] = False

    def targets(self) -> list[tuple[str, str]]:
        """(what, node name) for every arrow out of this node."""
        out = [(f, getattr(self, f)) for f in ("next", "fallback", "error")
               if getattr(self, f, None) is not None]
        return [("the error branch" if f == "error" else f, t) for f, t in out]

    def prompts(self) -> list[Prompt]:
        return [p for f in ("prompt", "invalid_prompt", "timeout_prompt", "before", "after")
                if isinstance(p := getattr(self, f, None), Prompt)]

    def reads(self) -> set[str]:
        """Variables this node's strings and conditions use."""
        out: set[str] = set()
        for p in self.prompts():
            out |= p.reads()
        return out

    def writes(self) -> set[str]:
        """Variables this node sets."""
        into = getattr(self, "into", None)
        return {into} if isinstance(into, str) else set()


class Play(Node):
    type: Literal["play"]
    prompt: Prompt
    barge_in: bool = Field(False, description="a DTMF key stops the prompt (and is kept for the next input node)")
    next: NodeName


class Menu(Node):
    type: Literal["menu"]
    prompt: Prompt
    choices: dict[str, NodeName] = Field(description="DTMF key → node")
    into: VarName | None = Field(None, description="variable that keeps the key pressed")
    timeout: Seconds = 5.0
    retries: Retries = 2
    invalid_prompt: Prompt | None = None
    timeout_prompt: Prompt | None = None
    barge_in: bool = True
    fallback: NodeName | None = Field(None, description="after the retries; none: hang up")
    words: dict[str, str] = Field(default_factory=dict, description="speech input: a phrase "
                                  "the caller may say → the choice key it stands for")
    INPUT: ClassVar[bool] = True

    @field_validator("choices")
    @classmethod
    def _keys(cls, choices: dict[str, str]) -> dict[str, str]:
        for key in choices:
            if not DTMF_KEY.is_valid(key):
                raise ValueError(f"choice {key!r}: {DTMF_KEY.problem(key)}")
        if not choices:
            raise ValueError("a menu needs at least one choice")
        return choices

    @model_validator(mode="after")
    def _words(self) -> Menu:
        for phrase, key in self.words.items():
            if not re.search(r"\w", phrase):
                raise ValueError(f"words: phrase {phrase!r} has no word in it")
            if key not in self.choices:
                raise ValueError(f"words: {phrase!r} stands for {key!r}, which is not a choice")
        return self

    def targets(self) -> list[tuple[str, str]]:
        return [(f"digit {k}", t) for k, t in self.choices.items()] + super().targets()

    def said(self, key: str) -> str:
        """What ``key`` stands for in words: the first phrase a caller may say for it (the
        admin's own words), else the prompt's offer of it ("退货请按1"); "" when neither."""
        word = next((p for p, k in self.words.items() if k == key), "")
        return word or (choice_phrase(self.prompt.tts, key) if self.prompt.tts else "")


class Collect(Node):
    type: Literal["collect"]
    prompt: Prompt
    into: VarName
    min_digits: int = Field(1, ge=1, le=32)
    max_digits: int = Field(32, ge=1, le=32)
    terminator: Literal["#", "*"] | None = "#"
    first_timeout: Seconds = 5.0
    inter_digit_timeout: Seconds = 3.0
    pattern: str | None = Field(None, description="regular expression the digits must match whole")
    check: Literal["luhn"] | None = Field(None, description="a check-digit rule (bank cards)")
    retries: Retries = 2
    invalid_prompt: Prompt | None = None
    timeout_prompt: Prompt | None = None
    barge_in: bool = True
    next: NodeName
    fallback: NodeName | None = None
    INPUT: ClassVar[bool] = True

    @model_validator(mode="after")
    def _lengths(self) -> Collect:
        if self.min_digits > self.max_digits:
            raise ValueError("min_digits is more than max_digits")
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error as e:
                raise ValueError(f"pattern: bad regular expression: {e}") from None
        return self


class Say(Node):
    type: Literal["say"]
    kind: Kind
    value: str = Field(description="the value, usually ${variable}")
    voice: Literal["tts", "prompts"] = Field("tts", description="TTS of the text, or the recorded prompt set")
    before: Prompt | None = None
    after: Prompt | None = None
    next: NodeName

    def reads(self) -> set[str]:
        return super().reads() | template_vars(self.value)


class Set(Node):
    type: Literal["set"]
    values: dict[VarName, str]
    next: NodeName

    def reads(self) -> set[str]:
        return set().union(*(template_vars(v) for v in self.values.values()))

    def writes(self) -> set[str]:
        return set(self.values)


class Case(_Model):
    if_: Condition = Field(alias="if")
    goto: NodeName


class Branch(Node):
    type: Literal["branch"]
    cases: list[Case] = Field(min_length=1)
    else_: NodeName = Field(alias="else")

    def targets(self) -> list[tuple[str, str]]:
        return [(f"case {i}", c.goto) for i, c in enumerate(self.cases, 1)] + [("else", self.else_)]

    def reads(self) -> set[str]:
        return set().union(*(c.if_.reads() for c in self.cases))


class SqlSource(_Model):
    url: str = Field("kefu", description="a database source the site configured (`kefu`: kefu's "
                     "own database) or a SQLAlchemy URL")
    query: str = Field(description="SQL with :name parameters, bound from params")
    params: dict[VarName, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _bound(self) -> SqlSource:
        """Every ``:name`` the query binds has a value: found when the flow is written,
        not when a caller reaches the node."""
        binds = sqlalchemy.text(self.query).compile().params  # as the look-up will bind them
        missing = sorted(set(binds) - set(self.params))
        if missing:
            raise ValueError(f"the query binds {', '.join(':' + m for m in missing)}, "
                             "which params does not give")
        return self


class HttpSource(_Model):
    method: Literal["GET", "POST"] = "GET"
    url: str
    params: dict[str, str] = Field(default_factory=dict, description="query (GET) or JSON body (POST)")


class Lookup(Node):
    type: Literal["lookup"]
    sql: SqlSource | None = None
    http: HttpSource | None = None
    timeout: Seconds = 3.0
    into: dict[VarName, str] = Field(default_factory=dict, description="variable → result field (a.b.0 into JSON)")
    next: NodeName
    error: NodeName = Field(description="failure or timeout: the caller hears the flow's error prompt first")

    @model_validator(mode="after")
    def _one(self) -> Lookup:
        if (self.sql is None) == (self.http is None):
            raise ValueError("a lookup has either sql or http, exactly one")
        return self

    def reads(self) -> set[str]:
        texts = [*(self.sql.params.values() if self.sql else []),
                 *((self.http.url, *self.http.params.values()) if self.http else [])]
        return set().union(*(template_vars(t) for t in texts))

    def writes(self) -> set[str]:
        return set(self.into)


class Store(Node):
    type: Literal["store"]
    record: str = Field(max_length=64, description="what is stored (order, address choice …)")
    fields: dict[str, str] = Field(min_length=1)
    next: NodeName

    def reads(self) -> set[str]:
        return set().union(*(template_vars(v) for v in self.fields.values()))


class Voicemail(Node):
    type: Literal["voicemail"]
    mailbox: str = Field(max_length=64, description="an extension, a queue or a flow's mailbox")
    prompt: Prompt | None = None
    max_seconds: int = Field(120, ge=5, le=600)
    next: NodeName | None = Field(None, description="after the message; none: hang up")
    INPUT: ClassVar[bool] = True

    def reads(self) -> set[str]:
        return super().reads() | template_vars(self.mailbox)


class Queue(Node):
    type: Literal["queue"]
    queue: str = Field(max_length=64)
    priority: int = Field(0, ge=-100, le=100)
    min_level: int = Field(0, ge=0, le=100, description="offered only to the queue's members "
                           "at this skill level or above (queue membership is the skill)")
    data: dict[str, str] = Field(default_factory=dict, description="call-attached data: key → ${variable}")
    fallback: NodeName | None = Field(None, description="the queue refuses the call (full, closed)")

    def reads(self) -> set[str]:
        return set().union(*(template_vars(v) for v in self.data.values()))


class Transfer(Node):
    type: Literal["transfer"]
    to: str = Field(max_length=64, description="an extension, a number, or flow:<name>")
    fallback: NodeName | None = Field(None, description="the target cannot be reached")

    def reads(self) -> set[str]:
        return template_vars(self.to)


class Subflow(Node):
    type: Literal["subflow"]
    flow: str = Field(pattern=f"^{NAME}$", max_length=64)
    outputs: list[VarName] = Field(default_factory=list, description="variables the subflow sets for this flow")
    next: NodeName

    def writes(self) -> set[str]:
        return set(self.outputs)


class Survey(Node):
    type: Literal["survey"]
    prompt: Prompt
    scale: int = Field(5, ge=2, le=9, description="scores 1 … scale")
    into: VarName = "survey_score"
    timeout: Seconds = 5.0
    retries: Retries = 1
    invalid_prompt: Prompt | None = None
    next: NodeName
    INPUT: ClassVar[bool] = True


class Return(Node):
    """Ends this flow: back to the calling flow, or to the agent who sent the caller here;
    with neither, the call ends."""

    type: Literal["return"]


class Hangup(Node):
    type: Literal["hangup"]
    prompt: Prompt | None = None


AnyNode = Annotated[Play | Menu | Collect | Say | Set | Branch | Lookup | Store | Voicemail
                    | Queue | Transfer | Subflow | Survey | Return | Hangup,
                    Field(discriminator="type")]


class Flow(_Model):
    """A call flow: its nodes, where it starts, its calendars and declared variables."""

    name: str = Field(pattern=f"^{NAME}$", max_length=64)
    language: Literal["zh", "en"] = "zh"
    start: NodeName
    error_prompt: Prompt = Field(
        default_factory=lambda: Prompt(file=None, tts="系统繁忙，请稍后再试。"),
        description="what a caller hears when a node takes its error branch")
    variables: dict[VarName, str] = Field(default_factory=dict, description="declared variables and their initial values")
    calendars: dict[str, Calendar] = Field(default_factory=dict)
    nodes: dict[NodeName, AnyNode] = Field(min_length=1)


def json_schema() -> dict[str, Any]:
    """The flow format's JSON Schema (the editor validates as the admin types)."""
    return Flow.model_json_schema(by_alias=True)
