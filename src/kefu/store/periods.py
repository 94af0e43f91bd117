"""Grouping rows by the local day in SQL, the same on both backends: statistics by day,
week or month are made of days (a week or a month is a set of day numbers)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, cast, func
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import ColumnElement

DAY = 86400.0
_EPOCH = dt.date(1970, 1, 1).toordinal()


def local_day(ts: ColumnElement[float] | InstrumentedAttribute[float], utc_offset: float,
              dialect: str) -> ColumnElement[int]:
    """The day number (days since 1970-01-01) of epoch seconds ``ts`` in the zone
    ``utc_offset`` seconds east of UTC.  ``floor`` for the non-negative values here:
    SQLite's CAST truncates, PostgreSQL's rounds, so it has FLOOR first."""
    days = (ts + utc_offset) / DAY
    return cast(func.floor(days) if dialect == "postgresql" else days, Integer)


def day_date(number: int) -> dt.date:
    """The date of a day number from :func:`local_day`."""
    return dt.date.fromordinal(_EPOCH + int(number))
