"""Flows with versions, on SQLite and PostgreSQL: draft, check, publish, rollback, and
what a new call takes."""

from __future__ import annotations

import pytest

from kefu.ivr.service import DRAFT, PUBLISHED, RETIRED, FlowRefused, Ivr
from kefu.store import Conflict, Invalid, NotFound

from ivrkit import HOTLINE, PIN_CHECK, simple


def test_draft_publish_and_what_a_call_takes(ivr: Ivr) -> None:
    flows = ivr.flows
    v1 = flows.save_draft("main", simple(say="一"), "admin")
    assert (v1.number, v1.status, v1.flow, v1.author) == (1, DRAFT, "main", "admin")
    assert flows.save_draft("main", simple(say="一!"), "sue").number == 1  # the one draft
    info = flows.get_flow("main")
    assert (info.draft, info.published) == (1, None)
    with pytest.raises(NotFound):
        flows.published("main")
    p1 = flows.publish("main", "admin")
    assert (p1.number, p1.status) == (1, PUBLISHED) and p1.published_at is not None
    call = flows.published("main")
    assert call.version == 1 and call.flow.nodes["hello"].prompts()[0].tts == "一!"
    flows.save_draft("main", simple(say="二"), "admin")
    assert flows.published("main").version == 1             # a draft changes no call
    flows.publish("main", "admin")
    now = flows.published("main")
    assert now.version == 2 and now.flow.nodes["hello"].prompts()[0].tts == "二"
    assert call.flow.nodes["hello"].prompts()[0].tts == "一!"  # the old call keeps its own
    got = {v.number: v for v in flows.versions("main")}
    assert [v.number for v in flows.versions("main")] == [2, 1]
    assert got[1].status == RETIRED and got[1].retired_at is not None
    assert got[1].source == simple(say="一!")                  # kept as written
    assert flows.get_flow("main").published == 2 and flows.get_flow("main").draft is None


def test_the_text_is_kept_as_written(ivr: Ivr) -> None:
    text = "# 注释 kept\n" + simple() + "\n\n"
    assert ivr.flows.save_draft("main", text, "admin").source == text
    json_text = '{"name": "main", "start": "a", "nodes": {"a": {"type": "hangup"}}}'
    ivr.flows.save_draft("main", json_text, "admin")
    ivr.flows.publish("main", "admin")
    assert ivr.flows.version("main", 1).source == json_text
    assert list(ivr.flows.published("main").flow.nodes) == ["a"]


def test_validate_names_the_node(ivr: Ivr) -> None:
    broken = simple(extra="  menu_main: {type: menu, prompt: x, choices: {'3': billing}}\n")
    ivr.flows.save_draft("main", broken, "admin")              # a draft may be broken
    problems = ivr.flows.validate("main")
    assert "node `menu_main`: digit 3 goes to `billing`, which does not exist" in problems
    assert ivr.flows.validate("main", simple()) == []
    assert ivr.flows.validate("main", simple(name="other")) == [
        "name: the text is flow `other`, but it is saved as `main`"]
    assert ivr.flows.validate("main", "a: [")[0].startswith("not valid YAML or JSON")
    with pytest.raises(FlowRefused) as refused:
        ivr.flows.publish("main", "admin")
    assert refused.value.problems == problems and isinstance(refused.value, Invalid)
    assert "menu_main" in str(refused.value)
    assert ivr.flows.get_flow("main").published is None         # nothing changed
    assert ivr.flows.versions("main")[0].status == DRAFT


def test_subflow_targets_must_be_published(ivr: Ivr) -> None:
    ivr.flows.save_draft("hotline", HOTLINE, "admin")
    assert ivr.flows.validate("hotline") == [
        "node `verify`: subflow `pin_check` does not exist"]
    with pytest.raises(FlowRefused):
        ivr.flows.publish("hotline", "admin")
    ivr.flows.save_draft("pin_check", PIN_CHECK, "admin")      # a draft is not enough
    assert ivr.flows.validate("hotline") != []
    ivr.flows.publish("pin_check", "admin")
    assert ivr.flows.publish("hotline", "admin").number == 1
    snap = ivr.flows.snapshot()
    assert {n: p.version for n, p in snap.items()} == {"hotline": 1, "pin_check": 1}
    assert snap["pin_check"].flow.start == "ask"


def test_rollback_publishes_a_copy(ivr: Ivr) -> None:
    for say in ("一", "二", "三"):
        ivr.flows.save_draft("main", simple(say=say), "admin")
        ivr.flows.publish("main", "admin")
    ivr.flows.save_draft("main", simple(say="四 (draft)"), "admin")       # version 4
    back = ivr.flows.rollback("main", 1, "sue")
    assert (back.number, back.status, back.based_on, back.author) == (5, PUBLISHED, 1, "sue")
    assert back.source == simple(say="一")
    assert ivr.flows.published("main").version == 5
    status = {v.number: v.status for v in ivr.flows.versions("main")}
    assert status == {5: PUBLISHED, 4: DRAFT, 3: RETIRED, 2: RETIRED, 1: RETIRED}
    with pytest.raises(Conflict):
        ivr.flows.rollback("main", 5, "sue")          # already the published one
    with pytest.raises(Conflict):
        ivr.flows.rollback("main", 4, "sue")          # the draft: publish it instead
    with pytest.raises(NotFound):
        ivr.flows.rollback("main", 9, "sue")
    assert ivr.flows.publish("main", "admin").number == 4   # the draft survived
    assert ivr.flows.versions("main")[0].status == RETIRED  # 5 retired by it


def test_rollback_is_checked_again(ivr: Ivr, store) -> None:  # type: ignore[no-untyped-def]
    ivr.flows.save_draft("main", simple(), "admin")
    ivr.flows.publish("main", "admin")
    ivr.flows.save_draft("main", simple(say="二"), "admin")
    ivr.flows.publish("main", "admin")
    with store._engine.begin() as s:   # an old text the check refuses today (e.g. a newer rule)
        s.exec_driver_sql("UPDATE ivr_flow_versions SET source = 'name: main' WHERE number = 1")
    with pytest.raises(FlowRefused):
        ivr.flows.rollback("main", 1, "admin")
    assert ivr.flows.published("main").version == 2
    assert len(ivr.flows.versions("main")) == 2


def test_flows_and_descriptions(ivr: Ivr) -> None:
    made = ivr.flows.create_flow("support", "售后")
    assert (made.name, made.description, made.published, made.draft) == (
        "support", "售后", None, None)
    with pytest.raises(Conflict):
        ivr.flows.create_flow("support")
    ivr.flows.save_draft("main", simple(), "admin")
    assert [f.name for f in ivr.flows.list_flows()] == ["main", "support"]
    assert ivr.flows.describe("main", "主流程").description == "主流程"
    assert ivr.flows.get_flow("main").draft == 1
    with pytest.raises(NotFound):
        ivr.flows.get_flow("nope")
    with pytest.raises(NotFound):
        ivr.flows.versions("nope")
    with pytest.raises(NotFound):
        ivr.flows.version("main", 2)
    with pytest.raises(Conflict):
        ivr.flows.publish("support", "admin")          # no draft


@pytest.mark.parametrize("call", [
    lambda f: f.create_flow("1abc"), lambda f: f.create_flow("a-b"),
    lambda f: f.create_flow("x" * 65), lambda f: f.create_flow("ok", "d" * 501),
    lambda f: f.save_draft("bad name", simple(), "admin"),
    lambda f: f.save_draft("main", "", "admin"), lambda f: f.save_draft("main", "  ", "admin"),
    lambda f: f.save_draft("main", "x" * (256 * 1024 + 1), "admin"),
    lambda f: f.save_draft("main", simple(), ""), lambda f: f.save_draft("main", 7, "admin"),
])
def test_bad_arguments_write_nothing(ivr: Ivr, call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Invalid):
        call(ivr.flows)
    assert ivr.flows.list_flows() == []
