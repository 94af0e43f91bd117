"""Custom field definitions (an admin's) and the check of a customer's values against
them: one rule for create, update and import."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from kefu.store.checks import check_choice, check_text
from kefu.store.errors import Invalid

from .records import FIELD_KINDS, FieldDef

FIELD_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
MAX_LABEL = 128
MAX_CHOICE = 64
MAX_CHOICES = 100
MAX_TEXT_VALUE = 1000
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def check_date(field: str, value: object) -> str:
    """``value`` as YYYY-MM-DD, a real calendar day."""
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise Invalid(f"{field} must be a date YYYY-MM-DD, got {value!r}")
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise Invalid(f"{field} {value!r} is no calendar day") from None
    return value


def check_definition(name: object, label: object, kind: object, choices: object,
                     required: object, position: object) -> list[str]:
    """A field definition's parts; returns the choices (empty unless kind is choice)."""
    if not isinstance(name, str) or not FIELD_NAME.fullmatch(name):
        raise Invalid("a field's name must match [a-z][a-z0-9_]{0,63}")
    check_text("label", label, MAX_LABEL, required=True)
    check_choice("kind", kind, FIELD_KINDS)
    if not isinstance(required, bool):
        raise Invalid("required must be true or false")
    if not isinstance(position, int) or isinstance(position, bool) or not 0 <= position <= 10000:
        raise Invalid("position must be 0-10000")
    if isinstance(choices, str) or not isinstance(choices, Sequence):
        raise Invalid("choices must be a list")
    if kind != "choice":
        if choices:
            raise Invalid("only a choice field has choices")
        return []
    if not choices or len(choices) > MAX_CHOICES:
        raise Invalid(f"a choice field needs 1-{MAX_CHOICES} choices")
    for choice in choices:
        check_text("a choice", choice, MAX_CHOICE, required=True)
    if len(set(choices)) != len(choices):
        raise Invalid("choices must differ")
    return list(choices)


def _value(d: FieldDef, value: object) -> Any:
    """One value in its kind's form (a number given as text is read: an import's cells
    are text)."""
    if d.kind == "text":
        check_text(d.name, value, MAX_TEXT_VALUE)
        return value
    if d.kind == "number":
        if isinstance(value, str):
            try:
                value = float(value.strip())
            except ValueError:
                raise Invalid(f"{d.name} must be a number, got {value!r}") from None
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not math.isfinite(value):
            raise Invalid(f"{d.name} must be a number, got {value!r}")
        return int(value) if float(value).is_integer() and abs(value) < 2 ** 53 else value
    if d.kind == "date":
        return check_date(d.name, value)
    check_choice(d.name, value, tuple(d.choices))
    return value


def check_values(defs: Sequence[FieldDef], values: object, *,
                 creating: bool) -> dict[str, Any]:
    """``values`` (field name → value) checked against ``defs``: an unknown name or a
    value of the wrong kind is :class:`Invalid` naming the field.  None or "" clears a
    value (refused for a required field); on ``creating`` every required field must be
    given."""
    if not isinstance(values, Mapping):
        raise Invalid("fields must be an object of field name → value")
    by_name = {d.name: d for d in defs}
    out: dict[str, Any] = {}
    for name, value in values.items():
        d = by_name.get(name)
        if d is None:
            raise Invalid(f"unknown field {name!r}")
        if value is None or value == "":
            if d.required:
                raise Invalid(f"field {name} is required")
            out[name] = None
        else:
            out[name] = _value(d, value)
    if creating:
        if missing := [d.name for d in defs if d.required and out.get(d.name) is None]:
            raise Invalid(f"field {', '.join(missing)} is required")
    return out
