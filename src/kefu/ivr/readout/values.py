"""The read-out's value kinds and how a flow's text (a variable's value) becomes one.

A flow names a kind and passes a string (``say: {kind: money, value: "${balance}"}``), so
parsing lives here, once, for both languages; the spellers take the typed values.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum

LIMIT = 10 ** 15
"""Numbers are read up to (not including) a thousand trillion / 一千万亿 in both languages."""

DIGIT_CHARS = frozenset("0123456789*#+")
"""What a digit string may hold: DTMF keys and a leading ``+`` (phone numbers)."""


class Kind(StrEnum):
    """What a value is, which decides how it is read out."""

    NUMBER = "number"  # integer or decimal: 一百零一 / one hundred one, 三点一四
    DIGITS = "digits"  # digit by digit: phone numbers, order numbers (幺 in Mandarin)
    MONEY = "money"  # 元角分 / dollars and cents
    DATE = "date"  # 二零二四年三月五日 / March fifth, twenty twenty-four
    TIME = "time"  # 十四点零五分 / two oh five p.m. (to the minute)
    WEEKDAY = "weekday"  # 星期一 / Monday
    TEMPERATURE = "temperature"  # 零下五度 / minus five degrees
    PERCENT = "percent"  # 百分之二十五 / twenty-five percent
    FRACTION = "fraction"  # 四分之三 / three quarters
    SCORE = "score"  # 三比一 / three to one


class ReadoutError(ValueError):
    """A value that cannot be read as its kind; the message says why."""


@dataclass(frozen=True)
class Fraction:
    numerator: int
    denominator: int


@dataclass(frozen=True)
class Score:
    home: int
    away: int


Value = Decimal | str | dt.date | dt.time | int | Fraction | Score


def number(value: object) -> Decimal:
    """An integer or decimal within :data:`LIMIT` (strings as written: ``"-3.50"``)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ReadoutError(f"not a number: {value!r}")
    try:
        d = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise ReadoutError(f"not a number: {value!r}") from None
    if not d.is_finite():
        raise ReadoutError(f"not a finite number: {value!r}")
    if abs(d) >= LIMIT:
        raise ReadoutError(f"too large to read out: {value!r} (limit {LIMIT:,})")
    return d


def integer(value: object) -> int:
    d = number(value)
    if d != d.to_integral_value():
        raise ReadoutError(f"not a whole number: {value!r}")
    return int(d)


def digits(value: object) -> str:
    s = str(value).strip().replace(" ", "").replace("-", "")
    if not s or not set(s) <= DIGIT_CHARS or "+" in s[1:]:
        raise ReadoutError(f"not a digit string: {value!r} (0-9, * and #, a leading +)")
    return s


def money(value: object) -> Decimal:
    """Rounded to cents, half up (``"12.345"`` is 12.35)."""
    return number(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ReadoutError(f"not a date: {value!r} (YYYY-MM-DD)") from None


def time(value: object) -> dt.time:
    if isinstance(value, dt.datetime):
        return value.time()
    if isinstance(value, dt.time):
        return value
    try:
        return dt.time.fromisoformat(str(value).strip())
    except ValueError:
        raise ReadoutError(f"not a time: {value!r} (HH:MM)") from None


def weekday(value: object) -> int:
    """0 = Monday … 6 = Sunday, from a date or ISO weekday ``1``-``7``."""
    if isinstance(value, dt.date):
        return value.weekday()
    s = str(value).strip()
    if s.isdigit() and 1 <= int(s) <= 7:
        return int(s) - 1
    return date(s).weekday()


def fraction(value: object) -> Fraction:
    if isinstance(value, Fraction):
        f = value
    else:
        m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(value))
        if not m:
            raise ReadoutError(f"not a fraction: {value!r} (n/d)")
        f = Fraction(int(m[1]), int(m[2]))
    if f.denominator < 1 or f.numerator >= LIMIT or f.denominator >= LIMIT:
        raise ReadoutError(f"not a readable fraction: {value!r}")
    return f


def score(value: object) -> Score:
    if isinstance(value, Score):
        return value
    m = re.fullmatch(r"\s*(\d+)\s*[:\-]\s*(\d+)\s*", str(value))
    if not m:
        raise ReadoutError(f"not a score: {value!r} (a:b)")
    return Score(integer(m[1]), integer(m[2]))


PARSERS = {
    Kind.NUMBER: number, Kind.DIGITS: digits, Kind.MONEY: money, Kind.DATE: date,
    Kind.TIME: time, Kind.WEEKDAY: weekday, Kind.TEMPERATURE: number, Kind.PERCENT: number,
    Kind.FRACTION: fraction, Kind.SCORE: score,
}
"""Each kind's parser: the one place a flow's string becomes a typed value."""


def split_decimal(d: Decimal) -> tuple[bool, int, str]:
    """(negative, whole part, the fraction's digits as written, trailing zeros dropped)."""
    whole, _, frac = format(abs(d), "f").partition(".")
    return d < 0, int(whole), frac.rstrip("0")
