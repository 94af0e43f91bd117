"""Business hours with holidays: the calendar a flow's ``branch`` and a queue's ``hours``
ask "are we open?" (below config and the slices, as :mod:`kefu.values` is).

Pure: the caller passes the local date and time (the engine's clock, a fake one in tests).
A day's hours come from its weekday, unless the day is a holiday (closed) or listed in
``special`` (its own hours: a shortened day, or a working weekend such as 调休).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)")


def _check_range(value: str) -> str:
    m = _RANGE.fullmatch(value)
    if not m or (m[3], m[4]) <= (m[1], m[2]) or (m[3] == "24" and m[4] != "00"):
        raise ValueError(f"hours must be HH:MM-HH:MM with the end after the start, got {value!r}")
    return value


Hours = Annotated[str, AfterValidator(_check_range),
                  Field(description="opening hours HH:MM-HH:MM (end up to 24:00)",
                        examples=["09:00-18:00"])]


def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


class Calendar(BaseModel):
    """Opening hours per weekday, holidays (closed all day) and special days."""

    model_config = ConfigDict(extra="forbid")
    week: dict[str, list[Hours]] = Field(
        default_factory=dict, description="weekday (mon … sun) → opening hours; a day not named is closed")
    holidays: list[dt.date] = Field(default_factory=list, description="closed all day")
    special: dict[dt.date, list[Hours]] = Field(
        default_factory=dict, description="a date with its own hours (a working weekend: 调休)")

    @field_validator("week")
    @classmethod
    def _weekdays(cls, week: dict[str, list[str]]) -> dict[str, list[str]]:
        unknown = sorted(set(week) - set(WEEKDAYS))
        if unknown:
            raise ValueError(f"unknown weekday {unknown[0]!r} (mon … sun)")
        return week

    def hours(self, day: dt.date) -> list[str]:
        if day in self.special:
            return self.special[day]
        if day in self.holidays:
            return []
        return self.week.get(WEEKDAYS[day.weekday()], [])

    def is_open(self, at: dt.datetime) -> bool:
        now = at.hour * 60 + at.minute
        return any(_minutes(r[:5]) <= now < _minutes(r[6:]) for r in self.hours(at.date()))
