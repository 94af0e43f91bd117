"""The scorecard's rules, pure: a template definition checked (each problem names its
criterion), answers checked against it, and the one scoring rule.

The rule: each answer becomes a fraction (yes 1, no 0; 1–5 as (v-1)/4; 0–10 as v/10), the
score is 100 × the weighted mean of the fractions, rounded to one decimal; a critical
item answered "no" (or the scale's lowest) fails the call: score 0, ``failed``.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from kefu.store.errors import Invalid

from .records import KINDS, MAX_CRITERIA, MAX_NAME, MAX_TEXT, Criterion, Result, Section

KEY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
SCALES = {"scale_5": (1, 5), "scale_10": (0, 10)}


def from_text(text: str) -> Any:
    """A template written as YAML or JSON text (JSON is YAML) as data; a syntax error
    says where (``at line N``)."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise Invalid(f"the text is not YAML or JSON{where}: "
                      f"{getattr(e, 'problem', None) or e}") from None


def check_definition(data: Any) -> tuple[str, str, tuple[Section, ...]]:
    """``(name, description, sections)`` of a template definition, or Invalid naming the
    first problem's place (``criterion `greeting`: …``)."""
    if not isinstance(data, dict):
        raise Invalid("a scorecard is an object with name, description and sections")
    unknown = set(data) - {"name", "description", "sections"}
    if unknown:
        raise Invalid(f"unknown key {sorted(unknown)[0]!r}")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        raise Invalid(f"name: 1 to {MAX_NAME} characters")
    description = data.get("description", "")
    if not isinstance(description, str) or len(description) > MAX_TEXT:
        raise Invalid(f"description: text of at most {MAX_TEXT} characters")
    raw_sections = data.get("sections")
    if not isinstance(raw_sections, list) or not raw_sections:
        raise Invalid("sections: at least one section")
    sections: list[Section] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_sections, 1):
        if not isinstance(raw, dict) or set(raw) - {"title", "criteria"}:
            raise Invalid(f"section {i}: an object with title and criteria")
        title = raw.get("title")
        if not isinstance(title, str) or not title.strip() or len(title) > MAX_NAME:
            raise Invalid(f"section {i}: title of 1 to {MAX_NAME} characters")
        items = raw.get("criteria")
        if not isinstance(items, list) or not items:
            raise Invalid(f"section `{title}`: at least one criterion")
        criteria = []
        for j, item in enumerate(items, 1):
            c = _criterion(item, f"section `{title}` criterion {j}")
            if c.key in seen:
                raise Invalid(f"criterion `{c.key}`: the key is used twice")
            seen.add(c.key)
            criteria.append(c)
        sections.append(Section(title.strip(), tuple(criteria)))
    if len(seen) > MAX_CRITERIA:
        raise Invalid(f"sections: at most {MAX_CRITERIA} criteria")
    if not any(c.weight > 0 for s in sections for c in s.criteria):
        raise Invalid("sections: at least one criterion needs a weight above 0")
    return name.strip(), description, tuple(sections)


def _criterion(item: Any, where: str) -> Criterion:
    if not isinstance(item, dict):
        raise Invalid(f"{where}: an object with key, label, weight, kind")
    key = item.get("key")
    if not isinstance(key, str) or not KEY.match(key):
        raise Invalid(f"{where}: key must be lower-case letters, digits and _ "
                      f"(starting with a letter, at most 32)")
    at = f"criterion `{key}`"
    unknown = set(item) - {"key", "label", "weight", "kind", "critical"}
    if unknown:
        raise Invalid(f"{at}: unknown key {sorted(unknown)[0]!r}")
    label = item.get("label", key)
    if not isinstance(label, str) or not label.strip() or len(label) > MAX_TEXT:
        raise Invalid(f"{at}: label of 1 to {MAX_TEXT} characters")
    weight = item.get("weight", 1)
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) \
            or not 0 <= weight <= 100:
        raise Invalid(f"{at}: weight must be a number from 0 to 100")
    kind = item.get("kind", "yes_no")
    if kind not in KINDS:
        raise Invalid(f"{at}: kind must be one of {', '.join(KINDS)}")
    critical = item.get("critical", False)
    if not isinstance(critical, bool):
        raise Invalid(f"{at}: critical must be true or false")
    return Criterion(key, label.strip(), float(weight), kind, critical)


def check_answer(c: Criterion, value: Any) -> None:
    """Invalid naming the criterion when ``value`` is no answer of its kind."""
    if c.kind == "yes_no":
        if not isinstance(value, bool):
            raise Invalid(f"criterion `{c.key}`: answer true (yes) or false (no)")
        return
    low, high = SCALES[c.kind]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Invalid(f"criterion `{c.key}`: answer a whole number from {low} to {high}")


def check_answers(criteria: list[Criterion], answers: dict[str, Any],
                  complete: bool) -> None:
    """Every answer names a criterion and fits it; ``complete``: every criterion answered."""
    by_key = {c.key: c for c in criteria}
    for key, value in answers.items():
        if key not in by_key:
            raise Invalid(f"criterion `{key}`: not on this scorecard")
        check_answer(by_key[key], value)
    if complete:
        for c in criteria:
            if c.key not in answers:
                raise Invalid(f"criterion `{c.key}`: not answered")


def fraction(c: Criterion, value: Any) -> float:
    """An answer as a fraction of the criterion's best."""
    if c.kind == "yes_no":
        return 1.0 if value else 0.0
    low, high = SCALES[c.kind]
    return (int(value) - low) / (high - low)


def score(criteria: list[Criterion], answers: dict[str, Any]) -> Result:
    """The one scoring rule (the module's docstring); answers already checked complete."""
    failed = tuple(c.key for c in criteria if c.critical and fraction(c, answers[c.key]) == 0)
    if failed:
        return Result(0.0, True, failed)
    total = sum(c.weight for c in criteria)
    points = sum(c.weight * fraction(c, answers[c.key]) for c in criteria)
    return Result(round(100 * points / total, 1), False)
