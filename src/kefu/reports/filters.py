"""What a report is asked for, checked once: the API's query parameters and a scheduled
report's saved filters both become a :class:`Filters` here, or an :class:`Invalid` with
the reason (a 422)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kefu.store import Invalid

Grain = Literal["15m", "hour", "day", "weekday"]
GRAINS: tuple[str, ...] = ("15m", "hour", "day", "weekday")
MAX_DAYS = 400
_NAME = re.compile(r"^[\w.@+-]{1,64}$")
_HOURS = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


def zone(name: str) -> tzinfo | None:
    """The reports' time zone (``[reports] timezone``); None: the server's local zone."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(f"unknown time zone {name!r}") from None


@dataclass(frozen=True)
class Filters:
    """``start``/``end``: epoch seconds, end exclusive; ``hours``: business hours as
    minutes of the day [from, to); ``weekdays``: ISO (1 Monday … 7 Sunday)."""

    start: float
    end: float
    queues: tuple[str, ...] = ()
    agents: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    extensions: tuple[str, ...] = ()
    hours: tuple[int, int] | None = None
    weekdays: tuple[int, ...] = ()
    interval: Grain = "hour"

    @property
    def by_time(self) -> bool:
        """Whether rows must be filtered by their local time of day or weekday."""
        return self.hours is not None or bool(self.weekdays)

    def describe(self, tz: tzinfo | None) -> dict[str, Any]:
        """The filters as a person reads them (the Excel filter sheet, ``Report.filters``)."""
        out: dict[str, Any] = {k: v for k, v in asdict(self).items() if v not in ((), None)}
        out["from"] = _said(self.start, tz, end=False)
        out["to"] = _said(self.end, tz, end=True)
        del out["start"], out["end"]
        if self.hours is not None:
            a, b = self.hours
            out["business_hours"] = f"{a // 60:02d}:{a % 60:02d}-{b // 60:02d}:{b % 60:02d}"
            del out["hours"]
        return out


def _said(ts: float, tz: tzinfo | None, end: bool) -> str:
    """A bound as ``from``/``to`` take it (:func:`_moment`'s inverse): a local midnight is a
    date (``to``: the last day, through it; one day's report reads "from 1 Dec to 1 Dec",
    not "to 2 Dec 00:00"), else a date and time."""
    at = datetime.fromtimestamp(ts, tz)
    if at.time() != time():
        return at.isoformat(timespec="minutes")
    return (at.date() - timedelta(days=1) if end else at.date()).isoformat()


def _names(value: str | None, what: str) -> tuple[str, ...]:
    items = tuple(dict.fromkeys(v.strip() for v in (value or "").split(",") if v.strip()))
    bad = [v for v in items if not _NAME.match(v)]
    if bad:
        raise Invalid(f"{what}: not a name: {bad[0][:64]!r}")
    if len(items) > 200:
        raise Invalid(f"{what}: at most 200")
    return items


def _moment(value: str, tz: tzinfo | None, end: bool) -> float:
    """A date (the whole day: ``end`` means its end) or a date and time, in ``tz``."""
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            at = datetime.combine(day + timedelta(days=1) if end else day, time())
        else:
            at = datetime.fromisoformat(value)
    except ValueError:
        raise Invalid(f"not a date or date and time: {value[:40]!r}") from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=tz) if tz is not None else at
    return at.timestamp()


def parse(params: dict[str, str | None], tz: tzinfo | None, now: float) -> Filters:
    """Filters from query parameters (``from``, ``to``: dates or ISO date-times in the
    reports' zone; ``to`` a date means through that day; default: today)."""
    today = datetime.fromtimestamp(now, tz).date().isoformat()
    start = _moment(params.get("from") or today, tz, end=False)
    end = _moment(params.get("to") or today, tz, end=True)
    if end <= start:
        raise Invalid("'to' must come after 'from'")
    if end - start > MAX_DAYS * 86400:
        raise Invalid(f"at most {MAX_DAYS} days at once")
    hours = None
    if bh := (params.get("business_hours") or "").strip():
        m = _HOURS.match(bh)
        if not m:
            raise Invalid("business_hours: HH:MM-HH:MM")
        a = int(m[1]) * 60 + int(m[2])
        b = int(m[3]) * 60 + int(m[4])
        if not (0 <= a < b <= 24 * 60) or int(m[2]) > 59 or int(m[4]) > 59:
            raise Invalid("business_hours: from before to, within the day")
        hours = (a, b)
    weekdays: tuple[int, ...] = ()
    if wd := (params.get("weekdays") or "").strip():
        try:
            weekdays = tuple(sorted({int(x) for x in wd.split(",") if x.strip()}))
        except ValueError:
            raise Invalid("weekdays: numbers 1 (Monday) to 7 (Sunday)") from None
        if not weekdays or not all(1 <= d <= 7 for d in weekdays):
            raise Invalid("weekdays: numbers 1 (Monday) to 7 (Sunday)")
    grain = params.get("interval") or "hour"
    if grain not in GRAINS:
        raise Invalid(f"interval: one of {', '.join(GRAINS)}")
    return Filters(start=start, end=end, queues=_names(params.get("queues"), "queues"),
                   agents=_names(params.get("agents"), "agents"),
                   groups=_names(params.get("groups"), "groups"),
                   extensions=_names(params.get("extensions"), "extensions"),
                   hours=hours, weekdays=weekdays, interval=grain)  # type: ignore[arg-type]


def keeps(f: Filters, ts: float, tz: tzinfo | None) -> bool:
    """Whether an interval starting at ``ts`` passes the time-of-day and weekday filters."""
    if not f.by_time:
        return True
    at = datetime.fromtimestamp(ts, tz)
    if f.weekdays and at.isoweekday() not in f.weekdays:
        return False
    minute = at.hour * 60 + at.minute
    return f.hours is None or f.hours[0] <= minute < f.hours[1]


def bucket(grain: str, ts: float, tz: tzinfo | None) -> str:
    """The label of the ``grain`` bucket holding ``ts``, sortable as text."""
    at = datetime.fromtimestamp(ts, tz)
    if grain == "15m":
        return at.strftime("%Y-%m-%d %H:%M")
    if grain == "hour":
        return at.strftime("%Y-%m-%d %H:00")
    if grain == "day":
        return at.strftime("%Y-%m-%d")
    return str(at.isoweekday())
