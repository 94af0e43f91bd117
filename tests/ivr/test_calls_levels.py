"""An IVR ``queue`` node's ``min_level``: the call the flow queues is offered only to the
queue's members at that skill level or above (the real adapter and ACD over the fake
switch), and a flow names it like any other node field."""

from __future__ import annotations

import pytest
from test_calls import HOTLINE, Line

from kefu.ivr.flowcheck import FlowError, load


def test_the_queue_node_min_level_skips_members_below_it() -> None:
    line = Line()
    line.publish(HOTLINE.replace("    priority: 5\n", "    priority: 5\n    min_level: 6\n"))
    line.switch.reachable["1002"] = "free"
    line.acd.set_skills("bob", {"sales": 7})                  # alice is level 1
    line.acd.login("alice", "1001", ready=True)
    line.clock.advance(1)
    line.acd.login("bob", "1002", ready=True)
    call = line.dial()
    line.press(call, "114321")
    (offer,) = line.ivr_events("queue.offer")
    assert offer["agents"] == ["bob"] and line.switch.ringing("1002")
    assert not line.switch.ringing("1001")                    # alice is the longest idle


def test_min_level_is_a_level_0_to_100() -> None:
    flow = load(HOTLINE.replace("    priority: 5\n", "    priority: 5\n    min_level: 100\n"))
    assert flow.nodes["to_sales"].min_level == 100             # type: ignore[union-attr]
    with pytest.raises(FlowError, match="node `to_sales`: min_level"):
        load(HOTLINE.replace("    priority: 5\n", "    priority: 5\n    min_level: 101\n"))
