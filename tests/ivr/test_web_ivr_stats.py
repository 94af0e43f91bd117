"""/api/v1/ivr/stats and stats.csv over events stored in call_events: the figures per
interval and flow, the roles, the bounds; the chunked read of a range, and walks on calls
written by the event log and counted (both backends)."""

from __future__ import annotations

import asyncio
import csv
import io
from typing import Any, get_args

import pytest

from test_calls import Line

from kefu.bus import Event
from kefu.eventlog import EventLog
from kefu.ivr.service import Ivr
from kefu.ivr.stats import INTERVALS
from kefu.ivr.statsout import StatsInterval
from kefu.store import Store

pytestmark = pytest.mark.usefixtures("shanghai")
URL = "/api/v1/ivr/stats"
T0 = 1_764_727_200.0            # 2025-12-03 10:00 in Asia/Shanghai


def e(type_: str, call: str, t: float, node: str, flow: str = "main", **data: Any) -> Event:
    return Event(f"ivr.{type_}", call, {"flow": flow, "node": node, **data}, T0 + t)


def walk_to_queue(call: str, t: float) -> list[Event]:
    return [e("start", call, t, "menu", version=1, caller="139"), e("node", call, t, "menu", type="menu"),
            e("choice", call, t + 3, "menu", key="2", to="agents"),
            e("node", call, t + 3, "agents", type="queue"),
            e("exit", call, t + 3, "agents", reason="queue", to="support")]


def walk_hung_up(call: str, t: float) -> list[Event]:
    return [e("start", call, t, "menu", version=1, caller="138"), e("node", call, t, "menu", type="menu"),
            e("timeout", call, t + 5, "menu", attempt=1),
            e("exit", call, t + 7, "menu", reason="caller_hangup")]


def walk_survey(call: str, t: float, score: int) -> list[Event]:
    return [e("start", call, t, "rate", flow="survey", version=2, caller="137"),
            e("node", call, t, "rate", flow="survey", type="survey"),
            e("survey", call, t + 4, "rate", flow="survey", score=score),
            e("node", call, t + 4, "bye", flow="survey", type="hangup"),
            e("exit", call, t + 4, "bye", flow="survey", reason="hangup")]


def stored(api) -> None:  # type: ignore[no-untyped-def]
    api.store.append_events([
        *walk_to_queue("a", 60), *walk_hung_up("b", 120), *walk_survey("c", 200, 4),
        *walk_to_queue("d", 3600 + 60), *walk_survey("e", 3600 + 900, 2),
        Event("call.started", "a", {"caller": "139"}, T0 + 60),          # not the IVR's
        *walk_to_queue("early", -10),                                     # before the range
    ])


def get(api, role: str = "supervisor", **params: Any):  # type: ignore[no-untyped-def]
    params = {"start": T0, "end": T0 + 86400, **params}
    return api.client.get(URL, params=params, headers=api.as_(role))


def test_intervals_match_the_fold() -> None:
    assert get_args(StatsInterval) == INTERVALS


def test_stats_per_interval_and_flow(ivr_api) -> None:  # type: ignore[no-untyped-def]
    stored(ivr_api)
    r = get(ivr_api)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["interval"] == "hour" and body["timezone"] == "Asia/Shanghai (UTC+08:00)"
    assert [i["label"] for i in body["intervals"]] == ["2025-12-03T10:00+08:00", "2025-12-03T11:00+08:00"]
    first = body["intervals"][0]
    assert {k: first["total"][k] for k in ("entered", "ended", "self_served", "to_queue",
                                           "caller_hangups", "timeouts")} == {
        "entered": 3, "ended": 3, "self_served": 1, "to_queue": 1, "caller_hangups": 1, "timeouts": 1}
    assert first["total"]["completion_rate"] == round(1 / 3, 4)
    assert [f["flow"] for f in first["flows"]] == ["main", "survey"]
    main = first["flows"][0]
    assert main["queues"] == [{"name": "support", "count": 1}]
    assert main["choices"] == [{"node": "menu", "key": "2", "to": "agents", "count": 1}]
    menu = next(n for n in main["nodes"] if n["node"] == "menu")
    assert (menu["entered"], menu["calls"], menu["hangups"], menu["timeouts"]) == (2, 2, 1, 1)
    assert main["completion_rate"] == 0.0
    whole = body["whole"]["total"]
    assert (whole["entered"], whole["to_queue"], whole["surveys"], whole["survey_average"]) == (5, 2, 2, 3.0)
    assert {q["name"]: q["count"] for q in whole["queues"]} == {"support": 2}
    assert [f["flow"] for f in body["whole"]["flows"]] == ["main", "survey"]

    only = get(ivr_api, flow="survey", interval="day").json()
    assert [i["label"] for i in only["intervals"]] == ["2025-12-03T00:00+08:00"]
    assert [f["flow"] for f in only["intervals"][0]["flows"]] == ["survey"]
    assert only["whole"]["total"]["entered"] == 2 and only["whole"]["total"]["completion_rate"] == 1.0
    assert get(ivr_api, role="admin", flow="nothing").json()["intervals"] == []
    q = get(ivr_api, interval="15m").json()
    assert len(q["intervals"]) == 3 and q["intervals"][1]["label"] == "2025-12-03T11:00+08:00"


def test_csv_is_the_same_report_one_row_a_figure(ivr_api) -> None:  # type: ignore[no-untyped-def]
    stored(ivr_api)
    r = ivr_api.client.get(f"{URL}.csv", params={"start": T0, "end": T0 + 86400},
                           headers=ivr_api.as_("supervisor"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(r.text.lstrip("\ufeff"))))
    cell = {(x["interval_start"], x["flow"], x["measure"], x["node"], x["key"]): x["value"] for x in rows}
    ten = "2025-12-03T10:00+08:00"
    assert cell[(ten, "*", "entered", "", "")] == "3"
    assert cell[(ten, "main", "queue", "", "support")] == "1"
    assert cell[(ten, "main", "node_hangups", "menu", "menu")] == "1"
    assert cell[(ten, "main", "choice", "menu", "2")] == "1"
    assert cell[(ten, "survey", "survey_average", "", "")] == "4.0"
    assert {x["interval_end"] for x in rows if x["interval_start"] == ten} == {"2025-12-03T11:00+08:00"}


@pytest.mark.parametrize("role, code", [("agent", 403), (None, 401)])
def test_roles(ivr_api, role: str | None, code: int) -> None:  # type: ignore[no-untyped-def]
    headers = ivr_api.as_(role) if role else {}
    for path in (URL, f"{URL}.csv"):
        r = ivr_api.client.get(path, params={"start": T0, "end": T0 + 60}, headers=headers)
        assert r.status_code == code


@pytest.mark.parametrize("params, reason", [
    ({"end": T0}, "end must be after start"),
    ({"end": T0 + 94 * 86400, "interval": "day"}, "at most 93 days"),
    ({"end": T0 + 32 * 86400, "interval": "15m"}, "at most 3000 intervals"),
    ({"interval": "week"}, "interval"),
    ({"flow": "no-such name"}, "flow"),
    ({"start": -1}, "start"),
    ({"start": None}, "start"),
])
def test_bad_parameters_are_422_with_the_reason(ivr_api, params: dict[str, Any], reason: str) -> None:  # type: ignore[no-untyped-def]
    query = {k: v for k, v in {"start": T0, "end": T0 + 86400, **params}.items() if v is not None}
    for path in (URL, f"{URL}.csv"):
        r = ivr_api.client.get(path, params=query, headers=ivr_api.as_("admin"))
        assert r.status_code == 422, r.text
        assert reason in r.text


def test_a_range_is_read_in_chunks_in_order(ivr: Ivr, store: Store) -> None:
    events = [Event("ivr.node", f"c{i % 3}", {"flow": "main", "node": f"n{i}", "type": "play"},
                    T0 + i // 4) for i in range(23)]          # four share each time stamp
    store.append_events([*events, Event("ivr.node", "x", {"flow": "main", "node": "late"}, T0 + 100),
                         Event("queue.joined", "c0", {}, T0 + 1)])
    whole = list(ivr.stats.events(T0, T0 + 100))
    assert [d["node"] for _, _, _, d in whole] == [f"n{i}" for i in range(23)]
    for chunk in (1, 3, 4, 22, 23):
        assert list(ivr.stats.events(T0, T0 + 100, chunk=chunk)) == whole
    assert list(ivr.stats.events(T0 + 2, T0 + 3)) == whole[8:12]


def test_walks_on_calls_are_logged_with_their_data_and_counted(ivr: Ivr, store: Store) -> None:
    line = Line()
    log = EventLog(store, line.bus)
    line.acd.login("alice", "1001", ready=True)
    to_sales = line.dial()
    line.press(to_sales, "11")
    line.press(to_sales, "4321")               # the account: queued to sales
    refused = line.dial()
    line.press(refused, "2")                   # queue "nowhere" refuses: the fallback hangs up
    gone = line.dial()
    line.press(gone, "1")
    line.switch.hang_up(gone)                  # hung up in the billing menu

    async def write() -> None:
        log.start()
        await log.drain()
        await log.stop()
    asyncio.run(write())

    logged = [(e.type, e.data) for e in store.events_for_call(to_sales.id) if e.type.startswith("ivr.")]
    assert logged[0][0] == "ivr.start" and logged[0][1]["caller"] == "2001"
    assert ("ivr.digits", {"flow": "hotline", "node": "account", "digits": "4321", "into": "account"}) in logged
    assert logged[-1] == ("ivr.exit", {"flow": "hotline", "node": "to_sales", "reason": "queue", "to": "sales"})
    now = line.clock()                          # the walk's events are stamped by its clock
    fig = ivr.stats.report(now - 3600, now + 3600, "day").whole.flows["hotline"]
    assert (fig.entered, fig.ended, fig.self_served, fig.to_queue, fig.refused, fig.caller_hangups) == (3, 3, 1, 1, 1, 1)
    assert dict(fig.queues) == {"sales": 1}
    assert fig.nodes["billing"].hangups == 1 and fig.nodes["main"].calls == 3
    assert fig.choices[("main", "1", "billing")] == 2
