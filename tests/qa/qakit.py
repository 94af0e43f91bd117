"""What the QA tests share: a recording and a scorecard definition."""

from __future__ import annotations

from typing import Any

from kefu.recordings.service import Recording


def recording(call_id: str = "c1", **kw: object) -> Recording:
    values: dict[str, object] = dict(
        id=0, call_id=call_id, segment=1, journey=call_id, caller="13800138000",
        callee="800", started_at=1_000_000.0, duration=60.0, agent="ann", queue="sales",
        customer_id=None, direction="inbound", disposition="answered", policy="all",
        tier="live", path=f"/rec/{call_id}.wav", codec="wav", size=None, sha256=None,
        state="done")
    values.update(kw)
    return Recording(**values)  # type: ignore[arg-type]


def card(name: str = "热线标准", **changes: Any) -> dict[str, Any]:
    """Greeting (yes/no, weight 1), courtesy (1–5, weight 2), solved (0–10, weight 2), and
    a critical item with no weight: the caller's identity checked."""
    definition: dict[str, Any] = {
        "name": name, "description": "inbound calls",
        "sections": [
            {"title": "开场", "criteria": [
                {"key": "greeting", "label": "标准问候语", "weight": 1, "kind": "yes_no"},
                {"key": "identity", "label": "核实身份", "weight": 0, "kind": "yes_no",
                 "critical": True}]},
            {"title": "服务", "criteria": [
                {"key": "courtesy", "label": "礼貌用语", "weight": 2, "kind": "scale_5"},
                {"key": "solved", "label": "问题解决", "weight": 2, "kind": "scale_10"}]},
        ]}
    definition.update(changes)
    return definition


GOOD = {"greeting": True, "identity": True, "courtesy": 5, "solved": 10}
