"""Mandarin read-out (智能报读): values spelled as prompt names, then as text.

Choices (the tests hold them):
- 零: one 零 for a run of zeros inside a number or across an empty 万/亿 section
  (一万零一十, 一亿零一万); none at the end (一千).
- 十: a number starting with 10-19 says 十 (十一, 十万), inside it 一十 (一百一十).
- 两: for 2 before 千 (两千, 一万两千), before 百 at the head of the number (两百, 两百万),
  for a whole 万/亿 section of 2 (两万, 两亿), and for a lone 2 counting something
  (两元, 两角, 两点, 两度); 二 everywhere else (二十二, 一千二百, 二月二日, 二分之一, 二比零).
- Digit strings say 幺 for 1 (phone and order numbers); years say 一 (一九九九年).
- Money: 元角分, 整 after whole 元 (十二元整), 零 for a missing 角 (十二元零五分).
- Times on the 24-hour clock to the minute: 十四点零五分, 两点整. Weekdays: 星期一 … 星期日.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from .values import Fraction, Score, split_decimal

PROMPTS: dict[str, str] = {
    **{str(d): t for d, t in enumerate("零一二三四五六七八九")},
    "liang": "两", "yao": "幺", "shi": "十", "bai": "百", "qian": "千", "wan": "万",
    "yi4": "亿",  # 亿 (一 is the prompt "1")
    "fu": "负", "dian": "点", "yuan": "元", "jiao": "角", "fen": "分", "zheng": "整",
    "nian": "年", "yue": "月", "ri": "日", "xingqi": "星期", "lingxia": "零下", "du": "度",
    "baifenzhi": "百分之", "fenzhi": "分之", "bi": "比", "xing": "星", "jing": "井",
    "jia": "加",
}
"""Prompt name → what it says; a full Mandarin prompt set has a recording of each."""

_PLACES = ((1000, "qian"), (100, "bai"), (10, "shi"), (1, ""))


def _section(n: int, *, head: bool, lead: bool) -> list[str]:
    """1 ≤ n ≤ 9999. ``head``: the number's highest section (两百); ``lead``: nothing was
    said before it (十 rather than 一十)."""
    out: list[str] = []
    gap = False
    for place, name in _PLACES:
        d = n // place % 10
        if d == 0:
            gap = gap or bool(out)
            continue
        if gap:
            out.append("0")
            gap = False
        if name == "shi" and d == 1 and lead and not out:
            out.append("shi")
            continue
        two = d == 2 and (name == "qian" or (name == "bai" and head and not out))
        out.append("liang" if two else str(d))
        if name:
            out.append(name)
    return out


def _integer(n: int, *, head: bool = True, lead: bool = True) -> list[str]:
    if n == 0:
        return ["0"]
    for unit, name in ((10 ** 8, "yi4"), (10 ** 4, "wan")):
        if n >= unit:
            high, low = divmod(n, unit)
            out = ["liang"] if high == 2 else _integer(high, head=head, lead=lead)
            out.append(name)
            if low:
                if low < unit // 10:
                    out.append("0")
                out += _integer(low, head=False, lead=False)
            return out
    return _section(n, head=head, lead=lead)


def integer(n: int, *, measure: bool = False) -> list[str]:
    """``measure``: the number counts something (a measure word follows), so a lone 2 is 两."""
    return ["liang"] if measure and n == 2 else _integer(n)


def number(d: Decimal, *, measure: bool = False) -> list[str]:
    negative, whole, frac = split_decimal(d)
    out = ["fu"] if negative else []
    out += integer(whole, measure=measure and not frac)
    if frac:
        out += ["dian", *frac]
    return out


def digits(s: str) -> list[str]:
    names = {"1": "yao", "*": "xing", "#": "jing", "+": "jia"}
    return [names.get(c, c) for c in s]


def money(d: Decimal) -> list[str]:
    negative, yuan, frac = split_decimal(d)
    jiao, fen = divmod(int(frac.ljust(2, "0")), 10)
    out = ["fu"] if negative else []
    if yuan or not (jiao or fen):
        out += integer(yuan, measure=True) + ["yuan"]
    if jiao:
        out += integer(jiao, measure=True) + ["jiao"]
    if fen:
        if yuan and not jiao:
            out.append("0")
        out += integer(fen, measure=True) + ["fen"]
    if yuan and not (jiao or fen):
        out.append("zheng")
    return out


def date(d: dt.date) -> list[str]:
    return [*str(d.year), "nian", *integer(d.month), "yue", *integer(d.day), "ri"]


def time(t: dt.time) -> list[str]:
    out = integer(t.hour, measure=True) + ["dian"]
    if t.minute == 0:
        return out + ["zheng"]
    return out + (["0"] if t.minute < 10 else []) + integer(t.minute) + ["fen"]


def weekday(w: int) -> list[str]:
    return ["xingqi", "ri" if w == 6 else str(w + 1)]


def temperature(d: Decimal) -> list[str]:
    return (["lingxia"] if d < 0 else []) + number(abs(d), measure=True) + ["du"]


def percent(d: Decimal) -> list[str]:
    return (["fu"] if d < 0 else []) + ["baifenzhi"] + number(abs(d))


def fraction(f: Fraction) -> list[str]:
    return integer(f.denominator) + ["fenzhi"] + integer(f.numerator)


def score(s: Score) -> list[str]:
    return integer(s.home) + ["bi"] + integer(s.away)


def render(prompts: list[str]) -> str:
    """Mandarin is written without spaces: the prompts' texts run together."""
    return "".join(PROMPTS[p] for p in prompts)
