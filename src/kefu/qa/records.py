"""What the QA slice hands out: frozen dataclasses, the choice lists its tables, API and
screens share, and the evaluation state machine (one rule in one place)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

KINDS = ("yes_no", "scale_5", "scale_10")
"""How a criterion is answered: yes/no (true/false), 1–5, or 0–10."""

STATES = ("draft", "submitted", "acknowledged", "disputed", "revised", "upheld")
ACTIONS = ("create", "submit", "acknowledge", "dispute", "revise", "uphold")
EXAMPLE_KINDS = ("good", "bad")
EXAMPLE_TAGS = {"good": "good_example", "bad": "bad_example"}
"""The tag an example puts on its recording, so recordings' search finds the lists too."""

# The evaluation's life: (state, action) -> the next state.  Inspectors submit, revise and
# uphold; the evaluated agent acknowledges or disputes.  A revised score can be disputed
# again; an upheld one only acknowledged.
TRANSITIONS: dict[tuple[str, str], str] = {
    ("draft", "submit"): "submitted",
    ("submitted", "acknowledge"): "acknowledged",
    ("submitted", "dispute"): "disputed",
    ("disputed", "revise"): "revised",
    ("disputed", "uphold"): "upheld",
    ("revised", "acknowledge"): "acknowledged",
    ("revised", "dispute"): "disputed",
    ("upheld", "acknowledge"): "acknowledged",
}
AGENT_ACTIONS = ("acknowledge", "dispute")
VISIBLE_TO_AGENT = tuple(s for s in STATES if s != "draft")

MAX_NAME = 64
MAX_TEXT = 2000
MAX_CRITERIA = 100
MAX_SAMPLE = 50


@dataclass(frozen=True)
class Criterion:
    key: str
    label: str
    weight: float
    kind: str
    critical: bool = False
    """A critical item answered "no" (or the scale's lowest) fails the whole call: score 0."""


@dataclass(frozen=True)
class Section:
    title: str
    criteria: tuple[Criterion, ...]


@dataclass(frozen=True)
class Scorecard:
    """One version of a scorecard template."""

    id: int
    name: str
    version: int
    description: str
    sections: tuple[Section, ...]
    author: str
    created_at: float
    used: bool = False           # evaluations refer to it: editing makes a new version

    def criteria(self) -> list[Criterion]:
        return [c for s in self.sections for c in s.criteria]

    def definition(self) -> dict[str, Any]:
        """The template as the JSON the editor and the API exchange."""
        return {"name": self.name, "description": self.description,
                "sections": [{"title": s.title,
                              "criteria": [{"key": c.key, "label": c.label,
                                            "weight": c.weight, "kind": c.kind,
                                            "critical": c.critical} for c in s.criteria]}
                             for s in self.sections]}


@dataclass(frozen=True)
class Result:
    """What the scoring rule made of the answers."""

    score: float            # 0–100; 0 when a critical item failed
    failed: bool            # a critical item failed
    failed_items: tuple[str, ...] = ()


@dataclass(frozen=True)
class Comment:
    id: int
    evaluation_id: int
    at: float               # seconds into the recording
    text: str
    author: str
    created_at: float


@dataclass(frozen=True)
class Step:
    """One move of the state machine (who, what, when, the note or reason, the score)."""

    at: float
    by: str
    action: str
    state: str
    note: str = ""
    score: float | None = None


@dataclass(frozen=True)
class Evaluation:
    id: int
    recording_id: int
    scorecard_id: int
    inspector: str
    agent: str | None
    queue: str | None
    call_started_at: float
    state: str
    answers: dict[str, Any]
    score: float | None
    failed: bool
    created_at: float
    updated_at: float
    comments: tuple[Comment, ...] = ()
    history: tuple[Step, ...] = ()


@dataclass(frozen=True)
class Example:
    recording_id: int
    kind: str
    note: str
    author: str
    created_at: float
    agent: str | None = None
    score: float | None = None


@dataclass(frozen=True)
class Figure:
    """One row of a summary: the key (agent, criterion, queue or week start), how many
    evaluations, their mean score (0–100), how many failed a critical item."""

    key: str
    count: int
    mean: float
    failed: int = 0
    label: str = ""          # a criterion's label


@dataclass(frozen=True)
class Summary:
    by_agent: list[Figure] = field(default_factory=list)
    by_criterion: list[Figure] = field(default_factory=list)
    by_queue: list[Figure] = field(default_factory=list)
    by_week: list[Figure] = field(default_factory=list)
