"""A report's filters as people read them (``Filters.describe``: the JSON's ``filters``, the
Excel file's filter sheet): the range in the form ``from``/``to`` take, so that a day's
report reads as that day and described bounds given back select the same range.

Found by the live scenario (tests/e2e/test_reports_live.py): a scheduled report of
yesterday said "结束 <today>T00:00" (the exclusive end) on its filter sheet."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from kefu.reports.filters import parse

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = 1796000000.0                                   # any time: the bounds are given


@pytest.mark.parametrize("asked,said", [
    (("2026-12-01", "2026-12-01"), ("2026-12-01", "2026-12-01")),        # one day
    (("2026-11-30", "2026-12-06"), ("2026-11-30", "2026-12-06")),        # a week
    (("2026-12-01T08:30", "2026-12-01T17:00"), ("2026-12-01T08:30+08:00",
                                                "2026-12-01T17:00+08:00")),
    (("2026-12-01T08:30", "2026-12-02"), ("2026-12-01T08:30+08:00", "2026-12-02")),
    (("2026-12-01", "2026-12-02T00:00"), ("2026-12-01", "2026-12-01")),  # the same end
])
def test_the_range_is_said_as_asked_and_selects_the_same(asked: tuple[str, str],
                                                         said: tuple[str, str]) -> None:
    f = parse({"from": asked[0], "to": asked[1]}, SHANGHAI, NOW)
    d = f.describe(SHANGHAI)
    assert (d["from"], d["to"]) == said
    again = parse({"from": d["from"], "to": d["to"]}, SHANGHAI, NOW)
    assert (again.start, again.end) == (f.start, f.end)


def test_a_day_in_the_servers_zone() -> None:
    f = parse({"from": "2026-12-01", "to": "2026-12-01"}, None, NOW)
    assert (f.end - f.start, f.describe(None)["to"]) == (86400, "2026-12-01")


def test_fixed_offset_of_a_zone_over_a_range() -> None:
    """The offset the database may cut hours with: constant over the range, or None (a
    change of clocks inside); the server's zone (None) too."""
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    from kefu.reports.catalog import fixed_offset
    jan = datetime(2026, 1, 5, tzinfo=timezone.utc).timestamp()
    apr = datetime(2026, 4, 5, tzinfo=timezone.utc).timestamp()
    assert fixed_offset(ZoneInfo("Asia/Shanghai"), jan, apr) == 8 * 3600
    assert fixed_offset(ZoneInfo("Asia/Kolkata"), jan, jan + 86400) == 19800
    assert fixed_offset(ZoneInfo("Europe/Berlin"), jan, jan + 86400) == 3600
    assert fixed_offset(ZoneInfo("Europe/Berlin"), jan, apr) is None     # summer time began
    local = datetime.fromtimestamp(jan).astimezone().utcoffset()
    assert local is not None
    assert fixed_offset(None, jan, jan + 86400) == int(local.total_seconds())
