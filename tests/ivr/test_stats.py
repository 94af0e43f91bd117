"""The IVR statistics fold (kefu.ivr.stats), table-driven over event lists: what each walk
counts as (entered, ended, self-served, handed to a queue, hung up where), per flow and
node, per interval in the server's local time zone."""

from __future__ import annotations

import time
from typing import Any

import pytest

from kefu.ivr.stats import Figures, Tally, interval_end, interval_start, tally, whole

pytestmark = pytest.mark.usefixtures("shanghai")
Ev = tuple[str, str, float, dict[str, Any]]
BASE = 1_764_727_200.0          # 2025-12-03 10:00:00 in Asia/Shanghai (UTC+8, no DST)


def ev(type_: str, node: str, t: float = 0.0, call: str = "c1", flow: str = "main",
       **data: Any) -> Ev:
    return (f"ivr.{type_}", call, BASE + t, {"flow": flow, "node": node, **data})


def start(node: str = "menu", **kw: Any) -> list[Ev]:
    return [ev("start", node, version=1, caller="1390000", **kw), ev("node", node, type="menu", **kw)]


def one(events: list[Ev], flow: str | None = None) -> Figures:
    """The figures of ``events`` in one hour's bucket: a flow's, or the total."""
    (b,) = tally(events, "hour")
    return b.flows[flow] if flow else b.total


HEADLINE = ("entered", "ended", "self_served", "to_queue", "transferred", "caller_hangups",
            "refused")
CASES: dict[str, tuple[list[Ev], tuple[int, ...], dict[str, int]]] = {
    # name: events, HEADLINE figures, exits
    "hang-up node": (
        [*start(), ev("choice", "menu", key="1", to="balance"), ev("node", "balance", type="say"),
         ev("node", "bye", type="hangup"), ev("exit", "bye", reason="hangup")],
        (1, 1, 1, 0, 0, 0, 0), {"hangup": 1}),
    "queue": (
        [*start(), ev("choice", "menu", key="2", to="agents"), ev("node", "agents", type="queue"),
         ev("exit", "agents", reason="queue", to="support")],
        (1, 1, 0, 1, 0, 0, 0), {"queue": 1}),
    "queue refused, then the fallback hangs up": (
        [*start(), ev("node", "agents", type="queue"),
         ev("exit", "agents", reason="queue", to="support"), ev("refused", "agents", reason="full"),
         ev("node", "bye", type="hangup"), ev("exit", "bye", reason="hangup")],
        (1, 1, 1, 0, 0, 0, 1), {"hangup": 1}),
    "transfer to a number": (
        [*start(), ev("node", "out", type="transfer"), ev("exit", "out", reason="transfer", to="8001")],
        (1, 1, 0, 0, 1, 0, 0), {"transfer": 1}),
    "caller hangs up while the transfer rings": (
        [*start(), ev("node", "out", type="transfer"), ev("exit", "out", reason="transfer", to="8001"),
         ev("exit", "out", reason="caller_hangup")],
        (1, 1, 0, 0, 0, 1, 0), {"caller_hangup": 1}),
    "caller hangs up mid-menu": (
        [*start(), ev("invalid", "menu", digits="7", problem="not a choice", attempt=1),
         ev("timeout", "menu", attempt=2), ev("exit", "menu", reason="caller_hangup")],
        (1, 1, 0, 0, 0, 1, 0), {"caller_hangup": 1}),
    "caller hangs up after the data was stored": (
        [*start(), ev("node", "save", type="store"), ev("store", "save", record="order"),
         ev("node", "thanks", type="play"), ev("exit", "thanks", reason="caller_hangup")],
        (1, 1, 1, 0, 0, 1, 0), {"caller_hangup": 1}),
    "caller hangs up while leaving a voicemail": (
        [*start(), ev("node", "vm", type="voicemail"), ev("voicemail", "vm"),
         ev("exit", "vm", reason="caller_hangup")],
        (1, 1, 1, 0, 0, 1, 0), {"caller_hangup": 1}),
    "voicemail ends the call": (
        [*start(), ev("node", "vm", type="voicemail"), ev("voicemail", "vm"),
         ev("exit", "vm", reason="voicemail")],
        (1, 1, 1, 0, 0, 0, 0), {"voicemail": 1}),
    "end of the flow": ([*start(), ev("exit", "menu", reason="flow_end")],
                        (1, 1, 1, 0, 0, 0, 0), {"flow_end": 1}),
    "back to the agent who sent the caller": ([*start(), ev("exit", "menu", reason="returned")],
                                              (1, 1, 1, 0, 0, 0, 0), {"returned": 1}),
    "retries used up, no fallback": ([*start(), ev("exit", "menu", reason="menu_failed")],
                                     (1, 1, 0, 0, 0, 0, 0), {"menu_failed": 1}),
    "error": ([*start(), ev("error", "menu", error="x"), ev("exit", "menu", reason="error")],
              (1, 1, 0, 0, 0, 0, 0), {"error": 1}),
    "still inside the flow": (start(), (1, 0, 0, 0, 0, 0, 0), {}),
    "begun before the range: its end counts, not its entry": (
        [ev("node", "bye", type="hangup"), ev("exit", "bye", reason="hangup")],
        (0, 1, 1, 0, 0, 0, 0), {"hangup": 1}),
}


@pytest.mark.parametrize("name", CASES)
def test_what_a_walk_counts_as(name: str) -> None:
    events, figures, exits = CASES[name]
    for fig in (one(events), one(events, "main")):
        assert tuple(getattr(fig, k) for k in HEADLINE) == figures
        assert dict(fig.exits) == exits
    assert one(events).completion_rate == (figures[2] / figures[1] if figures[1] else None)


def test_queues_are_counted_by_name_and_an_old_exit_by_its_node() -> None:
    events = [*start(call="a"), ev("exit", "agents", call="a", reason="queue", to="support"),
              *start(call="b"), ev("exit", "agents", call="b", reason="queue", to="support"),
              *start(call="c"), ev("exit", "to_sales", call="c", reason="queue"),   # no ``to``
              *start(call="d"), ev("exit", "agents", call="d", reason="queue", to="vip"),
              ev("refused", "agents", call="d", reason="no agents")]
    fig = one(events, "main")
    assert dict(fig.queues) == {"support": 2, "to_sales": 1}
    assert (fig.to_queue, fig.ended, fig.refused) == (3, 3, 1)


def test_nodes_choices_and_hang_up_points() -> None:
    events = [*start(call="a"), ev("choice", "menu", call="a", key="9", to="menu"),
              ev("node", "menu", call="a", type="menu"),                  # looped back
              ev("invalid", "menu", call="a", digits="77", problem="p", attempt=1),
              ev("choice", "menu", call="a", key="1", to="acct"),
              ev("node", "acct", call="a", type="lookup"),
              ev("lookup", "acct", call="a", ok=False, error="timeout"),
              ev("exit", "acct", call="a", reason="caller_hangup"),
              *start(call="b"), ev("choice", "menu", call="b", key="1", to="acct"),
              ev("node", "acct", call="b", type="lookup"),
              ev("lookup", "acct", call="b", ok=True, fields=["balance"]),
              ev("timeout", "acct", call="b", attempt=1),
              ev("exit", "acct", call="b", reason="caller_hangup")]
    fig = one(events, "main")
    menu, acct = fig.nodes["menu"], fig.nodes["acct"]
    assert (menu.type, menu.entered, menu.calls, menu.invalid, menu.hangups) == ("menu", 3, 2, 1, 0)
    assert (acct.type, acct.entered, acct.calls, acct.lookup_errors, acct.timeouts,
            acct.hangups) == ("lookup", 2, 2, 1, 1, 2)
    assert fig.choices == {("menu", "9", "menu"): 1, ("menu", "1", "acct"): 2}
    assert (fig.lookups, fig.lookup_errors, fig.invalid, fig.timeouts) == (2, 1, 1, 1)
    assert (one(events).invalid, one(events).lookup_errors) == (1, 1)
    assert one(events).nodes == {}                  # node names are a flow's own


def test_survey_scores() -> None:
    events = [ev("survey", "rate", call="a", flow="survey", score=5),
              ev("survey", "rate", call="b", flow="survey", score=2),
              ev("survey", "rate", call="c", flow="survey", score=None)]
    fig = one(events, "survey")
    assert (fig.surveys, fig.survey_average, fig.surveys_unanswered) == (2, 3.5, 1)
    assert Figures().survey_average is None


def test_a_walk_counts_in_every_flow_it_entered_and_once_in_the_total() -> None:
    events = [*start(), ev("node", "ask_pin", flow="pin", type="collect"),        # subflow
              ev("return", "menu", **{"from": "pin"}), ev("node", "sales", type="transfer"),
              ev("flow", "sales", to="sales"), ev("node", "hi", flow="sales", type="play"),
              ev("exit", "hi", flow="sales", reason="hangup")]
    (b,) = tally(events, "hour")
    for name in ("main", "pin", "sales"):
        assert (b.flows[name].entered, b.flows[name].ended, b.flows[name].self_served) == (1, 1, 1)
    assert (b.total.entered, b.total.ended) == (1, 1)
    (only,) = tally(events, "hour", flow="pin")
    assert set(only.flows) == {"pin"} and only.total.entered == 1 and only.total.nodes == {}
    assert tally(events, "hour", flow="other") == []


def test_a_second_walk_of_the_same_call_is_a_new_entry() -> None:
    events = [*start(), ev("exit", "agents", reason="queue", to="support"),
              *start(), ev("exit", "bye", reason="hangup")]      # the queue overflowed into the flow
    fig = one(events, "main")
    assert (fig.entered, fig.ended, fig.to_queue, fig.self_served) == (2, 2, 1, 1)
    assert fig.nodes["menu"].calls == 2


@pytest.mark.parametrize("interval, starts", [
    ("15m", ["10:00", "10:15", "11:00"]),
    ("hour", ["10:00", "11:00"]),
    ("day", ["00:00"]),
])
def test_intervals_are_local_and_a_walk_ends_where_it_ended(interval: str, starts: list[str]) -> None:
    events = [ev("start", "menu", t=14 * 60 + 59, version=1, caller="1"),
              ev("exit", "menu", t=15 * 60, reason="hangup"),
              ev("start", "menu", t=3600 + 5, call="c2", version=1, caller="1")]
    buckets = tally(events, interval)  # type: ignore[arg-type]
    assert [time.strftime("%H:%M", time.localtime(b.start)) for b in buckets] == starts
    assert sum(b.total.entered for b in buckets) == 2
    assert sum(b.total.ended for b in buckets) == 1
    if interval == "15m":
        assert (buckets[0].total.entered, buckets[0].total.ended) == (1, 0)
        assert (buckets[1].total.entered, buckets[1].total.ended) == (0, 1)
    total = whole(buckets, BASE, BASE + 86400)
    assert (total.total.entered, total.flows["main"].ended, total.flows["main"].self_served) == (2, 1, 1)


def test_interval_bounds_across_a_daylight_saving_change(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    day = time.mktime((2026, 3, 29, 12, 0, 0, 0, 0, -1))        # clocks go forward at 02:00
    start = interval_start(day, "day")
    assert interval_end(start, "day") - start == 23 * 3600
    autumn = time.mktime((2026, 10, 25, 2, 30, 0, 0, 0, 1))      # 02:30 summer time
    hours = {interval_start(autumn + k * 3600, "hour") for k in (0, 1)}
    assert len(hours) == 2                                        # the repeated hour is two


def test_walks_idle_for_hours_are_forgotten() -> None:
    t = Tally("hour")
    for i in range(1000):
        for e in start(call=f"c{i}"):
            t.add(*e)
    assert t.open_walks == 1000
    for i in range(1000):
        t.add(*ev("node", "menu", t=7 * 3600, call=f"late{i}", type="menu"))
    assert t.open_walks == 1000                  # the first thousand forgotten
    with pytest.raises(ValueError):
        Tally("week")  # type: ignore[arg-type]


def test_other_events_are_ignored() -> None:
    assert tally([("call.started", "c1", BASE, {}), ("ivr.node", None, BASE, {"flow": "x"})],
                 "hour") == []
