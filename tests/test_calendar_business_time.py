"""Business time on a calendar (the tickets' SLAs): deadlines across nights, weekends and
holidays, open time between two moments, a day of a DST change."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from kefu.calendar import Calendar, add_business_time, business_seconds

SH = ZoneInfo("Asia/Shanghai")
OFFICE = Calendar(week={d: ["09:00-12:00", "13:00-18:00"]
                        for d in ("mon", "tue", "wed", "thu", "fri")},
                  holidays=[dt.date(2026, 12, 7)], special={dt.date(2026, 12, 12): ["09:00-12:00"]})
H = 3600


def t(*args: int, tz=SH) -> float:  # type: ignore[no-untyped-def]
    return dt.datetime(*args, tzinfo=tz).timestamp()


@pytest.mark.parametrize("start,hours,due", [
    (t(2026, 12, 2, 10), 1, t(2026, 12, 2, 11)),          # within a morning
    (t(2026, 12, 2, 11), 2, t(2026, 12, 2, 14)),          # over lunch
    (t(2026, 12, 2, 20), 1, t(2026, 12, 3, 10)),          # from the evening
    (t(2026, 12, 4, 17), 4, t(2026, 12, 8, 12)),          # Friday 17:00, Monday a holiday
    (t(2026, 12, 11, 17), 2, t(2026, 12, 12, 10)),        # a working Saturday (调休)
    (t(2026, 12, 2, 10), 0, t(2026, 12, 2, 10)),
])
def test_add_business_time(start: float, hours: float, due: float) -> None:
    assert add_business_time(OFFICE, start, hours * H, SH) == due


def test_around_the_clock_without_a_calendar() -> None:
    assert add_business_time(None, t(2026, 12, 5, 23), 2 * H, SH) == t(2026, 12, 6, 1)
    assert business_seconds(None, t(2026, 12, 5, 23), t(2026, 12, 6, 1), SH) == 2 * H


def test_business_seconds() -> None:
    assert business_seconds(OFFICE, t(2026, 12, 4, 17), t(2026, 12, 8, 12), SH) == 4 * H
    assert business_seconds(OFFICE, t(2026, 12, 5, 9), t(2026, 12, 6, 18), SH) == 0
    assert business_seconds(OFFICE, t(2026, 12, 8, 12), t(2026, 12, 4, 17), SH) == 0


def test_never_open_is_an_error() -> None:
    with pytest.raises(ValueError):
        add_business_time(Calendar(), t(2026, 12, 2, 10), H, SH)


def test_a_dst_day_counts_real_hours() -> None:
    """On the spring-forward night 02:00-03:00 does not exist: a 24×7 day has 23 hours."""
    ny = ZoneInfo("America/New_York")
    start, end = t(2026, 3, 8, 0, tz=ny), t(2026, 3, 9, 0, tz=ny)
    assert business_seconds(None, start, end, ny) == 23 * H
    assert add_business_time(None, start, 23 * H, ny) == end
