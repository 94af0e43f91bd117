"""English read-out: values spelled as prompt names, then as text.

American usage throughout (the voice is en-us): no "and" inside numbers (one hundred
one, two thousand five), "minus" for negatives, dates as "March fifth, twenty
twenty-four", times on the 12-hour clock to the minute ("two oh five p.m.", "two p.m."),
"pound" for #, "zero" for 0 in digit strings, fractions with half/quarter and plural
ordinals (three quarters, two thirds, five eighths), scores "three to one".
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from .values import Fraction, Score, split_decimal

_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
         "fourteen fifteen sixteen seventeen eighteen nineteen").split()
_TENS = dict(zip(range(20, 100, 10),
                 "twenty thirty forty fifty sixty seventy eighty ninety".split()))
_SCALES = ((10 ** 12, "trillion"), (10 ** 9, "billion"), (10 ** 6, "million"),
           (10 ** 3, "thousand"))
_ORD_ONES = ("first second third fourth fifth sixth seventh eighth ninth tenth eleventh "
             "twelfth thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth "
             "nineteenth").split()
_MONTHS = ("january february march april may june july august september october november "
           "december").split()
_DAYS = "monday tuesday wednesday thursday friday saturday sunday".split()

_CARDINALS: dict[str, str] = {
    **{str(n): w for n, w in enumerate(_ONES)}, **{str(n): w for n, w in _TENS.items()},
    "hundred": "hundred", **{w: w for _, w in _SCALES},
}
_ORDINALS: dict[str, str] = {
    **{f"ord_{n}": w for n, w in enumerate(_ORD_ONES, 1)},
    **{f"ord_{n}": w[:-1] + "ieth" for n, w in _TENS.items()},
    **{f"ord_{w}": w + "th" for w in ("hundred", *(w for _, w in _SCALES))},
}
PROMPTS: dict[str, str] = {
    **_CARDINALS, **_ORDINALS, **{f"{k}s": f"{v}s" for k, v in _ORDINALS.items()},
    **{m: m.capitalize() for m in _MONTHS}, **{d: d.capitalize() for d in _DAYS},
    **{w: w for w in ("minus", "point", "oh", "and", "dollar", "dollars", "cent", "cents",
                      "degree", "degrees", "percent", "to", "over", "half", "halves",
                      "quarter", "quarters", "star", "pound", "plus")},
    "am": "a.m.", "pm": "p.m.",
}
"""Prompt name → what it says; a full English prompt set has a recording of each."""


def _below_1000(n: int) -> list[str]:
    hundreds, rest = divmod(n, 100)
    out = [str(hundreds), "hundred"] if hundreds else []
    if rest >= 20:
        tens, ones = divmod(rest, 10)
        out.append(str(tens * 10))
        if ones:
            out.append(str(ones))
    elif rest:
        out.append(str(rest))
    return out


def integer(n: int) -> list[str]:
    if n == 0:
        return ["0"]
    out: list[str] = []
    for scale, name in _SCALES:
        if n >= scale:
            high, n = divmod(n, scale)
            out += _below_1000(high) + [name]
    return out + (_below_1000(n) if n else [])


def ordinal(n: int, *, plural: bool = False) -> list[str]:
    """The cardinal with its last word made ordinal: 21 → twenty-first, 100 → one hundredth."""
    out = integer(n)
    out[-1] = f"ord_{out[-1]}" + ("s" if plural else "")
    return out


def number(d: Decimal) -> list[str]:
    negative, whole, frac = split_decimal(d)
    out = ["minus"] if negative else []
    out += integer(whole)
    if frac:
        out += ["point", *frac]
    return out


def digits(s: str) -> list[str]:
    names = {"*": "star", "#": "pound", "+": "plus"}
    return [names.get(c, c) for c in s]


def money(d: Decimal) -> list[str]:
    negative, dollars, frac = split_decimal(d)
    cents = int(frac.ljust(2, "0"))
    out = ["minus"] if negative else []
    if dollars or not cents:
        out += integer(dollars) + ["dollar" if dollars == 1 else "dollars"]
    if cents:
        out += (["and"] if dollars else []) + integer(cents) + ["cent" if cents == 1 else "cents"]
    return out


def year(y: int) -> list[str]:
    """1999 nineteen ninety-nine, 1905 nineteen oh five, 1900 nineteen hundred, 2005 two
    thousand five, 2024 twenty twenty-four."""
    high, low = divmod(y, 100)
    if not 1000 <= y <= 9999 or (high % 10 == 0 and low < 10):
        return integer(y)
    if low == 0:
        return integer(high) + ["hundred"]
    return integer(high) + (["oh"] if low < 10 else []) + integer(low)


def date(d: dt.date) -> list[str]:
    return [_MONTHS[d.month - 1], *ordinal(d.day), *year(d.year)]


def time(t: dt.time) -> list[str]:
    out = integer(t.hour % 12 or 12)
    if t.minute:
        out += (["oh"] if t.minute < 10 else []) + integer(t.minute)
    return out + ["am" if t.hour < 12 else "pm"]


def weekday(w: int) -> list[str]:
    return [_DAYS[w]]


def temperature(d: Decimal) -> list[str]:
    return number(d) + ["degree" if abs(d) == 1 else "degrees"]


def percent(d: Decimal) -> list[str]:
    return number(d) + ["percent"]


def fraction(f: Fraction) -> list[str]:
    one = f.numerator == 1
    special = {2: "half" if one else "halves", 4: "quarter" if one else "quarters"}
    if f.denominator in special:
        den = [special[f.denominator]]
    elif f.denominator == 1:
        den = ["over", "1"]
    else:
        den = ordinal(f.denominator, plural=not one)
    return integer(f.numerator) + den


def score(s: Score) -> list[str]:
    return integer(s.home) + ["to"] + integer(s.away)


_TEN_NAMES = frozenset(str(n) for n in _TENS)
_UNIT_NAMES = frozenset(p for n in range(1, 10) for p in (str(n), f"ord_{n}", f"ord_{n}s"))


def render(prompts: list[str]) -> str:
    """Words are spaced, but a tens word and the unit after it are hyphenated (twenty-one,
    twenty-first)."""
    words: list[str] = []
    for i, p in enumerate(prompts):
        if i and p in _UNIT_NAMES and prompts[i - 1] in _TEN_NAMES:
            words[-1] += "-" + PROMPTS[p]
        else:
            words.append(PROMPTS[p])
    return " ".join(words)
