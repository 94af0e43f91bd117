"""A call's variables as a flow uses them: ``${name}`` in strings, branch conditions,
look-up result fields, check digits. All values are strings (what DTMF, look-ups and
YAML give); conditions compare numbers only where asked (``gt``, ``lt``)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from kefu.calendar import Calendar
from .flow import TEMPLATE_VAR, Condition


def interpolate(text: str, variables: Mapping[str, str]) -> str:
    """``${name}`` replaced by its value (an unset variable is the empty string)."""
    return TEMPLATE_VAR.sub(lambda m: variables.get(m[1], ""), text)


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def holds(c: Condition, variables: Mapping[str, str], calendars: Mapping[str, Calendar],
          now: dt.datetime) -> bool:
    """Whether the condition is true now; a calendar test reads ``now`` (local time)."""
    if c.all is not None:
        return all(holds(x, variables, calendars, now) for x in c.all)
    if c.any is not None:
        return any(holds(x, variables, calendars, now) for x in c.any)
    if c.not_ is not None:
        return not holds(c.not_, variables, calendars, now)
    if c.open is not None:
        return calendars[c.open].is_open(now)
    value = variables.get(c.var or "", "")
    if c.eq is not None:
        return value == c.eq
    if c.ne is not None:
        return value != c.ne
    if c.in_ is not None:
        return value in c.in_
    if c.prefix is not None:
        return value.startswith(c.prefix)
    if c.matches is not None:
        return re.search(c.matches, value) is not None
    if c.empty is not None:
        return (value == "") is c.empty
    n = _number(value)
    if n is None:
        return False
    return n > c.gt if c.gt is not None else n < (c.lt if c.lt is not None else n)


def field(result: Any, path: str) -> str:
    """``a.b.0`` out of a look-up result (a row's columns, or JSON); KeyError names a
    missing step."""
    here = result
    for step in path.split("."):
        if isinstance(here, Mapping) and step in here:
            here = here[step]
        elif isinstance(here, list) and step.isdigit() and int(step) < len(here):
            here = here[int(step)]
        else:
            raise KeyError(f"the result has no `{path}`")
    return "" if here is None else str(here)


def luhn(digits: str) -> bool:
    """The Luhn check digit (bank cards) is right."""
    if not digits.isdigit() or len(digits) < 2:
        return False
    total = 0
    for i, d in enumerate(int(c) for c in reversed(digits)):
        total += d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2)
    return total % 10 == 0
