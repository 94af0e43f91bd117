"""The calls layer's refusals carry a kind, not an HTTP code; the web layer answers each
kind with one status, the same ones the API always gave (404, 409, 422, 403, 413)."""

from __future__ import annotations

from kefu.acd.agents import AgentStateError
from kefu.acd.service import AcdError
from kefu.calls.errors import ControlError, Kind, Refused
from kefu.web.app import CONTROL_STATUS


def test_every_kind_has_its_one_http_status() -> None:
    assert set(CONTROL_STATUS) == set(Kind)
    assert {k.name: s for k, s in CONTROL_STATUS.items()} == {
        "NOT_FOUND": 404, "CONFLICT": 409, "INVALID": 422, "FORBIDDEN": 403, "TOO_LARGE": 413}


def test_the_acd_and_agent_errors_are_control_errors_of_a_kind() -> None:
    assert ControlError("x").kind is Kind.CONFLICT               # the default
    assert AcdError("x", Kind.NOT_FOUND).kind is Kind.NOT_FOUND
    assert AgentStateError("x").kind is Kind.CONFLICT
    refused = Refused(404, "Not Found", "9999")
    assert str(refused) == "9999: 404 Not Found" and refused.kind is Kind.NOT_FOUND
