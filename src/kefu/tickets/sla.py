"""SLA clocks (first response, resolution) in business time: pure arithmetic over the
calendar functions of :mod:`kefu.calendar`, the one calendar model the IVR's and the
queues' hours use.  A clock is a due time; a waiting state pauses it (on resuming, the
business time that was left is counted again from then).
"""

from __future__ import annotations

import datetime as dt

from kefu.calendar import Calendar, add_business_time, business_seconds

from .records import Clock


def due(calendar: Calendar | None, start: float, minutes: int | None,
        tz: dt.tzinfo) -> float | None:
    """The due time of a clock of ``minutes`` started at ``start`` (None: no such SLA)."""
    if minutes is None:
        return None
    return add_business_time(calendar, start, minutes * 60, tz)


def resumed(calendar: Calendar | None, due_at: float, paused_at: float, now: float,
            tz: dt.tzinfo) -> float:
    """A paused clock's new due time: what was left of it at the pause, from ``now``.
    A clock already past due when paused stays where it was."""
    if due_at <= paused_at:
        return due_at
    left = business_seconds(calendar, paused_at, due_at, tz)
    return add_business_time(calendar, now, left, tz)


def state(calendar: Calendar | None, due_at: float | None, met_at: float | None,
          paused_at: float | None, warn_before: int, now: float, tz: dt.tzinfo) -> Clock:
    """The clock as seen at ``now``: none, met, breached, paused, warning or running."""
    if due_at is None:
        return Clock(None, "none")
    if met_at is not None:
        return Clock(due_at, "met" if met_at <= due_at else "breached")
    if paused_at is not None:
        return Clock(due_at, "breached" if due_at <= paused_at else "paused")
    if now >= due_at:
        return Clock(due_at, "breached")
    if business_seconds(calendar, now, due_at, tz) <= warn_before * 60:
        return Clock(due_at, "warning")
    return Clock(due_at, "running")
