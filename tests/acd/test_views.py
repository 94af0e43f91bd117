"""What the wallboard reads of a queue (``Acd.queue_status``): each waiting caller's wait,
routing priority and tier, and the queue's alert thresholds."""

from __future__ import annotations

from conftest import queue


def test_a_waiting_caller_shows_its_wait_priority_and_tier(desk):
    """The priority routing orders the queue by (the caller's, raised by its tier), and the
    tier itself; a caller with no tier shows None."""
    d = desk(queue(tiers={"gold": 5}))
    d.call("2001")
    d.clock.advance(7)
    d.call("2002", data={"tier": "gold"})
    d.clock.advance(3)
    calls = {c["caller"]: c for c in d.acd.queue_status("sales")["calls"]}
    assert (calls["2001"]["priority"], calls["2001"]["tier"], calls["2001"]["wait"]) == (0, None, 10)
    assert (calls["2002"]["priority"], calls["2002"]["tier"], calls["2002"]["wait"]) == (5, "gold", 3)
    assert [c["position"] for c in d.acd.queue_status("sales")["calls"]] == [1, 2]


def test_a_tier_that_is_not_text_is_not_shown(desk):
    d = desk(queue(tiers={"gold": 5}))
    d.call("2001", data={"tier": 5})
    (c,) = d.acd.queue_status("sales")["calls"]
    assert c["tier"] is None and c["priority"] == 0


def test_the_alert_thresholds_are_the_queues(desk):
    d = desk(queue(alert_wait=2, alert_not_ready=0))
    status = d.acd.queue_status("sales")
    assert (status["alert_wait"], status["alert_not_ready"], status["alert_talk"]) == (2, 0, 900)
