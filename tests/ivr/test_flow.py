"""The flow format: good flows load and round-trip through YAML and JSON; each kind of
error is refused with a message naming the node."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from kefu.calendar import Calendar
from kefu.ivr.flow import Menu, json_schema
from kefu.ivr.flowcheck import FlowError, dump, load, parse

HOTLINE = Path(__file__).parent / "flows" / "hotline.yaml"


def hotline() -> dict[str, Any]:
    return yaml.safe_load(HOTLINE.read_text(encoding="utf-8"))


def test_the_hotline_flow_loads() -> None:
    flow = load(HOTLINE.read_text(encoding="utf-8"), flows={"pin_check"})
    assert flow.start == "greet" and len(flow.nodes) == 16
    menu = flow.nodes["menu_main"]
    assert isinstance(menu, Menu) and menu.choices == {"1": "menu_billing", "0": "sales_queue"}
    assert menu.timeout == 5.0 and menu.retries == 2  # defaults
    assert flow.nodes["greet"].prompts()[0].tts == "欢迎致电客服热线。"


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_round_trip(fmt: str) -> None:
    flow = load(HOTLINE.read_text(encoding="utf-8"))
    text = dump(flow, fmt)
    assert load(text) == flow
    if fmt == "json":
        assert json.loads(text)["nodes"]["route"]["else"] == "menu_main"
    else:
        assert "欢迎致电" in text  # not escaped: readable in git


def test_a_menu_that_loops_back_is_fine() -> None:
    doc = {"name": "loop", "start": "m", "nodes": {
        "m": {"type": "menu", "prompt": "按1重听", "choices": {"1": "p"}},
        "p": {"type": "play", "prompt": "说明", "next": "m"}}}
    assert load(doc).nodes["p"].targets() == [("next", "m")]


def _with(change: dict[str, Any] | None = None, drop: str | None = None,
          **top: Any) -> dict[str, Any]:
    doc = copy.deepcopy(hotline())
    for name, fields in (change or {}).items():
        if "type" in fields:  # a new node, or one replaced
            doc["nodes"][name] = fields
        else:
            doc["nodes"][name].update(fields)
    if drop:
        del doc["nodes"][drop]
    doc.update(top)
    return doc


BAD = [
    ("digit to nowhere", _with({"menu_main": {"choices": {"1": "menu_billing", "3": "billing"}}}),
     "node `menu_main`: digit 3 goes to `billing`, which does not exist"),
    ("fallback to nowhere", _with({"menu_billing": {"fallback": "nobody"}}),
     "node `menu_billing`: fallback goes to `nobody`, which does not exist"),
    ("error to nowhere", _with({"lookup_balance": {"error": "oops"}}),
     "node `lookup_balance`: the error branch goes to `oops`, which does not exist"),
    ("case to nowhere", _with({"route": {"cases": [{"if": {"var": "tier", "eq": "vip"}, "goto": "x"}]}}),
     "node `route`: case 1 goes to `x`, which does not exist"),
    ("missing start", _with(start="welcome"), "start: node `welcome` does not exist"),
    ("no start at all", {k: v for k, v in hotline().items() if k != "start"},
     "start: Field required"),
    ("unreachable", _with({"orphan": {"type": "hangup"}}),
     "node `orphan` is never reached from start `greet`"),
    ("spin", _with({"lookup_balance": {"error": "sorry"},
                    "sorry": {"type": "play", "prompt": "请稍候", "next": "lookup_balance"}}),
     "`lookup_balance` → `sorry` → `lookup_balance` loops without waiting for the caller"),
    ("unknown variable", _with({"say_balance": {"value": "${balanse}"}}),
     "node `say_balance`: variable `balanse` is never set"),
    ("unknown variable in a condition", _with({"route": {"cases": [
        {"if": {"var": "level", "eq": "1"}, "goto": "vip_queue"}]}}),
     "node `route`: variable `level` is never set"),
    ("unknown calendar", _with({"route": {"cases": [{"if": {"open": "shop"}, "goto": "menu_main"}]}}),
     "node `route`: case 1: calendar `shop` does not exist"),
    ("unknown type", _with({"greet": {"type": "sing", "next": "route"}}),
     "node `greet`: type missing or unknown ('play', 'menu'"),
    ("unknown field", _with({"greet": {"volume": 3}}),
     "node `greet`: volume: Extra inputs are not permitted"),
    ("bad menu key", _with({"menu_main": {"choices": {"12": "menu_billing"}}}),
     "node `menu_main`: choices: choice '12': must be 0-9, * or #"),
    ("negative timeout", _with({"menu_main": {"timeout": -1}}),
     "node `menu_main`: timeout: Input should be greater than 0"),
    ("bad pattern", _with({"get_order": {"pattern": "[0-9"}}),
     "node `get_order`: pattern: bad regular expression"),
    ("min over max", _with({"get_id": {"min_digits": 20}}),
     "node `get_id`: min_digits is more than max_digits"),
    ("prompt both", _with({"greet": {"prompt": {"file": "a.wav", "tts": "x"}}}),
     "node `greet`: prompt: a prompt is either file or tts, exactly one"),
    ("condition without operator", _with({"route": {"cases": [{"if": {"var": "tier"}, "goto": "vip_queue"}]}}),
     "`tier` needs exactly one operator"),
    ("lookup without source", _with({"lookup_balance": {"http": None}}),
     "node `lookup_balance`: a lookup has either sql or http, exactly one"),
    ("bad transfer number", _with({"bye": {"type": "transfer", "to": "12ab"}}),
     "node `bye`: transfer to: must be 2-31 digits"),
    ("transfer to unknown flow", _with({"bye": {"type": "transfer", "to": "flow:sales"}}),
     "node `bye`: transfer to flow `sales`, which does not exist"),
    ("unknown subflow", _with({"verify": {"flow": "pin_chek"}}),
     "node `verify`: subflow `pin_chek` does not exist"),
    ("subflow of itself", _with({"verify": {"flow": "hotline"}}),
     "node `verify`: subflow `hotline` is this flow itself"),
    ("unreadable literal", _with({"say_balance": {"value": "lots"}}),
     "node `say_balance`: value: not a number: 'lots'"),
    ("word for no choice", _with({"menu_main": {"words": {"billing": "7"}}}),
     "node `menu_main`: words: 'billing' stands for '7', which is not a choice"),
    ("bad hours", _with(calendars={"office": {"week": {"mon": ["18:00-09:00"]}}}),
     "calendars.office.week.mon.0: hours must be HH:MM-HH:MM"),
    ("bad weekday", _with(calendars={"office": {"week": {"monday": ["09:00-18:00"]}}}),
     "calendars.office.week: unknown weekday 'monday'"),
]


@pytest.mark.parametrize(("doc", "message"), [(d, m) for _, d, m in BAD],
                         ids=[i for i, *_ in BAD])
def test_errors_name_the_node(doc: dict[str, Any], message: str) -> None:
    with pytest.raises(FlowError) as caught:
        load(doc, flows={"pin_check"})
    assert any(message in p for p in caught.value.problems), caught.value.problems


def test_all_problems_at_once() -> None:
    doc = _with({"menu_main": {"choices": {"3": "billing"}}, "orphan": {"type": "hangup"}})
    with pytest.raises(FlowError) as caught:
        load(doc)
    assert len(caught.value.problems) >= 3  # the digit, the orphan, menu_billing now unreached


def test_not_yaml() -> None:
    with pytest.raises(FlowError, match="not valid YAML or JSON at line 2"):
        parse("name: x\n  nodes: [\n")
    with pytest.raises(FlowError, match="a flow is a mapping"):
        load("- just a list")


def test_json_schema_for_the_editor() -> None:
    schema = json_schema()
    node_types = {s["properties"]["type"]["const"] for s in schema["$defs"].values()
                  if "type" in s.get("properties", {}) and "const" in s["properties"]["type"]}
    assert node_types == {"play", "menu", "collect", "say", "set", "branch", "lookup", "store",
                          "voicemail", "queue", "transfer", "subflow", "survey", "return", "hangup"}
    jsonschema.validate(hotline(), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(_with({"greet": {"type": "sing", "next": "route"}}), schema)


@pytest.mark.parametrize(("at", "is_open"), [
    (dt.datetime(2024, 10, 8, 9, 0), True),     # Tuesday, opening minute
    (dt.datetime(2024, 10, 8, 17, 59), True),
    (dt.datetime(2024, 10, 8, 18, 0), False),   # closing minute is closed
    (dt.datetime(2024, 10, 8, 8, 59), False),
    (dt.datetime(2024, 10, 6, 10, 0), False),   # Sunday
    (dt.datetime(2024, 10, 1, 10, 0), False),   # holiday on a Tuesday
    (dt.datetime(2024, 10, 12, 10, 0), True),   # Saturday made a working morning
    (dt.datetime(2024, 10, 12, 13, 0), False),
])
def test_business_hours(at: dt.datetime, is_open: bool) -> None:
    office = Calendar.model_validate(hotline()["calendars"]["office"])
    assert office.is_open(at) is is_open
