"""``flow:<name>`` as a destination: an internal number ([[dialplan.numbers]]), a DID, or
the destination string itself (an overflow, a transfer target) routes to a flow."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from kefu.calls.dialplan import DialPlan, Route
from kefu.config import DialPlanSettings, DidConfig, NumberConfig


def plan() -> DialPlan:
    return DialPlan(DialPlanSettings(numbers=[NumberConfig("800", "flow:hotline")],
                                     dids=[DidConfig("4008001234", "flow:hotline"),
                                           DidConfig("4008005678", "1001")]),
                    (), lambda n: n == "1001")


def test_an_internal_number_runs_its_flow() -> None:
    assert plan().outbound("1001", "800") == Route(kind="flow", flow="hotline",
                                                   call_class="internal")


def test_a_flow_destination_string_routes_to_the_flow() -> None:
    assert plan().outbound("1001", "flow:survey").flow == "survey"


def test_a_did_may_name_a_flow_or_an_extension() -> None:
    assert plan().inbound("a", "4008001234") == Route(kind="flow", flow="hotline")
    assert plan().inbound("a", "4008005678") == Route(kind="extension", extension="1001")


@pytest.mark.parametrize("destination", ["flow:", "flow:no-dash", "queue:sales", "1"])
def test_a_bad_destination_is_refused_with_what_is_allowed(destination: str) -> None:
    with pytest.raises(ValidationError, match="flow:"):
        DialPlanSettings(numbers=[NumberConfig("800", destination)])
    with pytest.raises(ValidationError):
        DidConfig("4008001234", destination)


def test_two_numbers_may_not_share_a_number() -> None:
    with pytest.raises(ValidationError, match="duplicate"):
        DialPlanSettings(numbers=[NumberConfig("800", "flow:a"), NumberConfig("800", "flow:b")])
