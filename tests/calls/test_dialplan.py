"""The dial plan: classes, permissions, outbound rules and DIDs (pure logic)."""

from __future__ import annotations

import dataclasses

import pytest

from kefu.config import (DialPermission, DialPlanSettings, DidConfig, OutboundRule, Settings,
                         TrunkConfig)
from kefu.calls.dialplan import DialPlan, Route, TrunkTarget

EXTENSIONS = {"1001", "1002", "1003", "2000"}

TRUNKS = [TrunkConfig("a", "127.0.0.2", caller_id="8008001234"),
          TrunkConfig("b", "127.0.0.3"),
          TrunkConfig("c", "127.0.0.4", caller_id="+861088880000")]


def plan(**overrides) -> DialPlan:
    base = DialPlanSettings(
        permissions=[DialPermission(["1002"], ["internal", "local"]),
                     DialPermission(["1003"], ["internal", "emergency", "local", "national",
                                               "international"])],
        outbound=[
            OutboundRule(pattern="110|119|120|112", trunks=["b"]),
            OutboundRule(prefix="00", strip=2, prepend="+", trunks=["c", "a"],
                         caller_id="+8610999"),
            OutboundRule(prefix="+", trunks=["c"]),
            OutboundRule(prefix="0", strip=1, prepend="86", trunks=["a", "b"]),
            OutboundRule(pattern="1[3-9][0-9]{9}", trunks=["b", "a"]),
            OutboundRule(prefix="", prepend="010", trunks=["a"]),
        ],
        dids=[DidConfig("8008001234", "1001"), DidConfig("+8610555", "1002"),
              DidConfig("4000", "9999")])
    return DialPlan(base.model_copy(update=overrides), TRUNKS, lambda n: n in EXTENSIONS)


@pytest.mark.parametrize("dialed,expected", [
    ("110", "emergency"), ("112", "emergency"), ("120", "emergency"),
    ("1002", "internal"), ("2000", "internal"),
    ("0044201234567", "international"), ("+442012345678", "international"),
    ("01087654321", "national"), ("02112345678", "national"),
    ("13812345678", "national"),                       # a mobile, national_pattern
    ("87654321", "local"), ("8765432", "local"),
    ("876543", None), ("0", None), ("", None), ("alice", None), ("123456789012345", None),
    ("1234*5", None),
])
def test_classify(dialed: str, expected: str | None) -> None:
    assert plan().classify(dialed) == expected


def test_classify_without_prefixes_or_patterns() -> None:
    p = plan(national_prefix="", international_prefix="", local_pattern="", national_pattern="")
    assert p.classify("0044201234567") is None
    assert p.classify("+44201234567") == "international"      # + always is
    assert p.classify("87654321") is None and p.classify("110") == "emergency"


def test_classify_national_prefix_one_nanp_style() -> None:
    p = plan(national_prefix="1", international_prefix="011", local_pattern="[2-9][0-9]{6}",
             national_pattern="", emergency=["911"])
    assert p.classify("911") == "emergency"
    assert p.classify("12125551234") == "national"
    assert p.classify("011442012345678") == "international"
    assert p.classify("5551234") == "local"


def test_extension_is_routed_to_the_extension() -> None:
    assert plan().outbound("1001", "1002") == Route(kind="extension", extension="1002",
                                                    call_class="internal")


def test_emergency_number_wins_over_an_extension_of_that_number() -> None:
    p = DialPlan(DialPlanSettings(outbound=[OutboundRule(prefix="", trunks=["b"])]), TRUNKS,
                 lambda n: True)
    assert p.classify("110") == "emergency"
    assert p.outbound("1001", "110").kind == "trunk"


def test_international_blocked_by_default() -> None:
    route = plan().outbound("1001", "0044201234567")
    assert route == Route(kind="refuse", code=403, call_class="international",
                          reason="Forbidden (international calls not allowed for 1001)")
    assert plan().outbound("1001", "+442012345678").code == 403


def test_permission_override_allows_international() -> None:
    route = plan().outbound("1003", "0044201234567")
    assert route.kind == "trunk" and route.call_class == "international"


def test_permission_override_restricts() -> None:
    route = plan().outbound("1002", "01087654321")
    assert (route.kind, route.code) == ("refuse", 403)
    assert "national calls not allowed for 1002" in route.reason
    assert plan().outbound("1002", "87654321").kind == "trunk"          # local: listed


def test_emergency_always_allowed_even_when_not_listed() -> None:
    p = plan()
    assert "emergency" not in ["internal", "local"]                        # 1002's list
    route = p.outbound("1002", "110")
    assert route == Route(kind="trunk", call_class="emergency",
                          targets=(TrunkTarget("b", "110", "1002"),))
    q = plan(default_classes=["internal"])
    assert q.outbound("1001", "119").kind == "trunk"
    assert q.outbound("1001", "87654321").code == 403


def test_internal_can_be_withdrawn() -> None:
    p = plan(permissions=[DialPermission(["1001"], ["local"])])
    route = p.outbound("1001", "1002")
    assert route.code == 403 and "internal calls not allowed for 1001" in route.reason


def test_default_classes_apply_to_unknown_callers() -> None:
    route = plan().outbound(None, "0044201234567")
    assert route.code == 403 and "for this caller" in route.reason


def test_prefix_strip_prepend_and_rule_caller_id_in_failover_order() -> None:
    route = plan().outbound("1003", "00442012345678")
    assert route.targets == (TrunkTarget("c", "+442012345678", "+8610999"),
                             TrunkTarget("a", "+442012345678", "+8610999"))


def test_caller_id_falls_back_to_trunk_then_extension() -> None:
    route = plan().outbound("1001", "01087654321")
    assert route.call_class == "national"
    assert route.targets == (TrunkTarget("a", "861087654321", "8008001234"),
                             TrunkTarget("b", "861087654321", "1001"))


def test_pattern_rule_matches_the_whole_number() -> None:
    route = plan().outbound("1001", "13812345678")
    assert [t.trunk for t in route.targets] == ["b", "a"]
    assert route.targets[0].number == "13812345678"


def test_catch_all_rule_and_plus_rule() -> None:
    assert plan().outbound("1001", "87654321").targets == (
        TrunkTarget("a", "01087654321", "8008001234"),)
    assert plan().outbound("1003", "+442012345678").targets == (
        TrunkTarget("c", "+442012345678", "+861088880000"),)


def test_first_matching_rule_wins() -> None:
    p = plan(outbound=[OutboundRule(prefix="010", trunks=["b"]),
                       OutboundRule(prefix="0", trunks=["a"])])
    assert p.outbound("1001", "01087654321").targets[0].trunk == "b"
    assert p.outbound("1001", "02187654321").targets[0].trunk == "a"


def test_no_rule_is_404() -> None:
    p = plan(outbound=[OutboundRule(prefix="0", trunks=["a"])])
    route = p.outbound("1001", "87654321")
    assert (route.kind, route.code, route.call_class) == ("refuse", 404, "local")
    assert "no outbound route for 87654321" in route.reason


def test_a_rule_that_strips_everything_is_skipped() -> None:
    p = plan(outbound=[OutboundRule(prefix="110", strip=3, trunks=["a"]),
                       OutboundRule(prefix="", trunks=["b"])])
    assert p.outbound("1001", "110").targets == (TrunkTarget("b", "110", "1001"),)


def test_unknown_numbers_are_404() -> None:
    for dialed in ("alice", "12", "*55", ""):
        route = plan().outbound("1001", dialed)
        assert (route.kind, route.code) == ("refuse", 404), dialed


def test_inbound_did_to_extension() -> None:
    assert plan().inbound("a", "8008001234") == Route(kind="extension", extension="1001")
    assert plan().inbound("a", "+8008001234").extension == "1001"     # + ignored
    assert plan().inbound("b", "8610555").extension == "1002"


def test_inbound_unknown_did_without_default_is_404() -> None:
    route = plan().inbound("a", "8008009999")
    assert (route.kind, route.code) == ("refuse", 404)
    assert "8008009999" in route.reason and "'a'" in route.reason


def test_inbound_unknown_did_goes_to_the_default_destination() -> None:
    assert plan(default_destination="2000").inbound("a", "8008009999") == Route(
        kind="extension", extension="2000")


def test_inbound_to_a_missing_extension_is_404() -> None:
    route = plan().inbound("a", "4000")
    assert route.code == 404 and "9999" in route.reason
    assert plan(default_destination="7777").inbound("a", "1").code == 404


def test_is_extension_may_return_objects() -> None:
    directory = {"1001": object()}
    p = DialPlan(DialPlanSettings(dids=[DidConfig("555", "1001")]), (), directory.get)
    assert p.outbound("1002", "1001").kind == "extension"
    assert p.inbound("x", "555").extension == "1001"


def test_from_settings() -> None:
    s = Settings(trunks=TRUNKS, dialplan=DialPlanSettings(
        outbound=[OutboundRule(prefix="", trunks=["a"])]))
    route = DialPlan.from_settings(s, lambda n: False).outbound("1001", "87654321")
    assert route.targets == (TrunkTarget("a", "87654321", "8008001234"),)


def test_routes_are_frozen() -> None:
    route = plan().outbound("1001", "1002")
    with pytest.raises(dataclasses.FrozenInstanceError):
        route.kind = "trunk"  # type: ignore[misc]


def test_queue_numbers_route_to_queues_inside_and_from_trunks() -> None:
    from kefu.config import QueueConfig

    settings = Settings(dialplan=DialPlanSettings(dids=[DidConfig("8008001234", "8001")]),
                        queues=[QueueConfig(name="sales", number="8001")])
    dp = DialPlan.from_settings(settings, lambda n: n in EXTENSIONS)
    assert dp.outbound("1001", "8001") == Route(kind="queue", queue="sales", call_class="internal")
    assert dp.inbound("carrier-a", "+8008001234") == Route(kind="queue", queue="sales")
    assert dp.outbound("1001", "8002").kind != "queue"
