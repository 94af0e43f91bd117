"""The live path: events published on the bus reach the summary tables through the event
log's ``after_write``, as ``kefu.app.start`` wires it, and a restart's catch-up adds
nothing twice."""

from __future__ import annotations

import asyncio

from kefu.bus import LocalBus
from kefu.config import ReportsSettings
from kefu.eventlog import EventLog
from kefu.reports.service import Reports
from kefu.reports.summary import Summaries
from kefu.store import Store

from scenario import SALES, SHORT, SL, day


async def test_published_events_reach_the_reports(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = Store(f"sqlite:///{tmp_path / 'k.db'}")
    store.migrate()
    summaries = Summaries(store.db, SL.__getitem__, SHORT)
    bus = LocalBus(asyncio.get_running_loop())
    log = EventLog(store, bus)
    log.after_write.append(summaries.on_event)
    log.start()
    for event in day():
        bus.publish(event)
    await log.drain()
    await log.stop()
    assert Summaries(store.db, SL.__getitem__, SHORT).sync() == 0     # the restart's catch-up
    reports = Reports(store.db, ReportsSettings(short_abandon=SHORT, timezone="UTC"))
    r = reports.run("traffic_by_interval", {"from": "2026-12-01", "to": "2026-12-01",
                                            "queues": "sales", "interval": "day"},
                    "admin", "admin")
    assert r.rows[0]["answered"] == SALES["answered"]
    assert r.rows[0]["service_level"] == SALES["service_level"]
    store.close()


def test_the_app_catches_up_at_start_with_each_queues_target(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from kefu.app import report_summaries
    from kefu.config import QueueConfig, Settings

    store = Store(f"sqlite:///{tmp_path / 'k.db'}")
    store.migrate()
    store.append_events(day())
    settings = Settings(data_dir=tmp_path, queues=[QueueConfig(name="sales", number="5000", service_level=30)],
                        reports=ReportsSettings(short_abandon=SHORT, timezone="UTC"))
    summaries = report_summaries(settings, store)
    assert summaries.sync() == 0                          # all folded at start
    reports = Reports(store.db, settings.reports)
    r = reports.run("traffic_by_interval", {"from": "2026-12-01", "to": "2026-12-01",
                                            "queues": "sales", "interval": "day"},
                    "admin", "admin")
    assert r.rows[0]["answered_in_sl"] == 2               # c1 (10 s) and c4 (30 s) now
    store.close()
