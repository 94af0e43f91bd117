"""Collected records (the ``store`` node), on SQLite and PostgreSQL: saved, listed with
filters and paging, exported as CSV."""

from __future__ import annotations

import csv
import io
import time

import pytest

from kefu.ivr.collected import safe_cell
from kefu.ivr.service import Ivr
from kefu.store import Invalid


def _add(ivr: Ivr, caller: str = "13800138000", flow: str = "hotline", **fields: str):  # type: ignore[no-untyped-def]
    return ivr.collected.add("call-1", caller, flow, 3, "save_order", "order",
                             fields or {"order": "12345"})


def test_add_and_list(ivr: Ivr) -> None:
    first = _add(ivr, order="A1", rating="5")
    assert (first.call_id, first.caller, first.flow, first.version, first.node, first.record,
            first.fields) == ("call-1", "13800138000", "hotline", 3, "save_order", "order",
                              {"order": "A1", "rating": "5"})
    _add(ivr, caller="13900139000", order="B2")
    _add(ivr, flow="survey", order="C3")
    page = ivr.collected.list()
    assert page.total == 3 and [r.fields["order"] for r in page.items] == ["C3", "B2", "A1"]
    assert [r.fields["order"] for r in ivr.collected.list(flow="hotline").items] == ["B2", "A1"]
    assert ivr.collected.list(caller="13900139000").items[0].fields == {"order": "B2"}
    assert ivr.collected.list(flow="nothing").total == 0


def test_paging_and_time_range(ivr: Ivr) -> None:
    made = [_add(ivr, order=str(i)) for i in range(7)]
    page = ivr.collected.list(limit=3, offset=3)
    assert page.total == 7 and [r.fields["order"] for r in page.items] == ["3", "2", "1"]
    assert ivr.collected.list(limit=3, offset=6).items == [made[0]]
    middle = made[3].created_at
    later = ivr.collected.list(since=middle)
    assert {r.id for r in later.items} >= {made[3].id, made[6].id} and made[0] not in later.items
    assert all(r.created_at < middle for r in ivr.collected.list(until=middle).items)
    assert ivr.collected.list(since=time.time() + 60).total == 0


@pytest.mark.parametrize("call", [
    lambda c: c.add("", "1", "f", 1, "n", "r", {"a": "1"}),
    lambda c: c.add("x", "1", "bad-flow", 1, "n", "r", {"a": "1"}),
    lambda c: c.add("x", "1", "f", 0, "n", "r", {"a": "1"}),
    lambda c: c.add("x", "1", "f", 1, "n n", "r", {"a": "1"}),
    lambda c: c.add("x", "1", "f", 1, "n", "r", {}),
    lambda c: c.add("x", "1", "f", 1, "n", "r", {"a": 1}),
    lambda c: c.add("x", "1", "f", 1, "n", "r", {"a": "v" * 1001}),
    lambda c: c.add("x", "1", "f", 1, "n", "r", {f"k{i}": "v" for i in range(51)}),
    lambda c: c.add("x", "1", "f", 1, "n", "r", {"caller": "spoof"}),
    lambda c: c.list(limit=0), lambda c: c.list(limit=501), lambda c: c.list(offset=-1),
    lambda c: c.list(since=10.0, until=5.0), lambda c: c.export_csv(flow="a b"),
])
def test_bad_arguments(ivr: Ivr, call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Invalid):
        call(ivr.collected)
    assert ivr.collected.list().total == 0


def test_csv_export(ivr: Ivr) -> None:
    _add(ivr, order="A1", rating="5")
    _add(ivr, caller="+8613900139000", address="北京市", note="=HYPERLINK(\"x\")")
    _add(ivr, flow="other", order="Z")
    text = ivr.collected.export_csv(flow="hotline")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["id", "time", "call_id", "caller", "flow", "version", "node", "record",
                       "address", "note", "order", "rating"]
    assert len(rows) == 3                                  # oldest first, "other" left out
    assert rows[1][3:] == ["13800138000", "hotline", "3", "save_order", "order", "", "", "A1", "5"]
    assert rows[1][1].endswith("+00:00")
    assert rows[2][3] == "+8613900139000"                  # a number stays a number
    assert rows[2][8:10] == ["北京市", "'=HYPERLINK(\"x\")"]  # a formula does not run
    assert ivr.collected.export_csv(caller="nobody").splitlines() == [",".join(rows[0][:8])]


@pytest.mark.parametrize("value,shown", [
    ("12345", "12345"), ("+8613800138000", "+8613800138000"), ("-3.5", "-3.5"),
    ("=1+2", "'=1+2"), ("@SUM(A1)", "'@SUM(A1)"), ("+A1", "'+A1"), ("-cmd", "'-cmd"),
    ("", ""), ("北京", "北京"),
])
def test_safe_cell(value: str, shown: str) -> None:
    assert safe_cell(value) == shown
