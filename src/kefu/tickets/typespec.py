"""A ticket type as an admin writes it: checked whole (workflow, SLA, custom fields) before
it is stored.  The API's request bodies are these models, so the rules live here once."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kefu.calendar import Calendar
from kefu.store.errors import Invalid

from . import workflow
from .records import MAX_LABEL, MAX_NAME, MAX_TEXT, MAX_TYPE_FIELDS, Sla, TypeField

MAX_MINUTES = 365 * 24 * 60


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SlaSpec(_Strict):
    first_response: int | None = Field(default=None, ge=1, le=MAX_MINUTES)
    resolution: int | None = Field(default=None, ge=1, le=MAX_MINUTES)
    calendar: str = Field(default="", max_length=MAX_NAME,
                          description='a [calendars.<name>] of the config; "": 24×7')
    warn_before: int = Field(default=30, ge=0, le=MAX_MINUTES)
    escalate_to_group: str = Field(default="", max_length=MAX_NAME)
    notify_supervisors: bool = False


class FieldSpec(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    label_zh: str = Field(min_length=1, max_length=MAX_LABEL)
    label_en: str = Field(min_length=1, max_length=MAX_LABEL)
    kind: Literal["text", "number", "date", "choice"]
    choices: list[str] = Field(default=[], max_length=100)
    required: bool = False


class TypeSpec(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    label_zh: str = Field(min_length=1, max_length=MAX_LABEL)
    label_en: str = Field(min_length=1, max_length=MAX_LABEL)
    workflow: dict[str, Any]
    sla: SlaSpec = SlaSpec()
    fields: list[FieldSpec] = Field(default=[], max_length=MAX_TYPE_FIELDS)
    active: bool = True


def check(spec: object, calendars: dict[str, Calendar]) -> TypeSpec:
    """``spec`` checked whole, its workflow normalised; :class:`Invalid` naming problems."""
    try:
        t = spec if isinstance(spec, TypeSpec) else TypeSpec.model_validate(spec)
    except ValidationError as e:
        raise Invalid("; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
                                for err in e.errors())) from None
    names = [f.name for f in t.fields]
    if len(set(names)) != len(names):
        raise Invalid("fields: a field name is used twice")
    for f in t.fields:
        if f.kind == "choice" and not f.choices:
            raise Invalid(f"field {f.name!r}: a choice field needs choices")
    if t.sla.calendar and t.sla.calendar not in calendars:
        raise Invalid(f"sla.calendar: no calendar {t.sla.calendar!r} in the config "
                      f"(known: {', '.join(sorted(calendars)) or 'none'})")
    if t.sla.calendar and not any(calendars[t.sla.calendar].week.values()):
        raise Invalid(f"sla.calendar: {t.sla.calendar!r} is open on no weekday")
    wf = workflow.check(t.workflow, tuple(names))
    return t.model_copy(update={"workflow": wf.dump()})


def sla_of(data: dict[str, Any]) -> Sla:
    return Sla(**data)


def fields_of(data: list[dict[str, Any]]) -> tuple[TypeField, ...]:
    return tuple(TypeField(name=f["name"], label_zh=f["label_zh"], label_en=f["label_en"],
                           kind=f["kind"], choices=tuple(f.get("choices", ())),
                           required=bool(f.get("required"))) for f in data)


def check_values(fields: tuple[TypeField, ...], values: object, *,
                 complete: bool) -> dict[str, Any]:
    """A ticket's custom field values by the type's definitions (``complete``: every
    required one present, as on creation)."""
    if not isinstance(values, dict):
        raise Invalid("fields must be an object")
    known = {f.name: f for f in fields}
    for name, value in values.items():
        f = known.get(name)
        if f is None:
            raise Invalid(f"fields: {name!r} is not a field of this type")
        if value is None or value == "":
            continue
        if f.kind == "text" and not (isinstance(value, str) and len(value) <= MAX_TEXT):
            raise Invalid(f"fields: {name} must be text of at most {MAX_TEXT} characters")
        if f.kind == "number" and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise Invalid(f"fields: {name} must be a number")
        if f.kind == "date":
            try:
                dt.date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 \
                    else dt.date.fromisoformat("x")
            except ValueError:
                raise Invalid(f"fields: {name} must be a date YYYY-MM-DD") from None
        if f.kind == "choice" and value not in f.choices:
            raise Invalid(f"fields: {name} must be one of {', '.join(f.choices)}")
    if complete:
        blank = [f.name for f in fields if f.required and values.get(f.name) in (None, "")]
        if blank:
            raise Invalid(f"fields: {', '.join(blank)} required")
    return dict(values)
