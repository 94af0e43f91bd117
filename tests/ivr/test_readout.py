"""Read-out tables (智能报读), Mandarin and English: every kind and its edge cases, the
prompt names each read-out yields, and the prompt set that covers them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kefu.ivr.readout import Kind, ReadoutError, Score, prompt_set, prompt_text, read

# (kind, value, Mandarin, English)
TABLE = [
    # integers: 0, teens, hundreds, 零 rules, 万/亿, 两 vs 二
    ("number", 0, "零", "zero"),
    ("number", 1, "一", "one"),
    ("number", 2, "二", "two"),
    ("number", 10, "十", "ten"),
    ("number", 11, "十一", "eleven"),
    ("number", 12, "十二", "twelve"),
    ("number", 19, "十九", "nineteen"),
    ("number", 20, "二十", "twenty"),
    ("number", 21, "二十一", "twenty-one"),
    ("number", 99, "九十九", "ninety-nine"),
    ("number", 100, "一百", "one hundred"),
    ("number", 101, "一百零一", "one hundred one"),
    ("number", 110, "一百一十", "one hundred ten"),
    ("number", 111, "一百一十一", "one hundred eleven"),
    ("number", 200, "两百", "two hundred"),
    ("number", 222, "两百二十二", "two hundred twenty-two"),
    ("number", 1000, "一千", "one thousand"),
    ("number", 1001, "一千零一", "one thousand one"),
    ("number", 1010, "一千零一十", "one thousand ten"),
    ("number", 1200, "一千二百", "one thousand two hundred"),
    ("number", 2000, "两千", "two thousand"),
    ("number", 2222, "两千二百二十二", "two thousand two hundred twenty-two"),
    ("number", 10000, "一万", "ten thousand"),
    ("number", 10010, "一万零一十", "ten thousand ten"),
    ("number", 10200, "一万零二百", "ten thousand two hundred"),
    ("number", 12000, "一万两千", "twelve thousand"),
    ("number", 20000, "两万", "twenty thousand"),
    ("number", 22222, "两万两千二百二十二", "twenty-two thousand two hundred twenty-two"),
    ("number", 100000, "十万", "one hundred thousand"),
    ("number", 110000, "十一万", "one hundred ten thousand"),
    ("number", 2000000, "两百万", "two million"),
    ("number", 10000100, "一千万零一百", "ten million one hundred"),
    ("number", 100000000, "一亿", "one hundred million"),
    ("number", 100000001, "一亿零一", "one hundred million one"),
    ("number", 100010000, "一亿零一万", "one hundred million ten thousand"),
    ("number", 110000000, "一亿一千万", "one hundred ten million"),
    ("number", 200000000, "两亿", "two hundred million"),
    ("number", 1000000000000, "一万亿", "one trillion"),
    ("number", 999999999999999, "九百九十九万九千九百九十九亿九千九百九十九万九千九百九十九",
     "nine hundred ninety-nine trillion nine hundred ninety-nine billion nine hundred "
     "ninety-nine million nine hundred ninety-nine thousand nine hundred ninety-nine"),
    ("number", -5, "负五", "minus five"),
    ("number", -10010, "负一万零一十", "minus ten thousand ten"),
    ("number", "3.14", "三点一四", "three point one four"),
    ("number", "0.5", "零点五", "zero point five"),
    ("number", "-0.05", "负零点零五", "minus zero point zero five"),
    ("number", "2.50", "二点五", "two point five"),
    ("number", "10.0", "十", "ten"),
    ("number", Decimal("100.01"), "一百点零一", "one hundred point zero one"),
    # digit strings: 幺, *, #, +
    ("digits", "13800138000", "幺三八零零幺三八零零零",
     "one three eight zero zero one three eight zero zero zero"),
    ("digits", "+8610 1234", "加八六幺零幺二三四", "plus eight six one zero one two three four"),
    ("digits", "*97#", "星九七井", "star nine seven pound"),
    ("digits", "0", "零", "zero"),
    # money
    ("money", "12.30", "十二元三角", "twelve dollars and thirty cents"),
    ("money", "12", "十二元整", "twelve dollars"),
    ("money", "12.05", "十二元零五分", "twelve dollars and five cents"),
    ("money", "12.35", "十二元三角五分", "twelve dollars and thirty-five cents"),
    ("money", "0.05", "五分", "five cents"),
    ("money", "0.5", "五角", "fifty cents"),
    ("money", "0.01", "一分", "one cent"),
    ("money", "1.01", "一元零一分", "one dollar and one cent"),
    ("money", "0", "零元", "zero dollars"),
    ("money", "2", "两元整", "two dollars"),
    ("money", "2.22", "两元两角两分", "two dollars and twenty-two cents"),
    ("money", "22", "二十二元整", "twenty-two dollars"),
    ("money", "100.10", "一百元一角", "one hundred dollars and ten cents"),
    ("money", "10010", "一万零一十元整", "ten thousand ten dollars"),
    ("money", "-3.5", "负三元五角", "minus three dollars and fifty cents"),
    ("money", "12.345", "十二元三角五分", "twelve dollars and thirty-five cents"),  # half up
    # dates
    ("date", "2024-03-05", "二零二四年三月五日", "March fifth twenty twenty-four"),
    ("date", "2024-02-02", "二零二四年二月二日", "February second twenty twenty-four"),
    ("date", "1999-12-31", "一九九九年十二月三十一日", "December thirty-first nineteen ninety-nine"),
    ("date", "1905-10-21", "一九零五年十月二十一日", "October twenty-first nineteen oh five"),
    ("date", "1900-01-01", "一九零零年一月一日", "January first nineteen hundred"),
    ("date", "2005-11-11", "二零零五年十一月十一日", "November eleventh two thousand five"),
    ("date", "2000-07-20", "二零零零年七月二十日", "July twentieth two thousand"),
    ("date", dt.date(2010, 5, 12), "二零一零年五月十二日", "May twelfth twenty ten"),
    # times (to the minute)
    ("time", "00:00", "零点整", "twelve a.m."),
    ("time", "02:00", "两点整", "two a.m."),
    ("time", "09:02", "九点零二分", "nine oh two a.m."),
    ("time", "10:10", "十点十分", "ten ten a.m."),
    ("time", "12:00", "十二点整", "twelve p.m."),
    ("time", "14:05", "十四点零五分", "two oh five p.m."),
    ("time", "23:59", "二十三点五十九分", "eleven fifty-nine p.m."),
    ("time", dt.time(20, 30), "二十点三十分", "eight thirty p.m."),
    # weekdays: ISO 1-7 or a date
    ("weekday", "1", "星期一", "Monday"),
    ("weekday", "6", "星期六", "Saturday"),
    ("weekday", "7", "星期日", "Sunday"),
    ("weekday", "2024-03-05", "星期二", "Tuesday"),
    # temperatures
    ("temperature", "-5", "零下五度", "minus five degrees"),
    ("temperature", "0", "零度", "zero degrees"),
    ("temperature", "1", "一度", "one degree"),
    ("temperature", "2", "两度", "two degrees"),
    ("temperature", "-12.5", "零下十二点五度", "minus twelve point five degrees"),
    ("temperature", "37.2", "三十七点二度", "thirty-seven point two degrees"),
    # percentages
    ("percent", "25", "百分之二十五", "twenty-five percent"),
    ("percent", "100", "百分之一百", "one hundred percent"),
    ("percent", "0.5", "百分之零点五", "zero point five percent"),
    ("percent", "2", "百分之二", "two percent"),
    ("percent", "-3", "负百分之三", "minus three percent"),
    # fractions
    ("fraction", "1/2", "二分之一", "one half"),
    ("fraction", "3/2", "二分之三", "three halves"),
    ("fraction", "1/3", "三分之一", "one third"),
    ("fraction", "2/3", "三分之二", "two thirds"),
    ("fraction", "1/4", "四分之一", "one quarter"),
    ("fraction", "3/4", "四分之三", "three quarters"),
    ("fraction", "5/8", "八分之五", "five eighths"),
    ("fraction", "1/10", "十分之一", "one tenth"),
    ("fraction", "3/21", "二十一分之三", "three twenty-firsts"),
    ("fraction", "1/100", "一百分之一", "one one hundredth"),
    ("fraction", "4/1", "一分之四", "four over one"),
    # scores
    ("score", "3:1", "三比一", "three to one"),
    ("score", "2-0", "二比零", "two to zero"),
    ("score", "10:12", "十比十二", "ten to twelve"),
    ("score", Score(0, 0), "零比零", "zero to zero"),
]


@pytest.mark.parametrize(("kind", "value", "zh", "en"), TABLE,
                         ids=[f"{k}-{v}" for k, v, *_ in TABLE])
def test_spelled_out(kind: str, value: object, zh: str, en: str) -> None:
    assert read("zh", kind, value).text == zh
    assert read("en", kind, value).text == en


def test_every_kind_is_in_the_table() -> None:
    assert {Kind(k) for k, *_ in TABLE} == set(Kind)


@pytest.mark.parametrize(("lang", "kind", "value", "prompts"), [
    ("zh", "number", 320, ["3", "bai", "2", "shi"]),
    ("zh", "number", 10010, ["1", "wan", "0", "1", "shi"]),
    ("zh", "money", "2.05", ["liang", "yuan", "0", "5", "fen"]),
    ("zh", "digits", "110", ["yao", "yao", "0"]),
    ("zh", "time", "02:00", ["liang", "dian", "zheng"]),
    ("zh", "number", 100000000, ["1", "yi4"]),
    ("en", "number", 21, ["20", "1"]),
    ("en", "date", "2024-03-21", ["march", "20", "ord_1", "20", "20", "4"]),
    ("en", "fraction", "2/3", ["2", "ord_3s"]),
    ("en", "time", "14:05", ["2", "oh", "5", "pm"]),
])
def test_prompt_names(lang: str, kind: str, value: object, prompts: list[str]) -> None:
    assert list(read(lang, kind, value).prompts) == prompts


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_prompt_set_covers_every_read_out(lang: str) -> None:
    """Concatenated prompts can voice anything: each name used is in the set, and the
    text is the prompts' texts (so recordings and TTS say the same)."""
    names = set(prompt_set(lang))
    used = set()
    values = [*(n for n in range(0, 3000, 7)), *(10 ** k + 10 for k in range(2, 15))]
    for kind, value, *_ in TABLE:
        used |= set(read(lang, kind, value).prompts)
    for n in values:
        for kind in ("number", "money", "temperature", "percent"):
            used |= set(read(lang, kind, n).prompts)
        used |= set(read(lang, "fraction", f"{n % 40 + 1}/{n % 97 + 1}").prompts)
    for day in range(366):
        d = dt.date(2024, 1, 1) + dt.timedelta(days=day)
        used |= set(read(lang, "date", d).prompts) | set(read(lang, "weekday", d).prompts)
    for minute in range(0, 24 * 60, 13):
        used |= set(read(lang, "time", dt.time(minute // 60, minute % 60)).prompts)
    assert used <= names, used - names
    assert all(prompt_text(lang, n) for n in names)


def test_prompt_sets_are_the_expected_size() -> None:
    zh = prompt_set("zh")
    assert {"0", "9", "liang", "yao", "shi", "bai", "qian", "wan", "yi4", "yuan", "jiao",
            "fen", "zheng", "lingxia", "baifenzhi", "fenzhi", "bi", "xingqi"} <= set(zh)
    en = prompt_set("en")
    assert {"0", "19", "90", "hundred", "trillion", "ord_1", "ord_20s", "half", "quarters",
            "january", "sunday", "dollars", "cent", "am", "pm", "minus"} <= set(en)
    assert prompt_text("zh", "yi4") == "亿" and prompt_text("en", "ord_20s") == "twentieths"


@pytest.mark.parametrize(("lang", "kind", "value", "error"), [
    ("zh", "number", "abc", "not a number"),
    ("zh", "number", "1e20", "too large"),
    ("en", "number", "NaN", "finite"),
    ("zh", "digits", "12a", "not a digit string"),
    ("zh", "digits", "1+2", "not a digit string"),
    ("en", "date", "2024-13-01", "not a date"),
    ("en", "time", "25:00", "not a time"),
    ("zh", "weekday", "8", "not a date"),
    ("zh", "fraction", "1/0", "not a readable fraction"),
    ("zh", "fraction", "half", "not a fraction"),
    ("en", "score", "3 to 1", "not a score"),
    ("fr", "number", 1, "no read-out for language 'fr'"),
    ("zh", "colour", 1, "unknown read-out kind"),
])
def test_unreadable_values_say_why(lang: str, kind: str, value: object, error: str) -> None:
    with pytest.raises(ReadoutError, match=error):
        read(lang, kind, value)
