"""kefu.events: the declarations, the check the bus applies, who sees what, the schema file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kefu import bus
from kefu.bus import Event, LocalBus
from kefu.cli import main
from kefu.events import REGISTRY, EventMismatch, check, schema_text, visible

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "kefu"


def test_committed_schema_is_what_the_code_generates(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["events-schema"]) == 0
    generated = capsys.readouterr().out
    assert generated == schema_text()
    assert (ROOT / "docs" / "events.schema.json").read_text(encoding="utf-8") == generated, \
        "docs/events.schema.json is stale: kefu events-schema > docs/events.schema.json"


def test_every_type_a_publisher_names_is_declared() -> None:
    """Statically, beside the suite's dynamic check: a type published on a path no test
    takes is caught too."""
    literal = re.compile(r'"([a-z]+\.[a-z_]+)"')
    named = {m for path in SRC.rglob("*.py")
             for line in path.read_text(encoding="utf-8").splitlines()
             if re.search(r"publish\(|notify\(|\bEvent\(", line)
             for m in literal.findall(line)}
    assert len(named) > 40
    assert sorted(named - set(REGISTRY)) == []


def test_check_refuses_undeclared_types_and_mismatched_data() -> None:
    check(Event("call.hold", "c1", {"number": "1001"}))
    check(Event("queue.overflow", "c1", {"queue": "q", "reason": "full", "wait": 0,
                                          "position": 3}))      # optional field absent
    with pytest.raises(EventMismatch, match="undeclared"):
        check(Event("call.teleported", "c1"))
    with pytest.raises(EventMismatch, match="number"):
        check(Event("call.hold", "c1", {}))                      # missing
    with pytest.raises(EventMismatch, match="code"):
        check(Event("call.hold", "c1", {"number": "1001", "code": 1}))   # not declared
    with pytest.raises(EventMismatch, match="position"):
        check(Event("queue.entered", "c1", {"queue": "q", "caller": "1", "position": "1",
                                            "priority": 0, "preferred": None}))  # wrong type


@pytest.mark.unchecked_events       # this test installs its own check
def test_bus_applies_the_installed_check() -> None:
    delivered: list[Event] = []
    local = LocalBus()
    local.subscribe(delivered.append)
    previous = bus.set_check(check)
    try:
        with pytest.raises(EventMismatch):
            local.publish(Event("queue.waiting"))
        local.publish(Event("call.ringing", "c1"))
    finally:
        bus.set_check(previous)
    local.publish(Event("anything.goes"))              # off: not checked
    assert [e.type for e in delivered] == ["call.ringing", "anything.goes"]


OFFER = Event("queue.offer", "c2", {"queue": "q", "agents": ["ann", "bob"], "caller": "1",
                                    "wait": 1.0, "callback": None, "attached": {}})
ENTERED = Event("queue.entered", "c2", {"queue": "q", "caller": "1", "position": 1,
                                        "priority": 0, "preferred": None})
PAUSE = Event("agent.pause", None, {"agent": "ann", "state": "away", "reason": "lunch"})
HOLD = Event("call.hold", "c1", {"number": "1001"})
CHANGED = Event("extension.changed", None, {"number": "1001", "action": "update", "by": "x"})
TO_ALL = Event("announcement.posted", None, {"id": 1, "title": "t", "agents": None,
                                             "groups": []})
TO_BOB = Event("announcement.posted", None, {"id": 2, "title": "t", "agents": ["bob"],
                                             "groups": []})
ACKED = Event("announcement.acked", None, {"id": 2, "agent": "bob"})


@pytest.mark.parametrize("event,admin,qa,ann,ann_in_c1,joanna", [
    (OFFER, True, False, True, True, False),
    (ENTERED, True, False, True, True, True),
    (PAUSE, True, False, True, True, False),
    (HOLD, True, True, False, True, False),
    (CHANGED, True, False, False, False, False),
    (TO_ALL, True, False, True, True, True),
    (TO_BOB, True, False, False, False, False),
    (ACKED, True, False, False, False, False),
])
def test_who_sees_what(event: Event, admin: bool, qa: bool, ann: bool, ann_in_c1: bool,
                       joanna: bool) -> None:
    check(event)
    assert visible("admin", "x", event) is admin
    assert visible("supervisor", "x", event) is admin
    assert visible("qa", "x", event) is qa
    assert visible("agent", "ann", event) is ann                     # no ACD: no call known
    assert visible("agent", "ann", event, lambda: "c1") is ann_in_c1
    assert visible("agent", "joanna", event, lambda: None) is joanna  # "ann" in "joanna"
    assert visible("auditor", "ann", event) is False                  # an undecided role


def test_acd_rule_is_the_registry_rule() -> None:
    from kefu.config import Settings
    from kefu.acd.service import Acd

    acd = Acd(Settings(), None, LocalBus())  # type: ignore[arg-type]
    assert acd.visible_to("ann", OFFER) and not acd.visible_to("carol", OFFER)
    assert not acd.visible_to("ann", HOLD)           # not logged in: in no call
