"""The fold alone: the scenario's events give the hand-computed facts."""

from __future__ import annotations

import json

from kefu.acd.figures import DayFigures
from kefu.reports.fold import ALL, INTERVAL, Fold, interval_of
from kefu.reports.kpis import derive

from scenario import M, SALES, SHORT, SL, T, day


def fold_all(events=None, chunks=1):  # type: ignore[no-untyped-def]
    events = day() if events is None else events
    rows: dict = {}
    counts: dict = {}
    state = None
    size = -(-len(events) // chunks)
    for i in range(0, len(events), size):
        f = Fold(SL.__getitem__, SHORT, json.loads(json.dumps(state)) if state else None)
        facts = f.run(events[i:i + size])
        state = f.state
        for k, v in facts.rows.items():
            row = rows.setdefault(k, {})
            for m, x in v.items():
                row[m] = max(row.get(m, 0), x) if m == "max_wait" else row.get(m, 0) + x
        for k, (n, s) in facts.counts.items():
            c = counts.setdefault(k, [0, 0.0])
            c[0] += n
            c[1] += s
    return rows, counts


def summed(rows, queue=None, agent=None, start=None, end=None):  # type: ignore[no-untyped-def]
    out: dict = {}
    for (iv, q, a), v in rows.items():
        if queue is not None and q != queue or a != (ALL if agent is None else agent):
            continue
        if start is not None and not start <= iv < end:
            continue
        for m, x in v.items():
            out[m] = max(out.get(m, 0), x) if m == "max_wait" else out.get(m, 0) + x
    return derive(out)


def test_queue_kpis_of_the_day_match_the_hand_count() -> None:
    rows, _ = fold_all()
    sales = summed(rows, queue="sales")
    for key, want in SALES.items():
        assert sales.get(key) == want, key


def test_a_call_belongs_to_the_interval_it_entered_even_across_midnight() -> None:
    rows, _ = fold_all()
    last = interval_of(M - 60)
    assert last == M - INTERVAL
    assert rows[(last, "sales", "ann")]["answered"] == 1           # answered after midnight
    assert rows[(last, "sales", "ann")]["talk"] == 60
    assert summed(rows, queue="sales", start=M, end=M + 86400).get("answered", 0) == 0


def test_overflow_counts_in_both_queues() -> None:
    rows, _ = fold_all()
    support = summed(rows, queue="support")
    assert (support["entered"], support["answered"], support["answered_in_sl"]) == (1, 1, 1)
    assert summed(rows, queue="sales")["overflowed"] == 1


def test_agent_time_is_split_over_the_intervals() -> None:
    rows, counts = fold_all()
    bob = summed(rows, agent="bob")
    assert bob["paused"] == 1800
    assert rows[(interval_of(T + 1800), "", "bob")]["paused"] == 900
    assert rows[(interval_of(T + 2700), "", "bob")]["paused"] == 900
    assert counts[(interval_of(T + 1800), "pause", "bob", "lunch")][1] == 900
    # bob: logged in from T-3600, last state change at T+3600 (ready since: open, not counted)
    assert bob["login"] == 7200
    assert bob["busy"] == 70             # talking 10:05:30–10:06:40
    assert bob["ready"] == 7200 - 1800 - 70
    assert bob["transfers"] == 1 and bob["answered"] == 2
    ann = summed(rows, agent="ann")
    assert ann["outbound"] == 1 and ann["consults"] == 1 and ann["wrap_up"] == 30
    assert ann["busy"] == 120 + 30 + 60          # talking, wrap-up, talking after midnight
    assert ann["occupancy"] == round(210 / (210 + ann["ready"]), 4)
    assert ann["utilisation"] == round(210 / ann["login"], 4)


def test_abandon_waits_and_ivr_drop_out_points() -> None:
    _, counts = fold_all()
    iv = interval_of(T)
    assert counts[(iv, "abandon_wait", "sales", "<=5")][0] == 1
    assert counts[(iv, "abandon_wait", "sales", "<=60")][0] == 1
    assert counts[(iv, "ivr_start", "main", "")][0] == 1
    assert counts[(iv, "ivr_drop", "main", "menu")][0] == 1


def test_folding_in_chunks_with_the_state_carried_gives_the_same_facts() -> None:
    assert fold_all(chunks=7) == fold_all()


def test_the_wallboard_counts_the_day_as_the_reports_do() -> None:
    """``DayFigures`` (the wallboard's today) over Dec 1's queue events agrees with the
    reports' Dec 1: entered, answered, abandons (short apart) and the service level."""
    events = [e for e in day() if e.call_id != "c8"]
    figures = DayFigures(SL.__getitem__, clock=lambda: T - 3600, short_abandon=SHORT)
    figures.replay(e for e in events if e.type.startswith("queue."))
    rows, _ = fold_all(events)
    sales, wall = summed(rows, queue="sales"), figures.queues["sales"]
    assert wall.entered == sales["entered"] == 6
    assert wall.answered == sales["answered"] == 2
    assert wall.abandoned == sales["abandoned"] == 1
    assert wall.short_abandoned == sales["short_abandoned"] == 1
    assert wall.service_level == sales["service_level"] == round(1 / 3, 4)
    ann = summed(rows, agent="ann")              # c1, and the callback she connected
    assert figures.agents["ann"].answered == ann["agent_answered"] == 2
    assert figures.agents["ann"].talk_time == ann["talk"] == 120


def test_the_wallboard_leaves_yesterdays_call_to_yesterday() -> None:
    today = DayFigures(SL.__getitem__, clock=lambda: M + 1, short_abandon=SHORT)
    today.replay(e for e in day() if e.type.startswith("queue.") and e.ts >= M)
    assert today.queue("sales").answered == 0
    assert "ann" not in today.agents            # c8: its answer and talk are yesterday's
