"""The event log writer against a real SQLite store: order, batching, CDRs."""

from __future__ import annotations

import asyncio

import pytest

from kefu.bus import Event, LocalBus
from kefu.eventlog import EventLog
from kefu.store import Store

# the writer is tested with made-up events; kefu's own are held to kefu.events elsewhere
pytestmark = pytest.mark.unchecked_events


async def test_bursts_are_written_in_order_and_cdrs_derived(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'k.db'}")
    store.migrate()
    bus = LocalBus(asyncio.get_running_loop())
    log = EventLog(store, bus)
    log.start()
    for i in range(300):
        cid = f"c{i}"
        bus.publish(Event("call.started", cid, {"caller": "1001", "callee": "1002"}, ts=1000.0 + i))
        bus.publish(Event("call.answered", cid, {}, ts=1001.0 + i))
        bus.publish(Event("call.ended", cid, {"disposition": "answered", "hangup_by": "caller",
                                              "sip_code": 200}, ts=1003.5 + i))
    bus.publish(Event("registration.added", None, {"extension": "1001"}))  # not a call event
    await log.drain()
    await log.stop()
    assert [e.type for e in store.events_for_call("c7")] == ["call.started", "call.answered",
                                                             "call.ended"]
    rows, total = store.list_calls(limit=500)
    assert total == 300
    assert {r.duration for r in rows} == {2.5}
    store.close()


async def test_a_bad_event_does_not_stop_the_writer(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'k.db'}")
    store.migrate()
    bus = LocalBus(asyncio.get_running_loop())
    log = EventLog(store, bus)
    log.start()
    # published together, so written in one batch
    bus.publish(Event("call.started", "bad", {"caller": object()}))   # not JSON
    bus.publish(Event("call.started", "good", {"caller": "1001", "callee": "1002"}))
    await log.drain()
    await log.stop()
    assert [e.type for e in store.events_for_call("good")] == ["call.started"]
    assert store.events_for_call("bad") == []
    store.close()
