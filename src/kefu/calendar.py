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


# --- business time: the tickets' SLA clocks run only while the calendar is open ----------
MAX_DAYS = 3660
"""How far business time is looked for: a calendar open on no day in ten years is an
error, not an endless loop."""


def open_spans(calendar: Calendar | None, day: dt.date,
               tz: dt.tzinfo) -> list[tuple[float, float]]:
    """The day's opening hours as epoch-second spans (``None``: open around the clock).
    Times are the wall clock of ``tz``, so a day's spans follow its UTC offset."""
    if calendar is None:
        ranges = ["00:00-24:00"]
    else:
        ranges = calendar.hours(day)
    midnight = dt.datetime.combine(day, dt.time(), tzinfo=tz)
    spans = []
    for r in sorted(ranges):
        start, end = _minutes(r[:5]), _minutes(r[6:])
        a = (midnight + dt.timedelta(minutes=start)).timestamp()
        b = (midnight + dt.timedelta(minutes=end)).timestamp()
        spans.append((a, b))
    return spans


def _spans_from(calendar: Calendar | None, start: float, tz: dt.tzinfo):  # type: ignore[no-untyped-def]
    """The open spans from ``start`` on, the first one clipped to begin at ``start``."""
    day = dt.datetime.fromtimestamp(start, tz).date()
    for n in range(MAX_DAYS):
        for a, b in open_spans(calendar, day + dt.timedelta(days=n), tz):
            if b > start:
                yield max(a, start), b
    raise ValueError("the calendar is never open")


def add_business_time(calendar: Calendar | None, start: float, seconds: float,
                      tz: dt.tzinfo) -> float:
    """The epoch time ``seconds`` of open time after ``start`` (a deadline: 4 working
    hours from Friday 17:00 on 09:00-18:00 is Monday 12:00, or Tuesday's after a holiday)."""
    if seconds <= 0:
        return start
    left = seconds
    for a, b in _spans_from(calendar, start, tz):
        if b - a >= left:
            return a + left
        left -= b - a
    raise AssertionError("unreachable")


def business_seconds(calendar: Calendar | None, start: float, end: float,
                     tz: dt.tzinfo) -> float:
    """Open time between two epoch times (0 when ``end`` is not after ``start``)."""
    total = 0.0
    day = dt.datetime.fromtimestamp(start, tz).date()
    last = dt.datetime.fromtimestamp(end, tz).date()
    while end > start and day <= last:
        for a, b in open_spans(calendar, day, tz):
            total += max(0.0, min(b, end) - max(a, start))
        day += dt.timedelta(days=1)
    return total
